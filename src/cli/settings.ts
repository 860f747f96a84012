import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Portal } from '../app/portal.js';
import { isStoredPath, isStoredSection, storedSectionNames, type StoredSection } from '../config/stored-sections.js';
import { translator } from '../i18n/index.js';
import { setAt, valueAt } from '../policy/settings.js';
import { isPlainObject, publicView } from '../settings/document.js';
import { fieldsOf, secretPaths } from '../settings/fields.js';
import type { SettingsUpdate, SettingsVersion } from '../settings/settings-service.js';
import { CliExit, EXIT, expectedVersionOption, historyLimit, readStdin, withPortal, type CliIO } from './context.js';

const t = translator('en');
const CLI_ACTOR = { id: null, name: 'cli' };
/** What `settings export` writes and `settings import` reads. */
export const EXPORT_FORMAT = 'openssspr-settings/1';

function say(io: CliIO, text: string): void {
  io.stdout.write(`${text}\n`);
}

function sectionArg(name: string | undefined): StoredSection[] {
  if (name === undefined) return storedSectionNames;
  if (!isStoredSection(name)) throw new CliExit(EXIT.usage, `${name}: not a settings section (the sections are: ${storedSectionNames.join(', ')})`);
  return [name];
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** Every setting of a section as `section.path = value` lines; secrets as (set), fixed ones marked. */
function printSection(io: CliIO, portal: Portal, v: SettingsVersion): void {
  const view = publicView(v.section, v.values);
  say(io, `# ${v.section}: ${v.version === 0 ? 'version 0 (the configuration file)' : `version ${v.version}, ${iso(v.changedAt)} by ${v.changedBy ?? '-'}`}`);
  for (const f of fieldsOf(v.section)) {
    const value = valueAt(view, f.path);
    const text = value === undefined ? '(not set)' : isPlainObject(value) ? '(set)' : Array.isArray(value) ? value.join(',') : String(value);
    say(io, `${v.section}.${f.path} = ${text}${portal.settings.isFixed(v.section, f.path) ? '   (fixed by the configuration)' : ''}`);
  }
}

/** `key=value`: JSON when it parses (numbers, booleans, null, lists), else the text; `-` reads the value from standard input (for secrets). */
async function assignment(io: CliIO, section: StoredSection, arg: string): Promise<{ key: string; value: unknown }> {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new CliExit(EXIT.usage, `${arg}: expected key=value (for example smtp.host=mail.example.com)`);
  const key = arg.slice(0, eq).trim().replace(new RegExp(`^${section}\\.`), '');
  if (!isStoredPath(`${section}.${key}`)) throw new CliExit(EXIT.usage, `${key}: not a setting of ${section} (see sspr settings show ${section})`);
  const text = arg.slice(eq + 1);
  if (text === '-') return { key, value: await readStdin(io.stdin) };
  if (secretPaths(section).includes(key) && text !== 'null') throw new CliExit(EXIT.usage, `${key} is a secret: give it as ${key}=- and type it on standard input, so it stays out of the shell's history`);
  try {
    return { key, value: JSON.parse(text) as unknown };
  } catch {
    return { key, value: key === 'daysBefore' ? text.split(',').map((x) => Number(x.trim())) : text };
  }
}

/** The outcome of a save (or a refusal) in words; the exit code. */
function report(io: CliIO, section: StoredSection, r: SettingsUpdate<StoredSection> | { ok: true; changed: string[] }, before?: number): number {
  if (r.ok) {
    if ('changed' in r) say(io, r.changed.length ? `${section}: would change ${r.changed.join(', ')}` : `${section}: nothing would change`);
    else say(io, r.value.version === before ? `${section}: nothing changed (already so).` : `${section}: saved as version ${r.value.version}.`);
    return EXIT.ok;
  }
  if (r.reason === 'conflict') io.stderr.write(`error: ${t('settings.conflict')}\n`);
  else if (r.reason === 'fixed') io.stderr.write(`error: ${t('settings.fixed.refused', { paths: r.paths.map((p) => `${section}.${p}`).join(', ') })}\n`);
  else for (const [path, p] of Object.entries(r.errors)) io.stderr.write(`error: ${section}${path === '_form' ? '' : `.${path}`}: ${t(p.key, p.vars)}\n`);
  return r.reason === 'invalid' ? EXIT.usage : EXIT.refused;
}

function readJson(io: CliIO, text: string, what: string): Record<string, unknown> {
  try {
    const doc = JSON.parse(text) as unknown;
    if (isPlainObject(doc)) return doc;
  } catch (err) {
    throw new CliExit(EXIT.usage, `${what}: not valid JSON (${(err as Error).message})`);
  }
  throw new CliExit(EXIT.usage, `${what}: expected a JSON object`);
}

export function registerSettingsCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const settings = program.command('settings').description(`show, change, export and import the stored settings (${storedSectionNames.join(', ')})`);

  settings
    .command('show [section]')
    .description('print the settings in force, one per line (secrets only as "(set)")')
    .option('--json', 'as JSON, with each section\'s version')
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const sections = sectionArg(name);
      await withPortal(io, cfg(cmd), async (portal) => {
        const all = await portal.settings.refresh();
        if (opts.json) say(io, JSON.stringify(Object.fromEntries(sections.map((s) => [s, { version: all[s].version, changedAt: iso(all[s].changedAt), changedBy: all[s].changedBy, settings: portal.settings.view(all[s]), fixed: portal.settings.fixedPaths(s) }])), null, 2));
        else for (const s of sections) printSection(io, portal, all[s]);
      });
      setExit(EXIT.ok);
    });

  settings
    .command('set <section> <settings...>')
    .description('change settings of one section: key=value with dotted keys, e.g. sspr settings set delivery mode=smtp smtp.host=mail.example.com smtp.password=-')
    .option('--comment <text>', 'why, for the history and the audit log')
    .option('--expected-version <n>', 'refuse the change if the section is no longer at this version')
    .action(async (name: string, assignments: string[], opts: { comment?: string; expectedVersion?: string }, cmd: Command) => {
      const [section] = sectionArg(name) as [StoredSection];
      const expected = expectedVersionOption(opts.expectedVersion);
      const patch: Record<string, unknown> = {};
      for (const arg of assignments) {
        const { key, value } = await assignment(io, section, arg);
        setAt(patch, key, value);
      }
      setExit(
        await withPortal(io, cfg(cmd), async (portal) => {
          const before = (await portal.settings.refresh())[section].version;
          const r = await portal.settings.update(CLI_ACTOR, section, patch, { mode: 'merge', ...expected, ...(opts.comment ? { comment: opts.comment } : {}) });
          return report(io, section, r, before);
        }),
      );
    });

  settings
    .command('history <section>')
    .description('list the versions of a section, newest first (tab-separated: version, saved at, by, comment)')
    .option('--limit <n>', 'how many versions (default 20)')
    .action(async (name: string, opts: { limit?: string }, cmd: Command) => {
      const [section] = sectionArg(name) as [StoredSection];
      const limit = historyLimit(opts.limit);
      await withPortal(io, cfg(cmd), async (portal) => {
        for (const v of await portal.settings.history(section, limit)) say(io, [v.version, iso(v.changedAt), v.changedBy ?? '-', v.comment ?? ''].join('\t'));
        say(io, ['0', '-', 'configuration', 'starting values from the configuration'].join('\t'));
      });
      setExit(EXIT.ok);
    });

  settings
    .command('export')
    .description('print every section as JSON for `sspr settings import` on another portal; secrets are left out')
    .action(async (_opts: unknown, cmd: Command) => {
      await withPortal(io, cfg(cmd), async (portal) => {
        const all = await portal.settings.refresh();
        const sections = Object.fromEntries(
          storedSectionNames.map((s) => {
            const view = publicView(s, all[s].values);
            for (const path of secretPaths(s)) if (isPlainObject(valueAt(view, path))) setAt(view, path, undefined);
            return [s, JSON.parse(JSON.stringify(view)) as unknown];
          }),
        );
        say(io, JSON.stringify({ format: EXPORT_FORMAT, exportedAt: new Date(portal.clock.now()).toISOString(), sections }, null, 2));
      });
      setExit(EXIT.ok);
    });

  settings
    .command('import <file>')
    .description('read an export (a file, or - for standard input): prints what would change; --apply saves it. Secrets here are kept; fixed settings are left as the configuration has them')
    .option('--apply', 'save the changes (without it nothing is saved)')
    .option('--comment <text>', 'why, for the history and the audit log')
    .action(async (file: string, opts: { apply?: boolean; comment?: string }, cmd: Command) => {
      let text: string;
      try {
        text = file === '-' ? await readStdin(io.stdin) : readFileSync(resolve(io.cwd, file), 'utf8');
      } catch (err) {
        throw new CliExit(EXIT.usage, `${file}: cannot read it (${(err as Error).message})`);
      }
      const doc = readJson(io, text, file);
      if (doc['format'] !== EXPORT_FORMAT || !isPlainObject(doc['sections'])) throw new CliExit(EXIT.usage, `${file}: not a settings export (expected "format": "${EXPORT_FORMAT}" and "sections")`);
      const given = doc['sections'];
      const unknown = Object.keys(given).filter((s) => !isStoredSection(s));
      if (unknown.length) throw new CliExit(EXIT.usage, `${file}: not settings sections: ${unknown.join(', ')}`);
      setExit(
        await withPortal(io, cfg(cmd), async (portal) => {
          let code: number = EXIT.ok;
          const sections = Object.keys(given) as StoredSection[];
          // Every section checked before anything is saved: a bad file changes nothing.
          for (const s of sections) {
            const fixed = portal.settings.fixedPaths(s);
            const input = JSON.parse(JSON.stringify(given[s])) as Record<string, unknown>;
            for (const p of fixed) if (p) setAt(input, p, undefined);
            const preview = await portal.settings.preview(s, JSON.parse(JSON.stringify(input)), { mode: 'replace' });
            if (!opts.apply || !preview.ok) code = Math.max(code, report(io, s, preview));
          }
          if (!opts.apply || code !== EXIT.ok) {
            if (!opts.apply) say(io, 'Dry run: nothing was saved. Run again with --apply to save.');
            return code;
          }
          for (const s of sections) {
            const input = JSON.parse(JSON.stringify(given[s])) as Record<string, unknown>;
            for (const p of portal.settings.fixedPaths(s)) if (p) setAt(input, p, undefined);
            const before = (await portal.settings.refresh())[s].version;
            code = Math.max(code, report(io, s, await portal.settings.update(CLI_ACTOR, s, JSON.parse(JSON.stringify(input)), { mode: 'replace', comment: opts.comment ?? 'imported' }), before));
          }
          return code;
        }),
      );
    });
}
