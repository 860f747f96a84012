import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-directory.js';
import * as m0002 from './0002-sessions-and-flows.js';
import * as m0003 from './0003-audit.js';
import * as m0004 from './0004-methods-and-delivery.js';
import * as m0005 from './0005-password-history.js';
import * as m0006 from './0006-policy-api-reset.js';
import * as m0007 from './0007-agents-and-writeback.js';
import * as m0008 from './0008-sync.js';
import * as m0009 from './0009-agent-presence.js';
import * as m0010 from './0010-flow-id-hashes.js';
import * as m0011 from './0011-recovery-codes.js';
import * as m0012 from './0012-not-me.js';
import * as m0013 from './0013-helpdesk-scopes.js';
import * as m0014 from './0014-support-actions.js';
import * as m0015 from './0015-caller-verification.js';
import * as m0016 from './0016-store-key-canary.js';
import * as m0017 from './0017-branding.js';
import * as m0018 from './0018-user-language.js';
import * as m0019 from './0019-wording.js';
import * as m0020 from './0020-settings.js';
import * as m0021 from './0021-token-areas.js';
import * as m0022 from './0022-sync-scope.js';

/** Migrations are code, listed here in order; names never change once released. */
export const migrations: Record<string, Migration> = {
  '0001-directory': m0001,
  '0002-sessions-and-flows': m0002,
  '0003-audit': m0003,
  '0004-methods-and-delivery': m0004,
  '0005-password-history': m0005,
  '0006-policy-api-reset': m0006,
  '0007-agents-and-writeback': m0007,
  '0008-sync': m0008,
  '0009-agent-presence': m0009,
  '0010-flow-id-hashes': m0010,
  '0011-recovery-codes': m0011,
  '0012-not-me': m0012,
  '0013-helpdesk-scopes': m0013,
  '0014-support-actions': m0014,
  '0015-caller-verification': m0015,
  '0016-store-key-canary': m0016,
  '0017-branding': m0017,
  '0018-user-language': m0018,
  '0019-wording': m0019,
  '0020-settings': m0020,
  '0021-token-areas': m0021,
  '0022-sync-scope': m0022,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

export const latestMigration = Object.keys(migrations).at(-1)!;
