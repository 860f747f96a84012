import pg from 'pg';
import { randomBytes } from 'node:crypto';
/** The server the test setup makes sure is running (scripts/test-prerequisites.sh). */
export const postgresAdminUrl = process.env['SSPR_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/**
 * A fresh, empty database per test file, dropped afterwards: tests never share state and a
 * failing run leaves nothing that the next run trips over (names are random).
 */
export async function createTestDatabase() {
    const name = `sspr_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    try {
        await admin.query(`CREATE DATABASE ${name}`);
    }
    finally {
        await admin.end();
    }
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${name}`;
    return {
        url: url.toString(),
        async drop() {
            const c = new pg.Client({ connectionString: postgresAdminUrl });
            await c.connect();
            try {
                await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            }
            finally {
                await c.end();
            }
        },
    };
}
//# sourceMappingURL=postgres.js.map