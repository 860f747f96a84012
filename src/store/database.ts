import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { postgresEvents, processEvents, type StoreEvents } from './events.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** The store: one Kysely instance over SQLite or PostgreSQL, chosen by the database URL. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** A short description for logs and doctor output, without credentials. */
  readonly description: string;
  /** Notices to every portal instance on this database (store/events.ts). */
  readonly events: StoreEvents;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// PostgreSQL returns BIGINT as strings; our bigints are millisecond timestamps, well inside 2^53.
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 /* int8 */) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * A pooled client whose lost connection never becomes an uncaught exception. pg-pool listens
 * for errors only on idle clients; a client checked out when PostgreSQL restarts emits `error`
 * too (its query fails with it, which the caller sees), and without a listener that would end
 * the process. The pool drops such a client when it is released (it is no longer queryable).
 */
class ResilientClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

/** How many prepared statements a SQLite store keeps (the portal's queries are a few hundred distinct texts at most). */
const STATEMENT_CACHE = 500;

/**
 * Kysely prepares every query anew; better-sqlite3's statements can be run again and again, so
 * each SQL text is prepared once (SQLite re-prepares a statement by itself after a schema
 * change). Kysely runs one query at a time on its one SQLite connection, so a cached statement
 * is never in use twice at once.
 */
function withStatementCache(database: SQLite.Database): { prepare(sql: string): SQLite.Statement; close(): void } {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(text) {
      let statement = statements.get(text);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE) statements.clear();
        statement = database.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    close: () => database.close(),
  };
}

export function openStore(url: string, options: { baseDir?: string; poolSize?: number } = {}): Store {
  if (url.startsWith('sqlite:')) {
    const rawPath = url.slice('sqlite:'.length);
    const file = rawPath === ':memory:' ? rawPath : resolve(options.baseDir ?? process.cwd(), rawPath);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const database = new SQLite(file);
    // WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // SQLite's built-in lower() folds ASCII only; PostgreSQL folds all of Unicode. User search
    // compares lower(column) with a JavaScript-lower-cased query, so both dialects fold alike.
    database.function('lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
    const events = processEvents();
    return {
      db,
      dialect: 'sqlite',
      description: `SQLite ${file}`,
      events,
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: async () => {
        await events.close();
        await db.destroy();
      },
    };
  }
  const parsed = new URL(url);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes, connectionTimeoutMillis: 5000, Client: ResilientClient });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const events = postgresEvents(url, pool);
  return {
    db,
    dialect: 'postgres',
    description: `PostgreSQL ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`,
    events,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await events.close();
      await db.destroy();
    },
  };
}

export function migratorFor(store: Store): Migrator {
  return new Migrator({ db: store.db, provider: migrationProvider, migrationTableName: 'sspr_migrations', migrationLockTableName: 'sspr_migrations_lock' });
}

/** Runs all pending migrations; throws an Error naming the failing migration. */
export async function migrateToLatest(store: Store): Promise<MigrationResultSet> {
  const result = await migratorFor(store).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
  return result;
}

export async function pendingMigrations(store: Store): Promise<string[]> {
  const list = await migratorFor(store).getMigrations();
  return list.filter((m) => !m.executedAt).map((m) => m.name);
}
