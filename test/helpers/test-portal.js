import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { configSchema } from '../../src/config/schema.js';
import { openStore, migrateToLatest } from '../../src/store/database.js';
import { buildPortal } from '../../src/app/portal.js';
import { createApp } from '../../src/app/http-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { manualClock, systemClock } from '../../src/shared/clock.js';
import { createTestDatabase } from './postgres.js';
export const dialects = ['sqlite', 'postgres'];
/** A store on a fresh SQLite file or a fresh PostgreSQL database, migrated, with its cleanup. */
export async function createTestStore(dialect, options = {}) {
    if (dialect === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'sspr-store-'));
        const url = `sqlite:${join(dir, 'sspr.db')}`;
        const store = openStore(url);
        if (options.migrate !== false)
            await migrateToLatest(store);
        return {
            store,
            url,
            async cleanup() {
                await store.close();
                rmSync(dir, { recursive: true, force: true });
            },
        };
    }
    const database = await createTestDatabase();
    const store = openStore(database.url, { poolSize: 5 });
    if (options.migrate !== false)
        await migrateToLatest(store);
    return {
        store,
        url: database.url,
        async cleanup() {
            await store.close();
            await database.drop();
        },
    };
}
/** Captures log lines so tests can assert what was (and was not) logged. */
export function logCapture() {
    const chunks = [];
    return {
        stream: new Writable({
            write(chunk, _enc, cb) {
                chunks.push(chunk.toString('utf8'));
                cb();
            },
        }),
        text: () => chunks.join(''),
    };
}
/**
 * The real portal and HTTP app over a real store. Argon2 runs with cheaper parameters than
 * production so the suite stays quick; the production defaults are tested separately.
 */
export async function createTestPortal(options = {}) {
    const { store, cleanup } = await createTestStore(options.dialect ?? 'sqlite');
    const input = {
        publicUrl: 'http://portal.test',
        passwordHashing: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
        logging: { level: 'info' },
        ...options.config,
        // Tests of other features sign in without the registration interrupt; its own tests turn it on.
        methods: { registrationRequired: false, ...options.config?.methods },
    };
    const config = configSchema.parse(input);
    const clock = options.manualTime ? manualClock(Date.now()) : systemClock;
    const logs = logCapture();
    const portal = buildPortal({ config, store, logger: createLogger('debug', logs.stream), clock, masterKey: randomBytes(32) });
    await portal.policy.refresh();
    return { portal, app: createApp(portal), store, clock, logs: logs.text, config, cleanup };
}
//# sourceMappingURL=test-portal.js.map