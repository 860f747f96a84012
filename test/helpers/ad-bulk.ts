import { Attribute, Change, Client } from 'ldapts';
import { guidFromBytes } from '../../src/ad/guid.js';
import { rdn } from '../../src/ad/escape.js';

/**
 * Bulk changes to a test DC (test/helpers/samba-dc.ts) over LDAPS as the administrator:
 * organisational units, many users (with a password, `userAccountControl` 512), groups with
 * nested members, computers, and the changes a sync must notice (attributes, renames, moves,
 * deletions, membership). Much faster than one `samba-tool` process per object: every add is
 * one LDAP request, spread over a few connections that each keep a couple of requests in flight.
 *
 * DNs are built with src/ad/escape.ts (`rdn`), never by pasting names.
 */

export interface AdTarget {
  url: string;
  caCertPem: string;
  tlsServerName: string;
  adminDn: string;
  adminPassword: string;
}

export interface BulkUserSpec {
  /** DN of the OU or container the user goes into. */
  parentDn: string;
  /** CN and sAMAccountName (≤ 20 characters). */
  name: string;
  /** Default: a strong random-looking password shared by all bulk users (BULK_PASSWORD). */
  password?: string;
  /** Default name@corp.example.test (pass null for none). */
  userPrincipalName?: string | null;
  displayName?: string;
  givenName?: string;
  sn?: string;
  mail?: string;
  mobile?: string;
  telephoneNumber?: string;
  description?: string;
  /** Default 512 (normal, enabled). 514 = disabled, 0x10200 = password never expires. */
  userAccountControl?: number;
  /** Anything else to set on the add (e.g. adminCount, department). */
  extra?: Record<string, string | string[]>;
}

export interface BulkObject {
  name: string;
  dn: string;
  /** objectGUID, 8-4-4-4-12 lower case. */
  guid: string;
}

export interface BulkGroupSpec {
  parentDn: string;
  name: string;
  description?: string;
  /** DNs of users and groups (groups of this same call may be listed: members are set after every group exists). */
  memberDns?: string[];
}

export const BULK_PASSWORD = 'Bulk!Passw0rd#2024';

const USER_CLASSES = ['top', 'person', 'organizationalPerson', 'user'];

function replace(type: string, values: string[]): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
}

function parentOf(dn: string): string {
  // DNs here are built by rdn(): a comma inside a value is always escaped as `\,`.
  const m = /^(?:[^,\\]|\\.)*,(.*)$/s.exec(dn);
  if (!m) throw new Error(`no parent in ${dn}`);
  return m[1]!;
}

function firstRdn(dn: string): string {
  const m = /^((?:[^,\\]|\\.)*),/s.exec(dn);
  if (!m) throw new Error(`no RDN in ${dn}`);
  return m[1]!;
}

export class AdBulk {
  private next = 0;

  private constructor(
    private readonly clients: Client[],
    readonly domain: string,
  ) {}

  /** `connections` LDAPS connections bound as the administrator (default 4). */
  static async open(target: AdTarget, options: { connections?: number; domain?: string } = {}): Promise<AdBulk> {
    const n = options.connections ?? 4;
    const clients: Client[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const client = new Client({ url: target.url, timeout: 60_000, connectTimeout: 10_000, tlsOptions: { ca: [target.caCertPem], servername: target.tlsServerName } });
        clients.push(client);
        await client.bind(target.adminDn, target.adminPassword);
      }
    } catch (err) {
      await Promise.all(clients.map((c) => c.unbind().catch(() => undefined)));
      throw err;
    }
    return new AdBulk(clients, options.domain ?? 'corp.example.test');
  }

  /** One of the connections, in turn. */
  client(): Client {
    const c = this.clients[this.next % this.clients.length]!;
    this.next += 1;
    return c;
  }

  /** Runs `work` for every item with 2 requests in flight per connection; results in input order. */
  async parallel<T, R>(items: readonly T[], work: (item: T, client: Client) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let index = 0;
    const workers = Array.from({ length: Math.min(items.length, this.clients.length * 2) }, async (_, w) => {
      const client = this.clients[w % this.clients.length]!;
      for (;;) {
        const i = index++;
        if (i >= items.length) return;
        results[i] = await work(items[i]!, client);
      }
    });
    await Promise.all(workers);
    return results;
  }

  /** Creates `OU=name` under `parentDn` (nothing if it exists) and returns its DN. */
  async addOu(parentDn: string, name: string): Promise<string> {
    const dn = `${rdn('OU', name)},${parentDn}`;
    try {
      await this.client().add(dn, { objectClass: ['top', 'organizationalUnit'] });
    } catch (err) {
      if ((err as { code?: number }).code !== 68) throw err; // 68: already exists
    }
    return dn;
  }

  /** Adds every user (password set in the same add, over LDAPS) and returns them with their objectGUIDs, in input order. */
  async addUsers(specs: readonly BulkUserSpec[]): Promise<BulkObject[]> {
    const dns = await this.parallel(specs, async (s, client) => {
      const dn = `${rdn('CN', s.name)},${s.parentDn}`;
      const attributes: Record<string, string | string[] | Buffer> = {
        objectClass: USER_CLASSES,
        sAMAccountName: s.name,
        unicodePwd: Buffer.from(`"${s.password ?? BULK_PASSWORD}"`, 'utf16le'),
        userAccountControl: String(s.userAccountControl ?? 512),
      };
      const upn = s.userPrincipalName === undefined ? `${s.name}@${this.domain}` : s.userPrincipalName;
      if (upn !== null) attributes['userPrincipalName'] = upn;
      for (const key of ['displayName', 'givenName', 'sn', 'mail', 'mobile', 'telephoneNumber', 'description'] as const) {
        const v = s[key];
        if (v !== undefined) attributes[key] = v;
      }
      Object.assign(attributes, s.extra ?? {});
      // ldapts types attribute values as strings; a Buffer is sent as the raw bytes.
      await client.add(dn, attributes as Record<string, string | string[]>);
      return dn;
    });
    const guids = await this.guidsOf(dns);
    return specs.map((s, i) => ({ name: s.name, dn: dns[i]!, guid: guids.get(dns[i]!.toLowerCase())! }));
  }

  /** Creates the groups (global security groups), then sets their members, so groups may contain each other in any order. */
  async addGroups(specs: readonly BulkGroupSpec[]): Promise<BulkObject[]> {
    const dns = await this.parallel(specs, async (s, client) => {
      const dn = `${rdn('CN', s.name)},${s.parentDn}`;
      const attributes: Record<string, string | string[]> = { objectClass: ['top', 'group'], sAMAccountName: s.name };
      if (s.description !== undefined) attributes['description'] = s.description;
      await client.add(dn, attributes);
      return dn;
    });
    await this.parallel(
      specs.map((s, i) => ({ dn: dns[i]!, members: s.memberDns ?? [] })).filter((g) => g.members.length > 0),
      (g, client) => client.modify(g.dn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: g.members }) })),
    );
    const guids = await this.guidsOf(dns);
    return specs.map((s, i) => ({ name: s.name, dn: dns[i]!, guid: guids.get(dns[i]!.toLowerCase())! }));
  }

  /** A computer account (objectClass computer, which is also a user): a sync must not take it for a person. */
  async addComputer(parentDn: string, name: string): Promise<BulkObject> {
    const dn = `${rdn('CN', name)},${parentDn}`;
    await this.client().add(dn, { objectClass: ['top', 'person', 'organizationalPerson', 'user', 'computer'], sAMAccountName: `${name}$`, userAccountControl: '4096' });
    return { name, dn, guid: await this.guidOf(dn) };
  }

  async addMembers(groupDn: string, memberDns: string[]): Promise<void> {
    await this.client().modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: memberDns }) }));
  }

  async removeMembers(groupDn: string, memberDns: string[]): Promise<void> {
    await this.client().modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: memberDns }) }));
  }

  /** Replaces attributes; null removes every value. */
  async modify(dn: string, attributes: Record<string, string | string[] | null>): Promise<void> {
    const changes = Object.entries(attributes).map(([type, v]) =>
      v === null ? new Change({ operation: 'delete', modification: new Attribute({ type, values: [] }) }) : replace(type, Array.isArray(v) ? v : [v]),
    );
    await this.client().modify(dn, changes);
  }

  /** Renames in place (new CN, same parent); returns the new DN. */
  async rename(dn: string, newName: string): Promise<string> {
    const newRdn = rdn('CN', newName);
    await this.client().modifyDN(dn, newRdn);
    return `${newRdn},${parentOf(dn)}`;
  }

  /** Moves under another parent, keeping the RDN; returns the new DN. */
  async move(dn: string, newParentDn: string): Promise<string> {
    const target = `${firstRdn(dn)},${newParentDn}`;
    await this.client().modifyDN(dn, target);
    return target;
  }

  /** Deletes the object (it becomes a tombstone in CN=Deleted Objects). */
  async remove(dn: string): Promise<void> {
    await this.client().del(dn);
  }

  /** Deletes many objects in parallel. */
  async removeAll(dns: readonly string[]): Promise<void> {
    await this.parallel(dns, (dn, client) => client.del(dn));
  }

  /** Reads attributes of one object (first connection; strings, objectGUID as a GUID string). */
  async read(dn: string, attributes: string[]): Promise<Record<string, string | string[]>> {
    const { searchEntries } = await this.client().search(dn, { scope: 'base', attributes, explicitBufferAttributes: ['objectGUID'] });
    const e = searchEntries[0];
    if (e === undefined) throw new Error(`${dn} not found`);
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(e)) {
      if (Buffer.isBuffer(v)) out[k] = k === 'objectGUID' ? guidFromBytes(v) : v.toString('hex');
      else out[k] = v as string | string[];
    }
    return out;
  }

  async guidOf(dn: string): Promise<string> {
    const g = (await this.read(dn, ['objectGUID']))['objectGUID'];
    if (typeof g !== 'string') throw new Error(`${dn} has no objectGUID`);
    return g;
  }

  /** objectGUIDs of many objects, keyed by lower-case DN: one paged search per parent instead of one per object. */
  async guidsOf(dns: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(dns.map((d) => d.toLowerCase()));
    const parents = [...new Set(dns.map(parentOf))];
    const found = new Map<string, string>();
    await this.parallel(parents, async (parent, client) => {
      const { searchEntries } = await client.search(parent, {
        scope: 'one',
        filter: '(objectClass=*)',
        attributes: ['objectGUID'],
        explicitBufferAttributes: ['objectGUID'],
        paged: { pageSize: 500 },
      });
      for (const e of searchEntries) {
        const key = e.dn.toLowerCase();
        const g = e['objectGUID'];
        if (wanted.has(key) && Buffer.isBuffer(g)) found.set(key, guidFromBytes(g));
      }
    });
    for (const d of wanted) if (!found.has(d)) throw new Error(`objectGUID of ${d} not found`);
    return found;
  }

  /** The DC's highestCommittedUSN now. */
  async highestCommittedUsn(): Promise<bigint> {
    const { searchEntries } = await this.client().search('', { scope: 'base', attributes: ['highestCommittedUSN'] });
    return BigInt(String(searchEntries[0]?.['highestCommittedUSN'] ?? '0'));
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.unbind().catch(() => undefined)));
  }
}
