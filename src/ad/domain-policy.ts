import type { Entry } from 'ldapts';
import { intervalToMs } from './ad-time.js';

/**
 * The password policy AD applies to a user: the domain's (attributes of the domain root) or a
 * fine-grained one (a Password Settings Object, named by the user's msDS-ResultantPSO).
 * Durations are milliseconds; null means "never" (passwords do not expire) or "until an
 * administrator unlocks" (lockout duration).
 */
export interface PasswordPolicy {
  minLength: number;
  /** "Password must meet complexity requirements" (three of five categories, not the name). */
  complexity: boolean;
  /** Passwords remembered; 0 = none. */
  historyLength: number;
  /** Minimum age; 0 = may change again at once. */
  minAgeMs: number;
  /** Maximum age; null = never expires. */
  maxAgeMs: number | null;
  /** Wrong passwords before the account locks; 0 = never locks. */
  lockoutThreshold: number;
  /** How long a lockout lasts; null = until an administrator unlocks. */
  lockoutDurationMs: number | null;
  /** Where the policy was read. */
  source: { kind: 'domain'; dn: string } | { kind: 'fine_grained'; dn: string };
}

export const DOMAIN_POLICY_ATTRIBUTES = ['minPwdLength', 'pwdProperties', 'pwdHistoryLength', 'minPwdAge', 'maxPwdAge', 'lockoutThreshold', 'lockoutDuration'];

export const PSO_ATTRIBUTES = [
  'msDS-MinimumPasswordLength',
  'msDS-PasswordComplexityEnabled',
  'msDS-PasswordHistoryLength',
  'msDS-MinimumPasswordAge',
  'msDS-MaximumPasswordAge',
  'msDS-LockoutThreshold',
  'msDS-LockoutDuration',
];

/** DOMAIN_PASSWORD_COMPLEX, bit 0 of pwdProperties. */
const DOMAIN_PASSWORD_COMPLEX = 1;

export function first(entry: Entry, attribute: string): string | null {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  const value = Array.isArray(v) ? v[0] : v;
  if (value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : value;
}

function int(entry: Entry, attribute: string): number {
  const v = first(entry, attribute);
  const n = v === null ? 0 : Number(v);
  return Number.isSafeInteger(n) ? n : 0;
}

/** In AD both 0 and the "never" value mean no limit for maxPwdAge and lockoutDuration. */
function limit(entry: Entry, attribute: string): number | null {
  const ms = intervalToMs(first(entry, attribute));
  return ms === null || ms === 0 ? null : ms;
}

export function domainPolicyFromEntry(entry: Entry): PasswordPolicy {
  return {
    minLength: int(entry, 'minPwdLength'),
    complexity: (int(entry, 'pwdProperties') & DOMAIN_PASSWORD_COMPLEX) !== 0,
    historyLength: int(entry, 'pwdHistoryLength'),
    minAgeMs: intervalToMs(first(entry, 'minPwdAge')) ?? 0,
    maxAgeMs: limit(entry, 'maxPwdAge'),
    lockoutThreshold: int(entry, 'lockoutThreshold'),
    lockoutDurationMs: limit(entry, 'lockoutDuration'),
    source: { kind: 'domain', dn: entry.dn },
  };
}

export function psoPolicyFromEntry(entry: Entry): PasswordPolicy {
  return {
    minLength: int(entry, 'msDS-MinimumPasswordLength'),
    complexity: (first(entry, 'msDS-PasswordComplexityEnabled') ?? '').toUpperCase() === 'TRUE',
    historyLength: int(entry, 'msDS-PasswordHistoryLength'),
    minAgeMs: intervalToMs(first(entry, 'msDS-MinimumPasswordAge')) ?? 0,
    maxAgeMs: limit(entry, 'msDS-MaximumPasswordAge'),
    lockoutThreshold: int(entry, 'msDS-LockoutThreshold'),
    lockoutDurationMs: limit(entry, 'msDS-LockoutDuration'),
    source: { kind: 'fine_grained', dn: entry.dn },
  };
}
