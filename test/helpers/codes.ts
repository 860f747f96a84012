/**
 * The code in a message body: "code is: 1, 2, 3, …" (voice) or the first run of 6–8 digits.
 * A whole page's text (the outbox page) holds other numbers too: pass the code's length
 * (`digits`, 8 by default in the portal) to take only a run of exactly that many.
 */
export function codeIn(body: string, digits?: number): string {
  // A spoken code, in any language: digits read one by one, "4, 8, 2, …".
  const spoken = /((?:\d, ){5,}\d)/.exec(body);
  if (spoken) return spoken[1]!.replace(/, /g, '');
  const run = digits === undefined ? /\b(\d{6,8})\b/.exec(body) : new RegExp(`\\b(\\d{${digits}})\\b`).exec(body);
  if (!run) throw new Error(`no code in: ${body}`);
  return run[1]!;
}
