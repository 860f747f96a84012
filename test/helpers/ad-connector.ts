import type { AdConnectionOptions } from '../../src/ad/ad-connection.js';
import { AdConnector } from '../../src/ad/ad-connector.js';
import type { SambaDc } from './samba-dc.js';

/**
 * Reaching a test Samba DC (test/helpers/samba-dc.ts) the way the agent reaches AD: LDAPS with
 * the DC's CA pinned and its certificate name checked, bound as the DC's administrator, searching
 * under the domain root.
 */

/** The connection options for `dc`; `over` replaces any of them (another account, URL, base DN, timeout …). */
export function adOptions(dc: SambaDc, over: Partial<AdConnectionOptions> = {}): AdConnectionOptions {
  return { urls: [dc.url], caCertPem: dc.caCertPem, tlsServerName: dc.tlsServerName, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: dc.baseDn, ...over };
}

/** A connector to `dc` with adOptions(dc, over); the caller closes it (or uses withConnector). */
export function adConnector(dc: SambaDc, over: Partial<AdConnectionOptions> = {}, deps?: ConstructorParameters<typeof AdConnector>[1]): AdConnector {
  return new AdConnector(adOptions(dc, over), deps);
}

/** Runs `work` with a connector built from `options`, closed afterwards whatever happens. */
export async function withConnector<T>(options: AdConnectionOptions, work: (ad: AdConnector) => Promise<T>): Promise<T> {
  const ad = new AdConnector(options);
  try {
    return await work(ad);
  } finally {
    await ad.close();
  }
}

/** Whether the AD user `guid` can bind with `password` (AdConnector.bindAsUser, as the pass-through sign-in does). */
export async function bindsAs(dc: SambaDc, guid: string, password: string): Promise<boolean> {
  return withConnector(adOptions(dc), async (ad) => (await ad.bindAsUser(guid, password)).ok);
}

/** The AD user's pwdLastSet in milliseconds (null when AD has none, or no such user): unchanged means AD changed no password. */
export async function pwdLastSetOf(dc: SambaDc, guid: string): Promise<number | null> {
  return withConnector(adOptions(dc), async (ad) => {
    const u = await ad.findUserByGuid(guid);
    return u.ok ? (u.value.pwdLastSet?.getTime() ?? null) : null;
  });
}
