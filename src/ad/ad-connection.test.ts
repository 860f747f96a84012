import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adOptions, withConnector } from '../../test/helpers/ad-connector.js';
import { closedPort } from '../../test/helpers/net.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import { AdConfigurationError, AdConnection, type AdConnectionOptions } from './ad-connection.js';
import { AdConnector } from './ad-connector.js';
import { failureFromError } from './verdicts.js';

/**
 * How the connector reaches the DCs, against a real Samba AD DC: TLS only (LDAPS, StartTLS),
 * CA pinning, failover, connection reuse, least-privilege delegation, and input refused before
 * any query.
 */

let dc: SambaDc;
let user: SambaUser;

/** A TCP relay in front of the DC that counts connections and can cut them. */
interface Relay {
  port: number;
  connections(): number;
  cutAll(): void;
  close(): Promise<void>;
}

async function relay(targetHost: string, targetPort: number): Promise<Relay> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    count += 1;
    const upstream = netConnect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no relay port');
  return {
    port: address.port,
    connections: () => count,
    cutAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The administrator's options with a short timeout, so the failover tests do not wait long. */
function options(over: Partial<AdConnectionOptions> = {}): AdConnectionOptions {
  return adOptions(dc, { timeoutMs: 5_000, ...over });
}

beforeAll(async () => {
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  user = await dc.addUser('conn-user', 'Conn!User#First1');
}, 120_000);

afterAll(async () => {
  await dc?.stop();
});

describe('only encrypted connections', () => {
  it('refuses plain ldap:// without StartTLS when constructed, naming every problem', () => {
    expect(() => new AdConnector(options({ urls: [`ldap://${dc.host}:389`] }))).toThrow(AdConfigurationError);
    try {
      new AdConnector(options({ urls: [`ldap://${dc.host}:389`, 'http://dc.example.test'], bindPassword: '', caCertPem: 'not a certificate' }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AdConfigurationError);
      const problems = (err as AdConfigurationError).problems.join('\n');
      expect(problems).toMatch(/plain LDAP/);
      expect(problems).toMatch(/http:\/\/dc\.example\.test must start with ldaps:\/\//);
      expect(problems).toMatch(/bindPassword/);
      expect(problems).toMatch(/caCertPem/);
    }
  });

  it('works over StartTLS on the LDAP port (Samba refuses simple binds without encryption, so this proves the upgrade)', async () => {
    await withConnector(options({ urls: [dc.startTlsUrl], startTls: true }), async (ad) => {
      expect(await ad.findUserByGuid(user.guid)).toMatchObject({ ok: true, value: { sAMAccountName: 'conn-user' } });
      expect(await ad.reset(user.guid, 'Conn!User#StartTls2')).toEqual({ ok: true, historyEnforced: false });
      expect(await ad.bindAsUser(user.guid, 'Conn!User#StartTls2')).toEqual({ ok: true });
    });
  });
});

describe('certificate pinning', () => {
  it('a CA that did not sign the DC certificate: dc_unreachable, saying why', async () => {
    await withConnector(options({ caCertPem: rootCertificates[0]! }), async (ad) => {
      const r = await ad.rootDse();
      expect(r).toMatchObject({ ok: false, reason: 'dc_unreachable' });
      if (r.ok) return;
      expect(r.detail).toMatch(/certificate is not signed by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
      expect(await ad.reset(user.guid, 'Never!Sent#1')).toMatchObject({ ok: false, reason: 'dc_unreachable' });
    });
  });

  it('without a pinned CA the public CAs are used, which do not trust a private DC CA', async () => {
    await withConnector(options({ caCertPem: undefined }), async (ad) => {
      expect(await ad.rootDse()).toMatchObject({ ok: false, reason: 'dc_unreachable' });
    });
  });

  it('the certificate must be for the DC\'s name', async () => {
    await withConnector(options({ tlsServerName: undefined }), async (ad) => {
      const r = await ad.rootDse();
      expect(r).toMatchObject({ ok: false, reason: 'dc_unreachable', detail: expect.stringMatching(/not for this name/) });
    });
    await withConnector(options({ tlsServerName: 'other.corp.example.test' }), async (ad) => {
      expect(await ad.rootDse()).toMatchObject({ ok: false, reason: 'dc_unreachable' });
    });
  });

  it('over StartTLS too: nothing continues unencrypted when the certificate is refused', async () => {
    await withConnector(options({ urls: [dc.startTlsUrl], startTls: true, caCertPem: rootCertificates[0]! }), async (ad) => {
      expect(await ad.rootDse()).toMatchObject({ ok: false, reason: 'dc_unreachable', detail: expect.stringMatching(/StartTLS failed/) });
    });
  });
});

describe('several DCs', () => {
  it('a closed port: dc_unreachable for every operation, never an exception', async () => {
    const port = await closedPort();
    await withConnector(options({ urls: [`ldaps://127.0.0.1:${port}`] }), async (ad) => {
      expect(await ad.rootDse()).toMatchObject({ ok: false, reason: 'dc_unreachable', detail: expect.stringMatching(/connection refused/) });
      expect(await ad.domainPolicy()).toMatchObject({ ok: false, reason: 'dc_unreachable' });
      expect(await ad.findUserByGuid(user.guid)).toMatchObject({ ok: false, reason: 'dc_unreachable' });
      expect(await ad.reset(user.guid, 'Never!Sent#1')).toMatchObject({ ok: false, reason: 'dc_unreachable' });
      expect(await ad.change(user.guid, 'a', 'b')).toMatchObject({ ok: false, reason: 'dc_unreachable' });
      expect(await ad.unlock(user.guid)).toMatchObject({ ok: false, reason: 'dc_unreachable' });
      expect(await ad.bindAsUser(user.guid, 'Whatever!1')).toMatchObject({ ok: false, reason: 'dc_unreachable' });
    });
  });

  it('fails over to the next DC, and skips the failed one for a while', async () => {
    // The first "DC" accepts TCP and hangs up at once, and counts how often it is tried.
    let tries = 0;
    const broken = createServer((s) => {
      tries += 1;
      s.destroy();
    });
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    const port = (broken.address() as { port: number }).port;
    try {
      await withConnector(options({ urls: [`ldaps://127.0.0.1:${port}`, dc.url] }), async (ad) => {
        expect(await ad.findUserByGuid(user.guid)).toMatchObject({ ok: true });
        expect(tries).toBe(1);
        expect(await ad.findUserByGuid(user.guid)).toMatchObject({ ok: true });
        expect(await ad.bindAsUser(user.guid, 'Wrong!Pass#1')).toMatchObject({ ok: false, reason: 'wrong_password' });
        expect(tries).toBe(1);
      });
    } finally {
      await new Promise<void>((r) => broken.close(() => r()));
    }
  });

  it('reuses one service connection per DC, and opens a new one when it breaks', async () => {
    const r = await relay(dc.host, 636);
    try {
      await withConnector(options({ urls: [`ldaps://127.0.0.1:${r.port}`] }), async (ad) => {
        for (let i = 0; i < 5; i++) expect(await ad.findUserByGuid(user.guid)).toMatchObject({ ok: true });
        expect(await ad.domainPolicy()).toMatchObject({ ok: true });
        expect(r.connections()).toBe(1);

        r.cutAll();
        await new Promise((res) => setTimeout(res, 100));
        expect(await ad.findUserByGuid(user.guid)).toMatchObject({ ok: true });
        expect(r.connections()).toBe(2);
      });
    } finally {
      await r.close();
    }
  });

  it('binds users on warm connections of their own, never on the service connection, and replaces one the DC dropped', async () => {
    const r = await relay(dc.host, 636);
    try {
      await withConnector(options({ urls: [`ldaps://127.0.0.1:${r.port}`] }), async (ad) => {
        expect(await ad.reset(user.guid, 'Conn!User#Pooled3')).toEqual({ ok: true, historyEnforced: false });
        for (let i = 0; i < 3; i++) expect(await ad.bindAsUser(user.guid, 'Conn!User#Pooled3')).toEqual({ ok: true });
        expect(await ad.bindAsUser(user.guid, 'Wrong!Pass#1')).toMatchObject({ ok: false, reason: 'wrong_password' });
        expect(await ad.bindAsUser(user.guid, 'Conn!User#Pooled3')).toEqual({ ok: true });
        // A change bound as the user on the same warm connection, then service-account work: still the service account's rights.
        expect(await ad.change(user.guid, 'Conn!User#Pooled3', 'Conn!User#Pooled4')).toEqual({ ok: true, historyEnforced: true });
        expect(await ad.reset(user.guid, 'Conn!User#Pooled5')).toEqual({ ok: true, historyEnforced: false });
        // One service connection and one user connection for all of it.
        expect(r.connections()).toBe(2);

        r.cutAll();
        await new Promise((res) => setTimeout(res, 100));
        expect(await ad.bindAsUser(user.guid, 'Conn!User#Pooled5')).toEqual({ ok: true });
        expect(r.connections()).toBe(4);
      });
    } finally {
      await r.close();
    }
  });
});

describe('a connection that drops between requests', () => {
  it('is never silently re-opened by the old client (it would be unbound, and over StartTLS unencrypted): a fresh one is made', async () => {
    const r = await relay(dc.host, 389);
    const connection = new AdConnection(options({ urls: [`ldap://127.0.0.1:${r.port}`], startTls: true }));
    try {
      let firstRun = true;
      const host = await connection.asService(
        async (s) => {
          if (firstRun) {
            // The DC goes away after the session was handed out and before the request is sent.
            firstRun = false;
            r.cutAll();
            for (let i = 0; i < 50 && s.client.isConnected; i++) await new Promise((res) => setTimeout(res, 20));
          }
          const { searchEntries } = await s.client.search('', { scope: 'base', attributes: ['dnsHostName'] });
          return searchEntries[0]?.['dnsHostName'];
        },
        { idempotent: true },
      );
      expect(host).toBe(dc.tlsServerName);
      // The first connection and one fresh one (StartTLS and bind again): the old client did not reconnect.
      expect(r.connections()).toBe(2);
    } finally {
      await connection.close();
      await r.close();
    }
  });
});

describe('input refused before any query', () => {
  it('GUID strings with LDAP special characters never reach the DC', async () => {
    const r = await relay(dc.host, 636);
    try {
      await withConnector(options({ urls: [`ldaps://127.0.0.1:${r.port}`] }), async (ad) => {
        const hostile = ['*', `${user.guid.slice(0, 35)}*`, `${user.guid})(objectClass=*`, '*)(|(objectClass=*', `${user.guid.slice(0, 35)}\\`, `${user.guid.slice(0, 35)}\0`, '(', ')'];
        for (const g of hostile) {
          expect(await ad.findUserByGuid(g)).toMatchObject({ ok: false, reason: 'not_found', detail: expect.stringMatching(/not a GUID/) });
          expect(await ad.reset(g, 'Any!Passw0rd#1')).toMatchObject({ ok: false, reason: 'not_found' });
          expect(await ad.change(g, 'Any!Passw0rd#1', 'Any!Passw0rd#2')).toMatchObject({ ok: false, reason: 'not_found' });
          expect(await ad.unlock(g)).toMatchObject({ ok: false, reason: 'not_found' });
          expect(await ad.setMustChange(g, true)).toMatchObject({ ok: false, reason: 'not_found' });
          expect(await ad.effectivePolicy(g)).toMatchObject({ ok: false, reason: 'not_found' });
          expect(await ad.bindAsUser(g, 'Any!Passw0rd#1')).toMatchObject({ ok: false, reason: 'not_found' });
        }
        expect(r.connections()).toBe(0);
      });
    } finally {
      await r.close();
    }
  });
});

describe('service account rights', () => {
  let delegated: SambaUser;
  let plain: SambaUser;
  let target: SambaUser;

  beforeAll(async () => {
    delegated = await dc.addUser('svc-sspr', 'Svc!Sspr#Delegated1');
    plain = await dc.addUser('svc-none', 'Svc!None#Plain1');
    target = await dc.addUser('delegation-target', 'Target!First#1');
    // The three ACEs of the "delegate control" wizard (../shared/design/active-directory.md).
    const userClass = 'bf967aba-0de6-11d0-a285-00aa003049e2';
    for (const [right, guid] of [
      ['CR', '00299570-246d-11d0-a768-00aa006e0529'], // Reset Password
      ['WP', '28630ebf-41d5-11d1-a9c1-0000f80367c1'], // lockoutTime
      ['WP', 'bf967a0a-0de6-11d0-a285-00aa003049e2'], // pwdLastSet
    ]) {
      await dc.samba(['dsacl', 'set', `--objectdn=${dc.baseDn}`, `--sddl=(OA;CIIO;${right};${guid};${userClass};${delegated.sid})`]);
    }
  }, 60_000);

  it('with the three delegated rights: reset, unlock and must-change work', async () => {
    await withConnector(options({ bindDn: delegated.dn, bindPassword: 'Svc!Sspr#Delegated1' }), async (ad) => {
      expect(await ad.reset(target.guid, 'Target!Second#2')).toEqual({ ok: true, historyEnforced: false });
      expect(await ad.bindAsUser(target.guid, 'Target!Second#2')).toEqual({ ok: true });
      expect(await ad.unlock(target.guid)).toEqual({ ok: true });
      expect(await ad.setMustChange(target.guid, true)).toEqual({ ok: true });
      expect(await ad.bindAsUser(target.guid, 'Target!Second#2')).toMatchObject({ ok: false, reason: 'must_change' });
      expect(await ad.reset(target.guid, 'Target!Third#3', { mustChange: false })).toEqual({ ok: true, historyEnforced: false });
    });
  });

  it('...and nothing else: writing another attribute is insufficient_rights', async () => {
    const connection = new AdConnection(options({ bindDn: delegated.dn, bindPassword: 'Svc!Sspr#Delegated1' }));
    try {
      const outcome = await connection
        .asService((s) => s.client.modify(target.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: ['written by the portal'] }) })), { idempotent: false })
        .then(
          () => ({ ok: true as const }),
          (err: unknown) => failureFromError(err),
        );
      expect(outcome).toMatchObject({ ok: false, reason: 'insufficient_rights', detail: expect.stringMatching(/^LDAP 50/) });
    } finally {
      await connection.close();
    }
  });

  it('a service account without delegation: insufficient_rights, nothing changed', async () => {
    await withConnector(options({ bindDn: plain.dn, bindPassword: 'Svc!None#Plain1' }), async (ad) => {
      expect(await ad.findUserByGuid(target.guid)).toMatchObject({ ok: true });
      expect(await ad.reset(target.guid, 'Target!Fourth#4')).toMatchObject({ ok: false, reason: 'insufficient_rights' });
      expect(await ad.unlock(target.guid)).toMatchObject({ ok: false, reason: 'insufficient_rights' });
      expect(await ad.setMustChange(target.guid, true)).toMatchObject({ ok: false, reason: 'insufficient_rights' });
    });
    expect(await withConnector(options(), (ad) => ad.bindAsUser(target.guid, 'Target!Third#3'))).toEqual({ ok: true });
  });

  it('a wrong service account password: insufficient_rights, saying the bind failed', async () => {
    await withConnector(options({ bindPassword: 'Not!The#Admin1' }), async (ad) => {
      expect(await ad.findUserByGuid(target.guid)).toMatchObject({ ok: false, reason: 'insufficient_rights', detail: expect.stringMatching(/service account could not bind/) });
    });
  });
});
