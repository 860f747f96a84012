import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from '../helpers/postgres-cluster.js';
import { logCapture, type TestPortal } from '../helpers/test-portal.js';
import { TestClient } from '../helpers/http-client.js';
import { flowOf, NEW_PASSWORD, passEmail, PASSWORD, registered, signInWorks, startReset } from '../helpers/reset-flow.js';
import { buildPortal } from '../../src/app/portal.js';
import { createApp } from '../../src/app/http-app.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/logger.js';
import { systemClock } from '../../src/shared/clock.js';
import { migrateToLatest, openStore } from '../../src/store/database.js';
import { sql } from 'kysely';

/**
 * PostgreSQL restarted in the middle of a reset flow (a server of the test's own, stopped and
 * started under the running portal): the flow lives in the store, so it goes on where it was;
 * the pool drops the connections the restart cut and opens new ones.
 */

let cluster: PostgresCluster;
let tp: TestPortal;

beforeAll(async () => {
  cluster = await startPostgresCluster();
  const store = openStore(cluster.url, { poolSize: 4 });
  await migrateToLatest(store);
  const config = configSchema.parse({ publicUrl: 'http://portal.test', passwordHashing: { memoryKiB: 1024, iterations: 1, parallelism: 1 }, reset: { captchaMaxNumber: 200 }, methods: { registrationRequired: false } });
  const logs = logCapture();
  const portal = buildPortal({ config, store, logger: createLogger('debug', logs.stream), clock: systemClock, masterKey: randomBytes(32) });
  await portal.policy.refresh();
  tp = { portal, app: createApp(portal), store, clock: systemClock, logs: logs.text, config, cleanup: () => store.close() };
}, 120_000);

afterAll(async () => {
  await tp?.portal.resets.settled();
  await tp?.cleanup();
  await cluster?.stop();
});

describe('scale-out: PostgreSQL restarted during a flow', { timeout: 60_000 }, () => {
  it('a statement running, or a transaction open, when PostgreSQL stops fails with an error the caller sees; the process lives on and the next statement works', async () => {
    const running = sql`select pg_sleep(20)`.execute(tp.store.db).then(
      () => null,
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 300));
    await cluster.restart();
    expect(await running).toMatchObject({ code: '57P01' });
    // A transaction between two statements holds a connection with nothing running on it: its loss must not end the process either.
    let restarted!: () => void;
    const between = new Promise<void>((r) => (restarted = r));
    const open = tp.store.db
      .transaction()
      .execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await between;
        await sql`select 2`.execute(trx);
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    await new Promise((r) => setTimeout(r, 300));
    await cluster.restart();
    restarted();
    expect(await open).toBeInstanceOf(Error);
    expect((await sql<{ one: number }>`select 1 as one`.execute(tp.store.db)).rows).toEqual([{ one: 1 }]);
  });

  it('a reset flow verified before the restart sets the new password after it, once; the old password no longer signs in', async () => {
    const { email } = await registered(tp.portal, 'rita');
    const client = new TestClient(tp.app);
    const flow = flowOf(await startReset(client, 'rita'));
    expect((await passEmail(tp, client, flow, email)).status).toBe(303);

    await cluster.restart();

    const done = await client.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(done.status).toBe(303);
    expect((await client.get(`/reset/verify?flow=${flow}`)).body).toContain('Your password was reset');
    // The finished flow refuses another password.
    await client.post('/reset/password', { flow, password: 'Another-Fresh-Pass-99', confirm: 'Another-Fresh-Pass-99' });
    expect(await signInWorks(tp, 'rita', 'Another-Fresh-Pass-99')).toBe(false);
    expect(await signInWorks(tp, 'rita', NEW_PASSWORD)).toBe(true);
    expect(await signInWorks(tp, 'rita', PASSWORD)).toBe(false);
    const resets = await tp.store.db.selectFrom('audit_events').select('outcome').where('event', '=', 'password_reset').execute();
    expect(resets).toEqual([{ outcome: 'success' }]);
  });
});
