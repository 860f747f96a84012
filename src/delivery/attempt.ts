/**
 * One try at handing a message over. A sender throws SendFailure: `transient` failures (a 4xx
 * from an SMTP server, a 5xx or timeout from an HTTP provider, a dropped connection) are worth
 * another try; permanent ones (a rejected recipient, bad credentials, TLS refused) are not.
 */
export class SendFailure extends Error {
  constructor(
    readonly detail: string,
    readonly transient: boolean,
  ) {
    super(detail);
    this.name = 'SendFailure';
  }
}

/**
 * Makes an error text fit for the delivery log and the logs: the destination becomes its hint,
 * the given secrets disappear, long digit runs (codes, numbers) are blanked, and it stays short.
 */
export function scrub(text: string, replace: ReadonlyArray<[string, string]>): string {
  let out = text.replace(/[\r\n\t]+/g, ' ');
  for (const [needle, by] of replace) {
    if (needle.length >= 3) out = out.split(needle).join(by);
    const lower = needle.toLowerCase();
    if (lower !== needle && lower.length >= 3) out = out.split(lower).join(by);
  }
  out = out.replace(/\d{6,}/g, '…');
  return out.length > 300 ? `${out.slice(0, 299)}…` : out;
}
