import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

const PERIOD = 30;

/** RFC 6238 with the parameters every authenticator app understands: SHA-1, 6 digits, 30 s. */
function totp(secret: string, issuer: string, account: string): TOTP {
  return new TOTP({ issuer, label: account, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secret: string, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString();
}

/** The QR code as inline SVG markup (rendered server-side: no script, allowed by the CSP as an image). */
export async function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/**
 * The time step a typed code belongs to, accepting ±1 step of clock skew, or null. The caller
 * must still claim the step (MethodStore.claimTotpStep) so the same code is not accepted twice.
 */
export function matchTotp(secret: string, typed: string, now: number): number | null {
  const token = typed.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totp(secret, 'x', 'x').validate({ token, timestamp: now, window: 1 });
  if (delta === null) return null;
  return Math.floor(now / 1000 / PERIOD) + delta;
}

/** For tests and the "test this method" page: the code an app would show now. */
export function currentTotp(secret: string, now: number): string {
  return totp(secret, 'x', 'x').generate({ timestamp: now });
}
