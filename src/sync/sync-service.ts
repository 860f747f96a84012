import type { AuditLog } from '../audit/audit-log.js';
import { nameKey } from '../directory/names.js';
import type { Kysely } from 'kysely';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/crypto.js';
import type { SyncCursor, SyncGroup, SyncPage, SyncUser } from '../agent-protocol/index.js';
import type { MethodStore } from '../methods/method-store.js';
import { toRun, type SyncConflict, type SyncRun } from './sync-runs.js';
import { SyncStateStore } from './sync-state.js';
import { BATCH, insertNew, prefetch, type PageCache } from './page-cache.js';
import { normalisePhone } from '../methods/phone.js';

export type { SyncConflict, SyncRun } from './sync-runs.js';

/** Rows per multi-row insert of group members (4 values each: well under every driver's parameter limit). */
const MEMBER_BATCH = 200;

type Db = Kysely<Database>;
/** Work through other stores (verification methods): done after the page's transaction commits. */
type After = Array<() => Promise<unknown>>;

/**
 * The portal's side of the AD sync: applies what the agent read, idempotently, keyed by
 * objectGUID (the anchor). Users and groups are created or updated; renames and moves keep the
 * anchor; a synced user whose name belongs to a cloud user is reported, never merged; users
 * leaving the scope (deleted in AD, moved out, or not seen by a complete full import) are
 * disabled, not erased, with the reason kept. The cursor for the next delta is stored only when
 * a run completes, so a run cut off half-way is simply repeated.
 */
/** `sync.usernameFrom`: which AD name becomes the portal username. */
export type UsernameSource = 'userPrincipalName' | 'sAMAccountName' | 'mail';

/** `sync.useContactInfo`: AD's mail and mobile become confirmed verification methods (off by default: it trusts AD's data). */
export interface ContactInfoSync {
  enabled: boolean;
  methods: MethodStore;
  phoneRegion: string;
}

export class SyncService {
  private readonly state: SyncStateStore;

  constructor(private readonly d: { store: Store; clock: Clock; audit: AuditLog; contactInfo?: ContactInfoSync; usernameFrom?: UsernameSource }) {
    this.state = new SyncStateStore(d.store, d.clock);
  }

  private get db() {
    return this.d.store.db;
  }

  async startRun(kind: 'full' | 'delta', trigger: SyncRun['trigger'], agentId: string | null): Promise<string> {
    const id = newId();
    await this.db.insertInto('sync_runs').values({ id, kind, trigger, agent_id: agentId, status: 'running', started_at: this.d.clock.now(), finished_at: null, added: 0, updated: 0, disabled: 0, errors: 0, details: JSON.stringify({ conflicts: [], problems: [] }) }).execute();
    return id;
  }

  /** The sync scope the stored cursor was read under (sync-state.ts). */
  scopeKey(): Promise<string | null> {
    return this.state.scopeKey();
  }

  /** Where the next delta continues from (sync-state.ts). */
  cursor(): Promise<SyncCursor | null> {
    return this.state.cursor();
  }

  /** A lease so that only one portal instance syncs at a time; false when another holds it. */
  acquireLease(holder: string, ms: number): Promise<boolean> {
    return this.state.acquireLease(holder, ms);
  }

  releaseLease(holder: string): Promise<void> {
    return this.state.releaseLease(holder);
  }

  /** Asks for a run (the CLI, or an instance without an agent): the instance with an agent picks it up. */
  request(full: boolean): Promise<number> {
    return this.state.request(full);
  }

  /** Takes a pending request (compare-and-swap), or null. */
  takeRequest(): Promise<{ full: boolean } | null> {
    return this.state.takeRequest();
  }

  /**
   * One page of users, groups and departures, in one transaction (with it, the sessions of users
   * AD disabled or who left end); every write is an upsert by anchor, so a page applied twice
   * changes nothing more. AD's contact details become methods once the page is committed (the
   * next run repeats that if the process stops in between).
   */
  async applyPage(runId: string, page: SyncPage): Promise<void> {
    const after: After = [];
    await this.db.transaction().execute(async (trx) => {
      const stats = { added: 0, updated: 0, disabled: 0, errors: 0 };
      const conflicts: SyncConflict[] = [];
      const problems: string[] = [];
      const count = (r: 'added' | 'updated' | 'same' | SyncConflict) => {
        if (r === 'added') stats.added++;
        else if (r === 'updated') stats.updated++;
        else if (r !== 'same') {
          stats.errors++;
          conflicts.push(r);
        }
      };
      const moves = new Map<string, string>();
      const cache = await prefetch(trx, page.users, (u) => this.usernameOf(u));
      for (const u of page.users) count(await this.upsertUser(trx, runId, u, after, moves, cache));
      await insertNew(trx, cache.inserts);
      // Users that did not change are only marked as seen by this run, all in one statement.
      for (let i = 0; i < cache.unchanged.length; i += BATCH) {
        await trx.updateTable('synced_objects').set({ last_run_id: runId, updated_at: this.d.clock.now() }).where('anchor', 'in', cache.unchanged.slice(i, i + BATCH)).execute();
      }
      for (const g of page.groups) {
        // A group too big for one message: kept until its last member part has come.
        if (g.partial) this.partial.set(`${runId}:${g.anchor}`, { ...g, memberDns: [...g.memberDns] });
        else count(await this.upsertGroup(trx, runId, g, moves));
      }
      for (const part of page.members ?? []) {
        const g = this.partial.get(`${runId}:${part.anchor}`);
        if (!g) {
          stats.errors++;
          problems.push(`members of group ${part.anchor} came without the group`);
          continue;
        }
        g.memberDns.push(...part.memberDns);
        if (!part.last) continue;
        this.partial.delete(`${runId}:${part.anchor}`);
        const { partial: _, ...whole } = g;
        count(await this.upsertGroup(trx, runId, whole, moves));
      }
      for (const anchor of page.gone) if (await this.leave(trx, anchor, 'deleted_or_out_of_scope')) stats.disabled++;
      await this.membersMoved(trx, runId, moves);
      await this.addToRun(trx, runId, stats, conflicts, problems);
    });
    await this.afterCommit(runId, after);
  }

  /** Each piece of after-commit work runs, whatever the others do; a failure counts as an error of the run (the next run repeats the work). */
  private async afterCommit(runId: string, after: After): Promise<void> {
    const problems: string[] = [];
    for (const work of after) {
      try {
        await work();
      } catch (err) {
        problems.push(`after applying: ${String((err as Error).message ?? err).slice(0, 200)}`);
      }
    }
    if (problems.length) await this.addToRun(this.db, runId, { added: 0, updated: 0, disabled: 0, errors: problems.length }, [], problems.slice(0, 10));
  }

  /** Groups whose members are still arriving, by run and anchor (a run that fails drops them). */
  private readonly partial = new Map<string, SyncGroup>();

  /** Partial groups of a run that ends: dropped; their names, when the run completes (each is an error: its members never all came). */
  private dropPartial(runId: string): SyncGroup[] {
    const left: SyncGroup[] = [];
    for (const [key, g] of this.partial) {
      if (!key.startsWith(`${runId}:`)) continue;
      this.partial.delete(key);
      left.push(g);
    }
    return left;
  }

  private async addToRun(db: Db, runId: string, stats: { added: number; updated: number; disabled: number; errors: number }, conflicts: SyncConflict[], problems: string[] = []): Promise<void> {
    const run = await db.selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
    const details = JSON.parse(run.details) as { conflicts: SyncConflict[]; problems: string[] };
    await db
      .updateTable('sync_runs')
      .set({
        added: run.added + stats.added,
        updated: run.updated + stats.updated,
        disabled: run.disabled + stats.disabled,
        errors: run.errors + stats.errors,
        details: JSON.stringify({ conflicts: [...details.conflicts, ...conflicts].slice(0, 500), problems: [...details.problems, ...problems].slice(0, 100) }),
      })
      .where('id', '=', runId)
      .execute();
  }

  /**
   * AD updates a group's member list when a member is renamed or moved but does not mark the
   * group as changed, so a delta does not bring the group again: the DNs the groups keep are
   * updated here, once per page for all the page's moves (old DN, lower case → new DN).
   */
  private async membersMoved(db: Db, runId: string, moves: Map<string, string>): Promise<void> {
    if (moves.size === 0) return;
    // Groups this run already wrote hold AD's member list as it is now: never rewritten (another
    // object may have moved into a moved member's old DN).
    const groups = await db
      .selectFrom('synced_objects')
      .select(['anchor', 'member_dns'])
      .where('kind', '=', 'group')
      .where('member_dns', 'is not', null)
      .where((eb) => eb.or([eb('last_run_id', 'is', null), eb('last_run_id', '!=', runId)]))
      .execute();
    for (const g of groups) {
      const dns = JSON.parse(g.member_dns!) as string[];
      if (!dns.some((d) => moves.has(d.toLowerCase()))) continue;
      const next = dns.map((d) => moves.get(d.toLowerCase()) ?? d).sort();
      await db.updateTable('synced_objects').set({ member_dns: JSON.stringify(next) }).where('anchor', '=', g.anchor).execute();
    }
  }

  private async synced(db: Db, anchor: string) {
    return db.selectFrom('synced_objects').selectAll().where('anchor', '=', anchor).executeTakeFirst();
  }

  private usernameOf(u: SyncUser): string {
    return (this.d.usernameFrom === 'sAMAccountName' ? u.sAMAccountName : this.d.usernameFrom === 'mail' ? u.mail : null) || u.userPrincipalName || u.sAMAccountName;
  }

  /**
   * What a page's users need from the store, in three queries instead of three per user (each a
   * round trip to PostgreSQL): their synced rows, their portal users, and who holds the usernames
   * they want. upsertUser keeps the maps up to date as it writes.
   */
  private async upsertUser(db: Db, runId: string, u: SyncUser, after: After, moves: Map<string, string>, cache: PageCache): Promise<'added' | 'updated' | 'same' | SyncConflict> {
    const now = this.d.clock.now();
    const username = this.usernameOf(u);
    const key = nameKey(username);
    const displayName = (u.displayName ?? u.sAMAccountName).slice(0, 256);
    const attributes = JSON.stringify({ sAMAccountName: u.sAMAccountName, userPrincipalName: u.userPrincipalName, mail: u.mail, mobile: u.mobile, telephoneNumber: u.telephoneNumber, protected: u.protected, passwordNeverExpires: u.passwordNeverExpires, pwdLastSet: u.pwdLastSet });
    const known = cache.known.get(u.anchor);
    const local = cache.local.get(u.anchor);
    const taken = cache.taken.get(key);
    if (taken && taken.anchor !== u.anchor) {
      return { anchor: u.anchor, name: username, reason: taken.source === 'cloud' ? 'username_taken_by_cloud_user' : 'username_taken_by_other_ad_user' };
    }
    const row = { dn: u.dn, dn_key: u.dn.toLowerCase(), attributes, password_expires_at: u.passwordNeverExpires ? null : u.passwordExpiresAt, last_run_id: runId, gone_at: null, gone_reason: null, updated_at: now };
    if (!local) {
      const id = newId();
      // Inserted with the page's other new users, a few statements for all (SyncService.insertNew).
      cache.inserts.users.push({ id, username, username_key: key, display_name: displayName, email: u.mail, enabled: u.enabled ? 1 : 0, source: 'onprem', anchor: u.anchor, password_hash: null, password_changed_at: u.pwdLastSet, created_at: now, updated_at: now });
      cache.inserts.roles.push({ user_id: id, role: 'user' });
      if (known) cache.inserts.relinked.push({ anchor: u.anchor, row: { ...row, local_id: id } });
      else cache.inserts.synced.push({ anchor: u.anchor, kind: 'user', local_id: id, member_dns: null, ad_methods: null, ...row });
      cache.taken.set(key, { id, source: 'onprem', anchor: u.anchor, username_key: key });
      const adMethods = known?.ad_methods ?? null;
      after.push(() => this.syncContactMethods(u, id, adMethods));
      return 'added';
    }
    if (known && known.dn !== u.dn) moves.set(known.dn.toLowerCase(), u.dn);
    const changed = local.username !== username || local.display_name !== displayName || local.email !== u.mail || local.enabled !== (u.enabled ? 1 : 0) || !known || known.dn !== u.dn || known.attributes !== attributes || known.password_expires_at !== row.password_expires_at || known.gone_at !== null;
    // `changed` covers a user not synced before (!known): past this point, something changed.
    if (!changed) {
      cache.unchanged.push(u.anchor);
      const adMethods = known.ad_methods;
      after.push(() => this.syncContactMethods(u, local.id, adMethods));
      return 'same';
    }
    if (local.username_key !== key) {
      if (cache.taken.get(local.username_key)?.anchor === u.anchor) cache.taken.delete(local.username_key);
      cache.taken.set(key, { id: local.id, source: local.source, anchor: u.anchor, username_key: key });
    }
    await db.updateTable('users').set({ username, username_key: key, display_name: displayName, email: u.mail, enabled: u.enabled ? 1 : 0, updated_at: now }).where('id', '=', local.id).execute();
    if (known) await db.updateTable('synced_objects').set(row).where('anchor', '=', u.anchor).execute();
    else await db.insertInto('synced_objects').values({ anchor: u.anchor, kind: 'user', local_id: local.id, member_dns: null, ad_methods: null, ...row }).execute();
    // Sessions end in the same transaction: a crash after it cannot leave them behind.
    if (local.enabled === 1 && !u.enabled) await db.deleteFrom('sessions').where('user_id', '=', local.id).execute();
    const adMethods = known?.ad_methods ?? null;
    after.push(() => this.syncContactMethods(u, local.id, adMethods));
    return 'updated';
  }

  /**
   * With `sync.useContactInfo`, the user's AD mail and mobile are kept as confirmed methods,
   * replaced when AD's value changes and removed when it is cleared (or the option is turned
   * off). Which methods came from AD is remembered in synced_objects, so methods the user
   * registered themselves are never touched.
   */
  private async syncContactMethods(u: SyncUser, userId: string, adMethods: string | null): Promise<void> {
    const c = this.d.contactInfo;
    if (!c) return;
    // Off, and nothing from AD to take away: nothing to do (no query either).
    if (!c.enabled && (adMethods === null || adMethods === '{}')) return;
    const had = JSON.parse(adMethods ?? '{}') as Record<string, { id: string; value: string }>;
    const phone = u.mobile ? normalisePhone(u.mobile, c.phoneRegion) : null;
    const wanted: Record<string, string | null> = {
      email: c.enabled && u.mail ? u.mail.toLowerCase() : null,
      mobile: c.enabled && phone?.ok ? phone.value : null,
    };
    const next: Record<string, { id: string; value: string }> = {};
    for (const type of ['email', 'mobile'] as const) {
      const want = wanted[type] ?? null;
      const current = had[type];
      if (current && current.value === want) {
        next[type] = current;
        continue;
      }
      if (current) await c.methods.remove(userId, current.id);
      if (want && !(await c.methods.findByContact(userId, type, want))) {
        const m = await c.methods.addContact(userId, type, want);
        await c.methods.confirm(userId, m.id);
        next[type] = { id: m.id, value: want };
      }
    }
    const json = JSON.stringify(next);
    if (json !== (adMethods ?? '{}')) await this.db.updateTable('synced_objects').set({ ad_methods: json }).where('anchor', '=', u.anchor).execute();
  }

  private async upsertGroup(db: Db, runId: string, g: SyncGroup, moves: Map<string, string>): Promise<'added' | 'updated' | 'same' | SyncConflict> {
    const now = this.d.clock.now();
    const known = await this.synced(db, g.anchor);
    const local = await db.selectFrom('groups').selectAll().where('anchor', '=', g.anchor).executeTakeFirst();
    const taken = await db.selectFrom('groups').select(['id', 'anchor']).where('name_key', '=', nameKey(g.name)).executeTakeFirst();
    if (taken && taken.anchor !== g.anchor) return { anchor: g.anchor, name: g.name, reason: 'group_name_taken' };
    const memberDns = JSON.stringify([...new Set(g.memberDns)].sort());
    const row = { dn: g.dn, dn_key: g.dn.toLowerCase(), attributes: '{}', member_dns: memberDns, password_expires_at: null, last_run_id: runId, gone_at: null, gone_reason: null, updated_at: now };
    if (!local) {
      const id = newId();
      await db.insertInto('groups').values({ id, name: g.name, name_key: nameKey(g.name), description: (g.description ?? '').slice(0, 1024), source: 'onprem', anchor: g.anchor, created_at: now }).execute();
      if (known) await db.updateTable('synced_objects').set({ ...row, local_id: id }).where('anchor', '=', g.anchor).execute();
      else await db.insertInto('synced_objects').values({ anchor: g.anchor, kind: 'group', local_id: id, ad_methods: null, ...row }).execute();
      return 'added';
    }
    if (known && known.dn !== g.dn) moves.set(known.dn.toLowerCase(), g.dn);
    const changed = local.name !== g.name || local.description !== (g.description ?? '') || !known || known.dn !== g.dn || known.member_dns !== memberDns || known.gone_at !== null;
    await db.updateTable('groups').set({ name: g.name, name_key: nameKey(g.name), description: (g.description ?? '').slice(0, 1024) }).where('id', '=', local.id).execute();
    if (known) await db.updateTable('synced_objects').set(row).where('anchor', '=', g.anchor).execute();
    else await db.insertInto('synced_objects').values({ anchor: g.anchor, kind: 'group', local_id: local.id, ad_methods: null, ...row }).execute();
    return changed ? 'updated' : 'same';
  }

  /** A user or group left AD's scope: users are disabled (not erased) and their sessions end; groups lose their members. */
  private async leave(db: Db, anchor: string, reason: string): Promise<boolean> {
    const known = await this.synced(db, anchor);
    if (!known || known.gone_at !== null) return false;
    await db.updateTable('synced_objects').set({ gone_at: this.d.clock.now(), gone_reason: reason }).where('anchor', '=', anchor).execute();
    if (known.kind === 'user') {
      await db.updateTable('users').set({ enabled: 0, updated_at: this.d.clock.now() }).where('id', '=', known.local_id).execute();
      await db.deleteFrom('group_members').where('member_type', '=', 'user').where('member_id', '=', known.local_id).where('group_id', 'in', db.selectFrom('groups').select('id').where('source', '=', 'onprem')).execute();
      await db.deleteFrom('sessions').where('user_id', '=', known.local_id).execute();
    } else {
      await db.deleteFrom('group_members').where('group_id', '=', known.local_id).execute();
      await db.deleteFrom('group_members').where('member_type', '=', 'group').where('member_id', '=', known.local_id).execute();
    }
    return true;
  }

  /** Group members from the DNs AD listed, resolved to the synced users and groups (members outside the scope are left out). */
  private async resolveMembers(db: Db): Promise<void> {
    const groups = await db.selectFrom('synced_objects').select(['local_id', 'member_dns']).where('kind', '=', 'group').where('gone_at', 'is', null).execute();
    const all = await db.selectFrom('synced_objects').select(['kind', 'local_id', 'dn_key']).where('gone_at', 'is', null).execute();
    const byDn = new Map(all.map((o) => [o.dn_key, o]));
    const now = this.d.clock.now();
    for (const g of groups) {
      const wanted = (JSON.parse(g.member_dns ?? '[]') as string[]).map((dn) => byDn.get(dn.toLowerCase())).filter((m): m is (typeof all)[number] => !!m);
      const want = new Set(wanted.map((m) => `${m.kind}:${m.local_id}`));
      const have = await db.selectFrom('group_members').select(['member_type', 'member_id']).where('group_id', '=', g.local_id).execute();
      const haveSet = new Set(have.map((m) => `${m.member_type}:${m.member_id}`));
      for (const type of ['user', 'group'] as const) {
        const stale = have.filter((m) => m.member_type === type && !want.has(`${type}:${m.member_id}`)).map((m) => m.member_id);
        for (let i = 0; i < stale.length; i += MEMBER_BATCH) {
          await db.deleteFrom('group_members').where('group_id', '=', g.local_id).where('member_type', '=', type).where('member_id', 'in', stale.slice(i, i + MEMBER_BATCH)).execute();
        }
      }
      const missing = [...new Map(wanted.filter((m) => !haveSet.has(`${m.kind}:${m.local_id}`)).map((m) => [`${m.kind}:${m.local_id}`, m])).values()];
      for (let i = 0; i < missing.length; i += MEMBER_BATCH) {
        const rows = missing.slice(i, i + MEMBER_BATCH).map((m) => ({ group_id: g.local_id, member_type: m.kind, member_id: m.local_id, added_at: now }));
        await db.insertInto('group_members').values(rows).onConflict((oc) => oc.columns(['group_id', 'member_type', 'member_id']).doNothing()).execute();
      }
    }
  }

  /**
   * The run is complete: memberships resolved; after a full import, everything synced before but
   * not seen now has left the scope; the cursor for the next delta is stored; the run audited.
   */
  async finishRun(runId: string, outcome: { full: boolean; cursor: SyncCursor; scopeKey?: string | null }): Promise<SyncRun> {
    const incomplete = this.dropPartial(runId);
    await this.state.ensure();
    await this.db.transaction().execute(async (trx) => {
      let disabled = 0;
      // Seen, though not complete: a full import must not retire them.
      for (const g of incomplete) await trx.updateTable('synced_objects').set({ last_run_id: runId }).where('anchor', '=', g.anchor).execute();
      if (outcome.full) {
        const unseen = await trx.selectFrom('synced_objects').select('anchor').where('gone_at', 'is', null).where((eb) => eb.or([eb('last_run_id', 'is', null), eb('last_run_id', '!=', runId)])).execute();
        for (const o of unseen) if (await this.leave(trx, o.anchor, 'not_in_full_import')) disabled++;
      }
      await this.resolveMembers(trx);
      await this.addToRun(trx, runId, { added: 0, updated: 0, disabled, errors: incomplete.length }, [], incomplete.map((g) => `the members of group ${g.name} did not all arrive; it was left as it was`));
      const now = this.d.clock.now();
      await this.state.saveCursor(trx, outcome.cursor, now, outcome.scopeKey ?? null);
      await trx.updateTable('sync_runs').set({ status: 'done', finished_at: now }).where('id', '=', runId).execute();
    });
    const run = (await this.run(runId))!;
    await this.d.audit.record({ event: 'sync_run', outcome: run.errors > 0 ? 'info' : 'success', actor: { id: run.agentId, name: 'sync' }, details: { run: runId, kind: run.kind, trigger: run.trigger, added: run.added, updated: run.updated, disabled: run.disabled, errors: run.errors } });
    return run;
  }

  /** A delta the agent had to turn into a full import. */
  async markFull(runId: string): Promise<string> {
    await this.db.updateTable('sync_runs').set({ kind: 'full' }).where('id', '=', runId).execute();
    return runId;
  }

  async failRun(runId: string, problem: string): Promise<void> {
    this.dropPartial(runId);
    await this.addToRun(this.db, runId, { added: 0, updated: 0, disabled: 0, errors: 1 }, [], [problem.slice(0, 500)]);
    await this.db.updateTable('sync_runs').set({ status: 'failed', finished_at: this.d.clock.now() }).where('id', '=', runId).execute();
    await this.d.audit.record({ event: 'sync_run', outcome: 'failure', actor: { id: null, name: 'sync' }, details: { run: runId, problem: problem.slice(0, 200) } });
  }

  /** Housekeeping: finished runs past the audit retention (each is audited), keeping the latest 50 whatever their age. */
  async pruneRuns(now: number, retentionDays: number): Promise<number> {
    const keep = this.db.selectFrom('sync_runs').select('id').orderBy('started_at', 'desc').limit(50);
    const r = await this.db.deleteFrom('sync_runs').where('status', '!=', 'running').where('finished_at', '<', now - retentionDays * 86_400_000).where('id', 'not in', keep).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async run(id: string): Promise<SyncRun | null> {
    const r = await this.db.selectFrom('sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRun(r) : null;
  }

  async runs(limit = 20): Promise<SyncRun[]> {
    const rows = await this.db.selectFrom('sync_runs').selectAll().orderBy('started_at', 'desc').limit(Math.min(Math.max(limit, 1), 200)).execute();
    return rows.map(toRun);
  }
}
