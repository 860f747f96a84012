import { Counter } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { BreachedCheck } from '../directory/directory-service.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { BreachedPasswords } from '../passwords/breached.js';
import type { PolicyService } from '../policy/policy-service.js';

/**
 * The breached-password lookup of a portal: one range cache per process (its size and life
 * from `passwords.breached` of the configuration), failures counted in
 * `sspr_breached_check_failures_total` and logged — with what went wrong, never the password,
 * its hash or its range.
 */
export function breachedCheck(config: Config['passwords']['breached'], metrics: Metrics, logger: Logger, fetchImpl?: typeof fetch): BreachedCheck {
  const failures = new Counter({ name: 'sspr_breached_check_failures_total', help: 'Breached-password checks that could not be done, by what happened to the password (accepted: failure mode open; refused: closed)', labelNames: ['outcome'], registers: [metrics.registry] });
  const lookup = new BreachedPasswords({ cacheEntries: config.cacheEntries, cacheTtlMs: config.cacheMinutes * 60_000, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  return {
    lookup,
    onFailure: (problem, failureMode) => {
      const outcome = failureMode === 'open' ? 'accepted' : 'refused';
      failures.inc({ outcome });
      logger.warn({ event: 'breached_check_failed', outcome }, `breached-password check failed: ${problem}; the password was ${outcome}`);
    },
  };
}

/** The rules the pages list, as the policy has them now (the pages render after a request refreshed it). */
export function passwordLengthOf(policy: Pick<PolicyService, 'snapshot'>): { readonly min: number; readonly max: number; readonly refuseNames: boolean; readonly breachedCheck: boolean } {
  const rules = () => policy.snapshot().policy.passwords;
  return {
    get min() {
      return rules().minLength;
    },
    get max() {
      return rules().maxLength;
    },
    get refuseNames() {
      return rules().refuseNames;
    },
    get breachedCheck() {
      return rules().breached.mode !== 'off';
    },
  };
}

/** The length rules in force under the names the console's and the API's messages use. */
export function lengthRulesOf(policy: Pick<PolicyService, 'snapshot'>): { readonly minLength: number; readonly maxLength: number } {
  return {
    get minLength() {
      return policy.snapshot().policy.passwords.minLength;
    },
    get maxLength() {
      return policy.snapshot().policy.passwords.maxLength;
    },
  };
}
