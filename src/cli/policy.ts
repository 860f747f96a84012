import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Portal } from '../app/portal.js';
import { isMessageKey, translator } from '../i18n/index.js';
import { changedPaths, type Policy } from '../policy/policy.js';
import { policyConflictMessage, type PolicyVersion } from '../policy/policy-service.js';
import { policySettings, sectionPages, setAt, valueAt } from '../policy/settings.js';
import { CliExit, EXIT, openPortal, readStdin, type CliIO } from './context.js';

const t = translator('en');
const CLI_ACTOR = { id: null, name: 'cli' };

function say(io: CliIO, text: string): void {
  io.stdout.write(`${text}\n`);
}

function count(raw: string | undefined, option: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) throw new CliExit(EXIT.usage, `${option} must be a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  return Number(raw);
}

function isoOrDash(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

/** Every key `policy set` accepts: each setting's dotted path and the objects above them (`questions`, `onPremises`). */
const settableKeys = new Set(policySettings.flatMap((s) => s.path.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))));

/**
 * A `key=value` argument: the value as JSON when it parses (numbers, booleans, null, arrays),
 * else as the text itself. Lists may also be written `a,b` (methods, groups); an empty helpdesk
 * means none.
 */
function parseAssignment(arg: string): { key: string; value: unknown } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new CliExit(EXIT.usage, `${arg}: expected key=value (for example methodsRequired=2)`);
  const key = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1);
  if (!settableKeys.has(key)) throw new CliExit(EXIT.usage, `${key}: not a policy setting (the settings are: ${policySettings.map((s) => s.path).join(', ')})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  if ((key === 'groups' || key === 'methodsAvailable') && typeof value === 'string') {
    value = value
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
  }
  if (key === 'customization.helpdesk' && value === '') value = null;
  return { key, value };
}

async function readDocument(io: CliIO, file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = file === '-' ? await readStdin(io.stdin) : readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new CliExit(EXIT.usage, `--file ${file}: cannot read it (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliExit(EXIT.usage, `--file ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CliExit(EXIT.usage, `--file ${file}: ${t('v.policy.document')}`);
  // `policy show --json` prints the policy with its version: accept that shape back as it is.
  const inner = (doc as Record<string, unknown>)['policy'];
  if ('version' in doc && typeof inner === 'object' && inner !== null && !Array.isArray(inner)) return inner as Record<string, unknown>;
  return doc as Record<string, unknown>;
}

/** Group names become ids; an id stays; anything else is left for the policy's validation to name. */
async function resolveGroups(portal: Portal, patch: Record<string, unknown>): Promise<void> {
  const groups = patch['groups'];
  if (!Array.isArray(groups)) return;
  const ids: unknown[] = [];
  for (const g of groups) {
    if (typeof g !== 'string') {
      ids.push(g);
      continue;
    }
    const byName = await portal.groups.byName(g);
    ids.push(byName ? byName.id : g);
  }
  patch['groups'] = ids;
}

function valueText(path: string, value: unknown, groupNames: Map<string, string>): string {
  if (path === 'groups' && Array.isArray(value)) return value.map((id) => groupNames.get(String(id)) ?? `${String(id)} (no such group)`).join(', ') || '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map((x) => (path === 'questions.custom' ? JSON.stringify(x) : String(x))).join(', ');
  if (value === null) return '-';
  return String(value);
}

async function printReadable(io: CliIO, portal: Portal, v: PolicyVersion): Promise<void> {
  const groupNames = new Map((await portal.groups.list()).map((g) => [g.id, g.name]));
  const width = Math.max(...policySettings.map((s) => s.path.length)) + 2;
  say(io, `SSPR policy version ${v.version}${v.version === 0 ? ' (the starting policy from the configuration)' : `, saved ${isoOrDash(v.changedAt)} by ${v.changedBy ?? '-'}`}`);
  if (v.comment) say(io, `comment: ${v.comment}`);
  for (const page of sectionPages) {
    say(io, '');
    say(io, t(page.title));
    for (const s of policySettings.filter((x) => x.section === page.section)) say(io, `  ${s.path.padEnd(width)}${valueText(s.path, valueAt(v.policy, s.path), groupNames)}`);
  }
  say(io, '');
  say(io, t('policy.twoGate'));
}

/** `sspr policy show|set|history`: the same PolicyService the console uses. */
/**
 * Saves a change to the policy (`policy set`, `password rules set`, `password banned import`) and
 * says what happened: the new version and the settings it changed, every refused setting in plain
 * words (exit 2, nothing saved), or a concurrent change (exit 5). Returns the exit code.
 */
export async function savePolicyPatch(io: CliIO, portal: Portal, patch: Record<string, unknown>, options: { expectedVersion?: number; comment?: string | undefined }): Promise<number> {
  const before = await portal.policy.refresh();
  const outcome = await portal.policy.update(CLI_ACTOR, patch, { ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}), ...(options.comment !== undefined ? { comment: options.comment } : {}) });
  if (outcome.ok) {
    const v = outcome.value;
    if (v.version === before.version) say(io, `Nothing changed: the policy is still version ${v.version}.`);
    else say(io, `Saved policy version ${v.version} (changed: ${changedPaths(before.policy, v.policy).join(', ')}).`);
    return EXIT.ok;
  }
  if (outcome.reason === 'invalid') {
    for (const [path, key] of Object.entries(outcome.errors)) io.stderr.write(`error: ${path}: ${isMessageKey(key) ? t(key) : key}\n`);
    return EXIT.usage;
  }
  io.stderr.write(`error: ${t(policyConflictMessage)}\n`);
  return EXIT.refused;
}

export function registerPolicyCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const policy = program.command('policy').description('show, change and list versions of the self-service password reset policy');

  policy
    .command('show')
    .description('print the policy by section (or as JSON)')
    .option('--json', 'print the policy document as JSON with its version')
    .option('--version <n>', 'an earlier version (see `sspr policy history`)')
    .action(async (opts: { json?: boolean; version?: string }, cmd: Command) => {
      const wanted = count(opts.version, '--version', 0);
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        const v = wanted === undefined ? await portal.policy.refresh() : await portal.policy.version(wanted);
        if (!v) throw new CliExit(EXIT.notFound, `error: no policy version ${wanted}`);
        if (opts.json) say(io, JSON.stringify({ version: v.version, changedAt: v.changedAt === null ? null : new Date(v.changedAt).toISOString(), changedBy: v.changedBy, comment: v.comment, policy: v.policy }, null, 2));
        else await printReadable(io, portal, v);
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  policy
    .command('set [settings...]')
    .description('change settings: key=value with dotted keys, e.g. methodsRequired=2 questions.toAnswer=4 groups=Pilot,Helpdesk')
    .option('--file <path>', 'merge a JSON policy document (or part of one) from a file, or - for standard input')
    .option('--comment <text>', 'why, for the history and the audit log')
    .option('--expected-version <n>', 'refuse the change if the policy is no longer at this version')
    .action(async (assignments: string[], opts: { file?: string; comment?: string; expectedVersion?: string }, cmd: Command) => {
      const expectedVersion = count(opts.expectedVersion, '--expected-version', 0);
      const pairs = assignments.map(parseAssignment);
      if (pairs.length === 0 && opts.file === undefined) throw new CliExit(EXIT.usage, 'give settings as key=value, or --file (see sspr policy show for the keys)');
      const patch: Record<string, unknown> = opts.file !== undefined ? await readDocument(io, opts.file) : {};
      for (const { key, value } of pairs) setAt(patch, key, value);
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        await resolveGroups(portal, patch);
        setExit(await savePolicyPatch(io, portal, patch, { expectedVersion, comment: opts.comment }));
      } finally {
        await portal.store.close();
      }
    });

  policy
    .command('history')
    .description('list the versions, newest first (tab-separated: version, saved at, by, settings changed, comment)')
    .option('--limit <n>', 'how many versions (default 20)')
    .action(async (opts: { limit?: string }, cmd: Command) => {
      const limit = count(opts.limit, '--limit', 1) ?? 20;
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        const versions = await portal.policy.history(limit);
        const oldest = versions.at(-1);
        const before = oldest && oldest.version > 0 ? await portal.policy.version(oldest.version - 1) : null;
        versions.forEach((v, i) => {
          const previous: { policy: Policy } | null = versions[i + 1] ?? before;
          const changed = previous ? changedPaths(previous.policy, v.policy).join(',') : '';
          say(io, [v.version, isoOrDash(v.changedAt), v.changedBy ?? '-', changed || '-', v.comment ?? ''].join('\t'));
        });
        if ((!oldest || oldest.version === 1) && versions.length < limit) say(io, ['0', '-', 'configuration', '-', 'starting policy from the configuration'].join('\t'));
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });
}
