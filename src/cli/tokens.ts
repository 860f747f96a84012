import { Option, type Command } from 'commander';
import { apiScopes, apiTokenRefusals, tokenStatus, type ApiScope, type ApiToken, type ApiTokenRefusal, type InvalidToken, apiAreas, tokenScopes } from '../api/tokens.js';
import type { Refused } from '../shared/result.js';
import { isMessageKey, translator } from '../i18n/index.js';
import { CliExit, EXIT, openPortal, type CliIO } from './context.js';

const t = translator('en');
const CLI_ACTOR = { id: null, name: 'cli' };

function say(io: CliIO, line: string): void {
  io.stdout.write(`${line}\n`);
}

/** Fields of the service as the command line spells them. */
const optionOf: Record<string, string> = { scope: '--scope', areas: '--area', expiresInDays: '--expires-days' };

/** A refused outcome as `error:` lines and the exit code (README "CLI"). */
function refused(io: CliIO, outcome: Refused<ApiTokenRefusal> | InvalidToken): number {
  if (outcome.reason === 'invalid') {
    for (const [field, key] of Object.entries(outcome.errors)) io.stderr.write(`error: ${optionOf[field.split('.')[0]!] ?? field}: ${isMessageKey(key) ? t(key) : key}\n`);
    return EXIT.usage;
  }
  const refusal = apiTokenRefusals[outcome.reason];
  io.stderr.write(`error: ${t(refusal.message)}\n`);
  return refusal.kind === 'not_found' ? EXIT.notFound : EXIT.refused;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function tokenLine(token: ApiToken, now: number): string {
  return [token.id, token.name, tokenScopes(token).join(','), tokenStatus(token, now), iso(token.createdAt), iso(token.lastUsedAt), iso(token.expiresAt), iso(token.revokedAt)].join('\t');
}

/** `sspr token create|list|revoke`. */
export function registerTokenCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const token = program.command('token').description('manage API tokens (for /api/v1)');

  token
    .command('create <name>')
    .description('create an API token and print it once (only its hash is stored)')
    .addOption(new Option('--scope <scope>', 'read: GET only; write: also changes').choices([...apiScopes]).default('read'))
    .option('--area <area...>', `only these areas of the API, each at --scope or with its own level (default: every area), e.g. --area settings:write audit:read; areas: ${apiAreas.join(', ')}`)
    .option('--expires-days <n>', 'days until the token stops working (1-3650; default: never)')
    .action(async (name: string, opts: { scope: ApiScope; area?: string[]; expiresDays?: string }, cmd: Command) => {
      let expiresInDays: number | null = null;
      if (opts.expiresDays !== undefined) {
        if (!/^\d{1,4}$/.test(opts.expiresDays.trim())) throw new CliExit(EXIT.usage, `--expires-days: ${t('v.apiToken.expiresInDays')}`);
        expiresInDays = Number(opts.expiresDays.trim());
      }
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const r = await portal.apiTokens.create(CLI_ACTOR, { name, scope: opts.scope, areas: opts.area ?? null, expiresInDays });
        if (!r.ok) return setExit(refused(io, r));
        const { record } = r.value;
        say(io, `Created API token ${record.name} (${tokenScopes(record).join(', ')}, ${record.expiresAt === null ? 'does not expire' : `expires ${iso(record.expiresAt)}`}, id ${record.id}).`);
        say(io, `Token: ${r.value.token}`);
        say(io, 'This is the only time the token is shown: store it safely now.');
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  token
    .command('list')
    .description('list API tokens (tab-separated: id, name, scope, status, created, last used, expires, revoked)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const tokens = await portal.apiTokens.list();
        const now = portal.clock.now();
        if (opts.json) say(io, JSON.stringify(tokens.map((x) => ({ ...x, status: tokenStatus(x, now) })), null, 2));
        else for (const x of tokens) say(io, tokenLine(x, now));
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  token
    .command('revoke <name-or-id>')
    .description('revoke an API token at once')
    .action(async (which: string, _opts: unknown, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const found = await portal.apiTokens.find(which);
        if (!found.ok) return setExit(refused(io, found));
        const r = await portal.apiTokens.revoke(CLI_ACTOR, found.value.id);
        if (!r.ok) return setExit(refused(io, r));
        say(io, `Revoked API token ${r.value.name} (id ${r.value.id}).`);
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });
}
