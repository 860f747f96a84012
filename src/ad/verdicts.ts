import { ResultCodeError } from 'ldapts';
import { WIN32_INVALID_PASSWORD, win32ErrorCode } from './sub-codes.js';
import { adRefusals, type AdRefusal } from '../agent-protocol/verdicts.js';

/**
 * What AD (or our check before asking it) said, in the words the portal shows
 * (`ad.verdict.<reason>` in messages.en.ts): the AD refusals of the one catalogue
 * (src/agent-protocol/verdicts.ts). Expected outcomes are values, never exceptions.
 */
export const adReasons = adRefusals;
export type AdReason = AdRefusal;

/** A refusal; `detail` is for logs and administrators (never a password), not for end users. */
export type AdFailure = { ok: false; reason: AdReason; detail?: string };

/** The outcome of a write. `historyEnforced: false` = AD was not asked to apply the history (no policy hints on this DC). */
export type AdVerdict = { ok: true; historyEnforced?: boolean } | AdFailure;

/** The outcome of a read. */
export type AdResult<T> = { ok: true; value: T } | AdFailure;

export function failure(reason: AdReason, detail?: string): AdFailure {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/**
 * Thrown inside the connection layer when no DC could be reached (every URL tried) or the
 * connection broke during a request; turned into `dc_unreachable` at the connector's edge.
 */
export class DcUnreachableError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'DcUnreachableError';
  }
}

/** Socket, TLS and timeout failures (as opposed to an LDAP answer), as ldapts and Node report them. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof DcUnreachableError) return true;
  if (err instanceof ResultCodeError) return false;
  if (!(err instanceof Error)) return false;
  if (typeof (err as NodeJS.ErrnoException).code === 'string') return true; // ECONNREFUSED, ETIMEDOUT, TLS verification codes, …
  return /timed? ?out|connection (closed|timeout)|socket (error|connection not established)|not reconnecting|client network socket disconnected/i.test(err.message) || err.name === 'MessageParserError';
}

const TLS_TRUST = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** A sentence for an administrator about why a DC could not be used (never secrets). */
export function describeConnectionError(url: string, err: unknown): string {
  if (err instanceof DcUnreachableError) return err.detail;
  const code = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? '') : '';
  const message = err instanceof Error ? err.message : String(err);
  if (TLS_TRUST.has(code)) return `${url}: the DC's certificate is not signed by a trusted CA${code ? ` (${code})` : ''} — with caCertPem set, only that CA is trusted`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${url}: the DC's certificate is not for this name (${message}); set tlsServerName when connecting by address`;
  if (code === 'CERT_HAS_EXPIRED') return `${url}: the DC's certificate has expired`;
  if (code === 'ECONNREFUSED') return `${url}: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${url}: host name not found`;
  return `${url}: ${message.split('\n')[0]}${code && !message.includes(code) ? ` (${code})` : ''}`;
}

/**
 * An LDAP result (or connection failure) outside the password rules, as a verdict. Decided on
 * the result code; the Win32 code at the start of the message only tells a wrong current
 * password from a policy refusal inside a constraint violation (19).
 */
export function failureFromError(err: unknown): AdFailure {
  if (isConnectionError(err)) return failure('dc_unreachable', err instanceof DcUnreachableError ? err.detail : describeConnectionError('DC', err));
  if (!(err instanceof ResultCodeError)) throw err;
  const detail = `LDAP ${err.code}: ${err.message.split('\n')[0]}`;
  switch (err.code) {
    case 19: // constraint violation
      return win32ErrorCode(err.message) === WIN32_INVALID_PASSWORD ? failure('wrong_password', detail) : failure('policy', detail);
    case 32: // no such object
      return failure('not_found', detail);
    case 49: // invalid credentials: the service account's own bind
      return failure('insufficient_rights', `the service account could not bind: ${detail}`);
    case 50: // insufficient access rights
      return failure('insufficient_rights', detail);
    case 53: // unwilling to perform: AD's refusal of a write it will not do at all
      return failure('policy', detail);
    case 51: // busy
    case 52: // unavailable
    case 80: // other (server-side failure)
      return failure('dc_unreachable', detail);
    default:
      return failure('policy', detail);
  }
}

/** Runs a read or write of AD, turning connection failures and LDAP errors into a verdict (failureFromError). */
export async function guarded<T extends { ok: boolean }>(work: () => Promise<T>): Promise<T | AdFailure> {
  try {
    return await work();
  } catch (err) {
    return failureFromError(err);
  }
}
