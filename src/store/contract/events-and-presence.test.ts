import { beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { dialects } from '../../../test/helpers/test-portal.js';
import { postgresAdminUrl } from '../../../test/helpers/postgres.js';
import { until } from '../../../test/helpers/wait.js';
import { contractFixture, type ManualClock } from '../../../test/helpers/store-contract.js';
import { AgentPresence } from '../../writeback/agent-presence.js';
import { MAX_NOTICE_BYTES } from '../events.js';
import { openStore, type Store } from '../database.js';

/**
 * What several portal instances on one database use to hand a job to the instance holding the
 * agent: notices (LISTEN/NOTIFY on PostgreSQL, the process on SQLite) and the agents' presence.
 */

const noticeOn = (store: Store, channel: string) =>
  new Promise<string>((resolve) => {
    void store.events.listen(channel, resolve);
  });


describe.each(dialects)('notices and agent presence on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  beforeEach(() => {
    ({ store, clock } = fx);
  });

  const agent = async (name: string, revoked = false) => {
    const id = `agent-${name}`;
    await store.db
      .insertInto('agents')
      .values({ id, name, signing_key: 'k', sealing_key: 'k', version: null, domain: null, domain_policy: null, rights_report: null, registered_at: 0, last_seen_at: null, revoked_at: revoked ? 1 : null })
      .execute();
    return id;
  };

  it('a notice reaches every listener of its channel, and only of its channel', async () => {
    const heard: string[] = [];
    await store.events.listen('sspr_other', (p) => heard.push(`other:${p}`));
    const first = noticeOn(store, 'sspr_test');
    const second = noticeOn(store, 'sspr_test');
    await new Promise((r) => setTimeout(r, 50));
    await store.events.notify('sspr_test', '{"hello":"instances"}');
    expect(await first).toBe('{"hello":"instances"}');
    expect(await second).toBe('{"hello":"instances"}');
    expect(heard).toEqual([]);
  });

  it('refuses a channel that is not a plain name and a payload over the notice limit, sending nothing', async () => {
    await expect(store.events.notify('bad"; DROP TABLE users; --', 'x')).rejects.toThrow('not a channel name');
    await expect(store.events.listen('Upper', () => undefined)).rejects.toThrow('not a channel name');
    await expect(store.events.notify('sspr_test', 'x'.repeat(MAX_NOTICE_BYTES + 1))).rejects.toThrow('limited');
    expect(await store.db.selectFrom('users').select('id').execute()).toEqual([]);
  });

  it('presence names the instance holding each live connection; a newer connection elsewhere wins, and an old one closing does not remove it', async () => {
    const a = await agent('a');
    const b = await agent('b');
    const one = new AgentPresence(store, clock, 'instance-1');
    const two = new AgentPresence(store, clock, 'instance-2');
    await one.connected(a);
    await one.connected(b);
    clock.advance(1_000);
    await two.connected(b);
    expect((await two.online()).map((p) => [p.agentId, p.instanceId])).toEqual([
      [a, 'instance-1'],
      [b, 'instance-2'],
    ]);
    await one.disconnected(b);
    expect((await one.online()).find((p) => p.agentId === b)?.instanceId).toBe('instance-2');
    await one.leave();
    expect((await two.online()).map((p) => p.agentId)).toEqual([b]);
  });

  it('a connection not heard of for three heartbeats, or of a revoked agent, is not online', async () => {
    const a = await agent('a');
    const gone = await agent('gone', true);
    const one = new AgentPresence(store, clock, 'instance-1');
    await one.connected(a);
    await one.connected(gone);
    clock.advance(44_000);
    await one.seen(a);
    clock.advance(2_000);
    expect((await one.online()).map((p) => p.agentId)).toEqual([a]);
    clock.advance(45_000);
    expect(await one.online()).toEqual([]);
  });

  if (dialect === 'postgres') {
    it('a notice from one instance reaches another instance on the same database', async () => {
      const url = new URL(postgresAdminUrl);
      url.pathname = `/${(await sql<{ db: string }>`select current_database() as db`.execute(store.db)).rows[0]!.db}`;
      const other = openStore(url.toString(), { poolSize: 1 });
      try {
        const heard = noticeOn(other, 'sspr_test');
        await until(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like 'LISTEN%'`.execute(store.db)).rows[0]!.n > 0);
        await store.events.notify('sspr_test', 'from instance 1');
        expect(await heard).toBe('from instance 1');
      } finally {
        await other.close();
      }
    });

    it('the listening connection comes back after PostgreSQL drops it, and hears notices again', async () => {
      const heard: string[] = [];
      await store.events.listen('sspr_test', (p) => heard.push(p));
      const listeners = () => sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and query like 'LISTEN%'`.execute(store.db);
      const [before] = (await listeners()).rows;
      await sql`select pg_terminate_backend(${before!.pid})`.execute(store.db);
      await until(async () => (await listeners()).rows.some((r) => r.pid !== before!.pid));
      await store.events.notify('sspr_test', 'after the drop');
      await until(async () => heard.includes('after the drop'));
      expect(heard).toEqual(['after the drop']);
    });
  }
});
