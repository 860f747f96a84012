import { ResultCodeError } from 'ldapts';
import type { Clock } from '../shared/clock.js';
import type { AdConnection } from './ad-connection.js';
import { DOMAIN_POLICY_ATTRIBUTES, PSO_ATTRIBUTES, domainPolicyFromEntry, first, psoPolicyFromEntry, type PasswordPolicy } from './domain-policy.js';
import { failure, guarded, type AdResult } from './verdicts.js';

/** How long a password policy object (the domain's, or one PSO) read from AD is used before it is read again. */
export const POLICY_OBJECT_TTL_MS = 60_000;

/**
 * The password policy objects of the domain, read as the service account: the domain's own (on
 * the domain root, not the search base, which may be an OU) and the fine-grained ones (PSOs).
 * Kept per object for POLICY_OBJECT_TTL_MS, so every user of one policy shares a read and a
 * policy changed in AD is used within a minute; a failed read is not kept.
 */
export class PolicyObjects {
  private readonly kept = new Map<string, { at: number; policy: Promise<AdResult<PasswordPolicy>> }>();

  constructor(
    private readonly connection: AdConnection,
    private readonly clock: Clock,
  ) {}

  /** The policy of this PSO (null: the domain's), from the cache unless `fresh`. */
  of(psoDn: string | null, options: { fresh?: boolean } = {}): Promise<AdResult<PasswordPolicy>> {
    const key = psoDn ?? '';
    const now = this.clock.now();
    const held = this.kept.get(key);
    if (held && !options.fresh && now - held.at < POLICY_OBJECT_TTL_MS) return held.policy;
    const policy = psoDn === null ? this.domain() : this.pso(psoDn);
    const entry = { at: now, policy };
    this.kept.set(key, entry);
    const forget = () => {
      if (this.kept.get(key) === entry) this.kept.delete(key);
    };
    policy.then((r) => (r.ok ? undefined : forget()), forget);
    return policy;
  }

  /** The domain password policy as AD has it now. */
  async domain(): Promise<AdResult<PasswordPolicy>> {
    return guarded(async (): Promise<AdResult<PasswordPolicy>> => {
      const entry = await this.connection.asService(async (s) => {
        const { searchEntries } = await s.client.search(s.rootDse.defaultNamingContext, { scope: 'base', attributes: DOMAIN_POLICY_ATTRIBUTES });
        return searchEntries[0];
      }, { idempotent: true });
      return entry === undefined ? failure('insufficient_rights', 'the domain object could not be read') : { ok: true as const, value: domainPolicyFromEntry(entry) };
    });
  }

  private async pso(dn: string): Promise<AdResult<PasswordPolicy>> {
    return guarded(async (): Promise<AdResult<PasswordPolicy>> => {
      const entry = await this.connection.asService(async (s) => {
        try {
          const { searchEntries } = await s.client.search(dn, { scope: 'base', attributes: PSO_ATTRIBUTES });
          return searchEntries[0];
        } catch (err) {
          if (err instanceof ResultCodeError && (err.code === 32 || err.code === 50)) return undefined;
          throw err;
        }
      }, { idempotent: true });
      // By default only administrators may read password settings objects.
      if (entry === undefined || first(entry, 'msDS-MinimumPasswordLength') === null) {
        return failure('insufficient_rights', `the fine-grained password policy ${dn} cannot be read by the service account`);
      }
      return { ok: true as const, value: psoPolicyFromEntry(entry) };
    });
  }
}
