/**
 * An email address as the helpdesk sees it in the users list: `a•••@example.com` (the first
 * character of the local part, then •••, then the domain). The helpdesk never sees a full
 * address; the support page masks methods the same way (hd-view's masking: merge into one at
 * integration if both exist).
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${[...email.slice(0, at)][0]}•••${email.slice(at)}`;
}
