/** The code in a message body or a page's text: "code is: 1, 2, 3, …" (voice) or the first run of 6–8 digits. */
export function codeIn(body: string): string {
  const spoken = /code is: ((?:\d, )+\d)/.exec(body);
  if (spoken) return spoken[1]!.replace(/, /g, '');
  const digits = /\b(\d{6,8})\b/.exec(body);
  if (!digits) throw new Error(`no code in: ${body}`);
  return digits[1]!;
}
