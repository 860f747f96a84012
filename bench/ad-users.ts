/** Test users in a bench's own OU of a Samba DC, created in bulk over LDAPS (bench/writeback.ts, bench/scale-out.ts). */
import { Attribute, Client, EqualityFilter } from 'ldapts';
import { guidFromBytes } from '../src/ad/guid.js';
import type { User } from '../src/directory/users.js';
import type { SambaDc } from '../test/helpers/samba-dc.js';
import { inParallel } from './lib.js';

export interface AdBenchUser {
  name: string;
  dn: string;
  guid: string;
  /** The password set last (checked by a bind at the end). */
  password: string;
  /** The portal's hybrid user (source onprem, anchor = objectGUID). */
  portalUser?: User;
  email: string;
}

/** The unicodePwd value AD wants: the password in double quotes, UTF-16LE. */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

export async function adminClient(dc: SambaDc): Promise<Client> {
  const client = new Client({ url: dc.url, timeout: 30_000, connectTimeout: 10_000, tlsOptions: { ca: [dc.caCertPem], servername: dc.tlsServerName } });
  await client.bind(dc.adminDn, dc.adminPassword);
  return client;
}

/**
 * N users in their own OU, added over LDAPS as the administrator (8 adds in flight on one
 * connection): enabled (userAccountControl 512), with a password set in the add itself.
 */
export async function createAdUsers(dc: SambaDc, count: number, o: { ou: string; ouName: string; prefix: string; password: (i: number) => string }): Promise<AdBenchUser[]> {
  const client = await adminClient(dc);
  try {
    const ouDn = `${o.ou},${dc.baseDn}`;
    await client.add(ouDn, { objectClass: ['top', 'organizationalUnit'], ou: o.ouName });
    const users: AdBenchUser[] = Array.from({ length: count }, (_, i) => {
      const name = `${o.prefix}${String(i).padStart(4, '0')}`;
      return { name, dn: `CN=${name},${ouDn}`, guid: '', password: o.password(i), email: `${name}@example.com` };
    });
    await inParallel(users, 8, async (u) => {
      const values: Record<string, string[] | Buffer[]> = {
        objectClass: ['top', 'person', 'organizationalPerson', 'user'],
        cn: [u.name],
        sAMAccountName: [u.name],
        userPrincipalName: [`${u.name}@${dc.realm.toLowerCase()}`],
        displayName: [`Bench user ${u.name.slice(o.prefix.length)}`],
        userAccountControl: ['512'],
        unicodePwd: [unicodePwd(u.password)],
      };
      await client.add(
        u.dn,
        Object.entries(values).map(([type, v]) => new Attribute({ type, values: v })),
      );
    });
    const { searchEntries } = await client.search(ouDn, { scope: 'one', filter: new EqualityFilter({ attribute: 'objectClass', value: 'user' }), attributes: ['sAMAccountName', 'objectGUID'], explicitBufferAttributes: ['objectGUID'], paged: { pageSize: 500 } });
    const guids = new Map(searchEntries.map((e) => [String(e['sAMAccountName']), guidFromBytes(e['objectGUID'] as Buffer)]));
    for (const u of users) {
      const guid = guids.get(u.name);
      if (!guid) throw new Error(`${u.name} was added but not found again`);
      u.guid = guid;
    }
    return users;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
