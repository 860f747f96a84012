import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Brand, BrandInput } from '../branding/brand.js';
import { logoPath, problemVars } from '../branding/brand.js';
import type { BrandUpdate, BrandVersion } from '../branding/brand-service.js';
import { translator } from '../i18n/index.js';
import { CliExit, EXIT, expectedVersionOption, historyLimit, withPortal, type CliIO } from './context.js';

const t = translator('en');
const CLI_ACTOR = { id: null, name: 'cli' };
const FIELDS = ['organisationName', 'primaryColour', 'backgroundColour', 'signInMessage', 'helpdesk'] as const;
type TextField = (typeof FIELDS)[number];

function say(io: CliIO, text: string): void {
  io.stdout.write(`${text}\n`);
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function printBrand(io: CliIO, v: BrandVersion): void {
  const b = v.brand;
  say(io, `# brand: ${v.version === 0 ? 'version 0 (the configuration file)' : `version ${v.version}, ${iso(v.changedAt)} by ${v.changedBy ?? '-'}`}`);
  for (const f of FIELDS) say(io, `${f} = ${b[f] ?? '(not set)'}`);
  say(io, `logo = ${b.logo ? logoPath(b.logo) : '(none)'}`);
  b.footerLinks.forEach((l, i) => say(io, `footerLinks.${i} = ${l.label} <${l.url}>`));
  if (b.footerLinks.length === 0) say(io, 'footerLinks = (none)');
}

/** The outcome of a save in words; the exit code (README "CLI"). */
function report(io: CliIO, r: BrandUpdate, before: number): number {
  if (r.ok) {
    say(io, r.value.version === before ? 'brand: nothing changed (already so).' : `brand: saved as version ${r.value.version}.`);
    return EXIT.ok;
  }
  if (r.reason === 'conflict') {
    io.stderr.write('error: the brand was saved by someone else since that version; read it again with sspr brand show and repeat the change\n');
    return EXIT.refused;
  }
  for (const [field, p] of Object.entries(r.errors)) io.stderr.write(`error: ${field}: ${t(p.key, problemVars(t, p))}\n`);
  return EXIT.usage;
}

/** `field=value` for the text fields; `footerLink=LABEL|https://…` (repeatable, replaces the links; `footerLink=` clears them). */
function parseAssignments(args: string[]): { fields: Partial<Record<TextField, string | null>>; links: Array<{ label: string; url: string }> | undefined } {
  const fields: Partial<Record<TextField, string | null>> = {};
  let links: Array<{ label: string; url: string }> | undefined;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(0, eq).trim() : '';
    const value = arg.slice(eq + 1);
    if (key === 'footerLink') {
      links ??= [];
      if (value.trim() === '') continue;
      const bar = value.indexOf('|');
      if (bar <= 0) throw new CliExit(EXIT.usage, `${arg}: expected footerLink=LABEL|https://address`);
      links.push({ label: value.slice(0, bar), url: value.slice(bar + 1) });
    } else if ((FIELDS as readonly string[]).includes(key)) fields[key as TextField] = value === '' ? null : value;
    else throw new CliExit(EXIT.usage, `${arg}: expected field=value, the fields being ${FIELDS.join(', ')} and footerLink=LABEL|URL`);
  }
  return { fields, links };
}

/** `sspr brand show|set|logo|history`: the organisation's brand, with the console's checks (contrast, links, the logo's real type). */
export function registerBrandCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const brand = program.command('brand').description("show and change the organisation's brand (name, logo, colours, sign-in message, helpdesk, footer links)");

  brand
    .command('show')
    .description('print the brand in force, one field per line')
    .option('--json', 'as JSON, with its version')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withPortal(io, cfg(cmd), async (portal) => {
        const v = await portal.brand.refresh();
        if (opts.json) say(io, JSON.stringify({ version: v.version, changedAt: iso(v.changedAt), changedBy: v.changedBy, brand: { ...v.brand, logo: v.brand.logo ? { ...v.brand.logo, url: logoPath(v.brand.logo) } : null } }, null, 2));
        else printBrand(io, v);
      });
      setExit(EXIT.ok);
    });

  brand
    .command('set <fields...>')
    .description("change fields: sspr brand set organisationName='Contoso Ltd' primaryColour='#1d4f91' footerLink='Privacy|https://contoso.example/privacy' (an empty value clears a field)")
    .option('--expected-version <n>', 'refuse the change if the brand is no longer at this version')
    .action(async (args: string[], opts: { expectedVersion?: string }, cmd: Command) => {
      const expected = expectedVersionOption(opts.expectedVersion);
      const { fields, links } = parseAssignments(args);
      setExit(
        await withPortal(io, cfg(cmd), async (portal) => {
          const current = await portal.brand.refresh();
          const input: BrandInput = { ...current.brand, ...fields, ...(links ? { footerLinks: links } : {}) };
          const r = await portal.brand.update(CLI_ACTOR, input, current.brand.logo, expected);
          return report(io, r, current.version);
        }),
      );
    });

  brand
    .command('logo <file>')
    .description('use an image file as the logo (PNG, JPEG, WebP or SVG, at most 256 KiB and 1024 × 1024); "none" removes the logo')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      let bytes: Buffer | null = null;
      if (file !== 'none') {
        try {
          bytes = readFileSync(resolve(file));
        } catch (err) {
          throw new CliExit(EXIT.usage, `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      }
      setExit(
        await withPortal(io, cfg(cmd), async (portal) => {
          const current = await portal.brand.refresh();
          let logo: Brand['logo'] = null;
          if (bytes) {
            const stored = await portal.brand.storeLogo(new Uint8Array(bytes));
            if (!stored.ok) {
              io.stderr.write(`error: ${file}: ${t(`brand.v.logo.${stored.reason}`)}\n`);
              return EXIT.usage;
            }
            logo = { sha256: stored.value.sha256, kind: stored.value.kind };
          }
          return report(io, await portal.brand.update(CLI_ACTOR, current.brand, logo), current.version);
        }),
      );
    });

  brand
    .command('history')
    .description('list the versions of the brand, newest first (tab-separated: version, saved at, by, organisation name)')
    .option('--limit <n>', 'how many versions (default 20)')
    .action(async (opts: { limit?: string }, cmd: Command) => {
      const limit = historyLimit(opts.limit);
      await withPortal(io, cfg(cmd), async (portal) => {
        for (const v of await portal.brand.history(limit)) say(io, [v.version, iso(v.changedAt), v.changedBy ?? '-', v.brand.organisationName].join('\t'));
        say(io, ['0', '-', 'configuration', 'starting values from the configuration'].join('\t'));
      });
      setExit(EXIT.ok);
    });
}
