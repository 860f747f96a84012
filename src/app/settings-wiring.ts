import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import { SettingsService } from '../settings/settings-service.js';
import type { FieldCipher } from '../shared/sealed.js';
import type { Clock } from '../shared/clock.js';
import type { LockoutPolicy } from '../state/lockout.js';
import type { SessionPolicy } from '../state/sessions.js';
import type { CodePolicy } from '../methods/codes.js';
import type { Store } from '../store/database.js';

export type { SettingsService };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface ThrottleLimits {
  verifyFailures: LockoutPolicy;
  phoneOrApp: LockoutPolicy;
  emailSends: LockoutPolicy;
}

/** The sign-in lockout and the reset's own numbers, as the stored settings say now. */
export interface LiveLimits {
  /** Smart lockout of a username at the portal's sign-in. */
  signIn: LockoutPolicy;
  /** Per address: a wide net against password spraying across many usernames. */
  signInIp: LockoutPolicy;
  /** Reset and unlock starts per address. */
  resetStarts: LockoutPolicy;
  resetFlowMs: number;
  captchaMaxNumber: number;
}

/** Session lifetimes, the codes' settings and the setup link's lifetime, as the stored settings say now. */
export interface LiveTimes {
  sessions: SessionPolicy;
  codes: CodePolicy;
  codeMinutes: number;
  phoneRegion: string;
  setupTokenTtlMs: number;
}

/**
 * The stored settings (src/settings/) and what the services read from them. Services keep no
 * copy of a stored setting: they get a getter (a function, or a `get` property of their deps)
 * that reads the settings in force at each use, so a save takes effect on every instance within
 * the second the settings are cached.
 */
export function settingsParts(d: { config: Config; store: Store; clock: Clock; audit: AuditLog; cipher: FieldCipher }): { settings: SettingsService; limits: ThrottleLimits; live: LiveLimits; times: LiveTimes } {
  const settings = new SettingsService({ store: d.store, clock: d.clock, audit: d.audit, cipher: d.cipher, config: d.config });
  const th = () => settings.snapshot().throttling.values;
  // Entra's shape: a count in a window, then blocked for blockHours.
  const block = (threshold: number, windowMs: number): LockoutPolicy => {
    const ms = th().blockHours * HOUR;
    return { threshold, baseMs: ms, growth: 1, maxMs: ms, windowMs };
  };
  const limits: ThrottleLimits = {
    get verifyFailures() {
      return block(th().failedVerificationsPerDay, 24 * HOUR);
    },
    get phoneOrApp() {
      return block(th().phoneOrAppChecksPerHour, HOUR);
    },
    get emailSends() {
      return block(th().emailSendsPer10Minutes, 10 * MINUTE);
    },
  };
  const si = () => settings.snapshot().signIn.values;
  const rs = () => settings.snapshot().reset.values;
  const live: LiveLimits = {
    get signIn() {
      const s = si();
      return { threshold: s.lockoutThreshold, baseMs: s.lockoutSeconds * 1000, growth: s.lockoutGrowth, maxMs: s.lockoutMaxSeconds * 1000, windowMs: s.failureWindowHours * HOUR };
    },
    get signInIp() {
      return { threshold: si().ipFailuresPerHour, baseMs: 15 * MINUTE, growth: 1, maxMs: 15 * MINUTE, windowMs: HOUR };
    },
    get resetStarts() {
      return { threshold: rs().startsPerIpPerHour, baseMs: HOUR, growth: 1, maxMs: HOUR, windowMs: HOUR };
    },
    get resetFlowMs() {
      return rs().flowMinutes * MINUTE;
    },
    get captchaMaxNumber() {
      return rs().captchaMaxNumber;
    },
  };
  const codes = () => settings.snapshot().methods.values;
  const sessions = () => settings.snapshot().sessions.values;
  const times: LiveTimes = {
    sessions: {
      get idleMs() {
        return sessions().idleMinutes * MINUTE;
      },
      get absoluteMs() {
        return sessions().absoluteHours * HOUR;
      },
    },
    codes: {
      get digits() {
        return codes().codeDigits;
      },
      get ttlMs() {
        return codes().codeMinutes * MINUTE;
      },
      get maxAttempts() {
        return codes().codeAttempts;
      },
    },
    get codeMinutes() {
      return codes().codeMinutes;
    },
    get phoneRegion() {
      return codes().phoneRegion;
    },
    get setupTokenTtlMs() {
      return settings.snapshot().setup.values.tokenMinutes * MINUTE;
    },
  };
  return { settings, limits, live, times };
}
