import { ResultCodeError } from 'ldapts';
import { createLogger } from '../../logging/logger.js';
import { AdConnection, type AdConnectionOptions } from '../ad-connection.js';
import { adminGroupName, IMPLICIT_SIDS } from '../principals.js';
import { describeConnectionError, isConnectionError } from '../verdicts.js';
import { CheckIncomplete, certificateOf, gather, ldapText, membershipPaths, type Gathered } from './gather.js';
import { buildReport, tlsBase, unreachableReport, type RightsReport, type TlsReport } from './report.js';

/**
 * The rights check behind `sspr agent doctor`: does the service account hold exactly what
 * writeback needs on the user objects under its search base — Reset Password, Write
 * lockoutTime, Write pwdLastSet — and nothing dangerous beyond (administrator groups at any
 * depth, full control, WriteDACL, WriteOwner, write-all-properties)? Read as the service account
 * itself: its own entry (objectSid, tokenGroups), the base's nTSecurityDescriptor (DACL only, with
 * the SD-flags control), the domain root (SID, policy, DACL) and the user class's default
 * security descriptor from the schema. Also which DC answered over what TLS, which controls it
 * supports, and the domain password policy. Never writes anything.
 */

export interface CheckRightsDeps {
  /** Use this connection (made with the same options) instead of opening one; it is not closed. */
  connection?: AdConnection;
  now?: () => Date;
}

/**
 * Checks the service account of `options` against the least-privilege delegation on
 * `options.baseDn`. Never throws for an unreachable DC or a refused bind (verdict
 * `unreachable`); AdConfigurationError for options that cannot be used at all.
 */
export async function checkRights(options: AdConnectionOptions, deps: CheckRightsDeps = {}): Promise<RightsReport> {
  const now = (deps.now ?? (() => new Date()))();
  const tls = tlsBase(options);
  // The connection logs each DC it gives up on; those lines tell which URLs failed and why.
  const failed: Array<{ url: string; detail: string }> = [];
  const capture = createLogger('warn', {
    write(line: string) {
      try {
        const o = JSON.parse(line) as { dc?: string; detail?: string };
        if (typeof o.dc === 'string') failed.push({ url: o.dc, detail: o.detail ?? '' });
      } catch {
        // not a line of ours
      }
    },
  });
  const connection = deps.connection ?? new AdConnection(options, { logger: capture });
  try {
    let g: Gathered;
    try {
      g = await connection.asService((s) => gather(s, options), { idempotent: true });
    } catch (err) {
      tls.failed = failed;
      if (isConnectionError(err)) return unreachableReport(options, tls, describeConnectionError('DC', err), now);
      if (err instanceof ResultCodeError && err.code === 49) {
        return unreachableReport(options, tls, `the service account could not sign in (${ldapText(err)}): check agent.ad.bindDn and bindPassword`, now);
      }
      if (err instanceof ResultCodeError || err instanceof CheckIncomplete) return unreachableReport(options, tls, `the check could not be completed: ${ldapText(err)}`, now);
      throw err;
    }
    const url = new URL(g.url);
    const { protocol, certificate } = certificateOf(g.session);
    Object.assign(tls, {
      url: g.url,
      failed: failed.filter((f) => f.url !== g.url),
      mode: url.protocol === 'ldaps:' ? 'ldaps' : 'starttls',
      verified: true,
      serverName: options.tlsServerName ?? url.hostname,
      protocol,
      certificate,
    } satisfies Partial<TlsReport>);

    let adminPaths = new Map<string, string[] | 'direct'>();
    const token = new Set([g.account.sid, ...g.account.tokenGroups, ...Object.keys(IMPLICIT_SIDS)]);
    const adminSids = [g.account.sid, ...g.account.tokenGroups].filter((sid) => adminGroupName(sid) !== null);
    if (adminSids.length > 0) {
      adminPaths = await connection.asService((s) => membershipPaths(s.client, g, adminSids), { idempotent: true }).catch((err: unknown) => {
        if (!isConnectionError(err) && !(err instanceof ResultCodeError)) throw err;
        return new Map<string, string[] | 'direct'>();
      });
    }
    return buildReport(options, g, token, adminSids, adminPaths, tls, now);
  } finally {
    if (deps.connection === undefined) await connection.close();
  }
}
