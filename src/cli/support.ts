import type { Command } from 'commander';
import { isMessageKey, translator } from '../i18n/index.js';
import { ADMIN_VIEWER } from '../support/access.js';
import type { SupportView } from '../support/types.js';
import { eventWords, methodDetails, methodKind, selfServiceLine, signInLine } from '../support/support-words.js';
import { supportViewJson } from '../api/support-json.js';
import { CliExit, EXIT, openPortal, type CliIO } from './context.js';

const t = translator('en');
const iso = (ms: number) => new Date(ms).toISOString();

/** `label:` padded to one column, then the value; further lines of the same label indented under it. */
function aligned(rows: Array<[string, string | string[]]>): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines: string[] = [];
  for (const [label, value] of rows) {
    const values = Array.isArray(value) ? (value.length ? value : ['-']) : [value];
    values.forEach((v, i) => lines.push(`${(i === 0 ? `${label}:` : '').padEnd(width)}${v}`));
  }
  return lines.join('\n');
}

/** The support view as a short aligned list, in the page's words; contacts masked as on the page. */
export function supportText(v: SupportView): string {
  const u = v.user;
  const rows: Array<[string, string | string[]]> = [
    ['username', u.username],
    ['display name', u.displayName],
    ['email', u.email ?? '-'],
    ['status', u.enabled ? 'enabled' : 'disabled'],
    ['source', u.source],
    ['self-service', selfServiceLine(t, v).text],
    ['wrong codes', `${v.selfService.failedAttempts} of ${v.selfService.threshold}`],
    ['codes, 1 hour', `${v.selfService.codesLastHour.email} by email, ${v.selfService.codesLastHour.phone} by text or call`],
    ['send limits', `${v.selfService.codesSent.email} by email, ${v.selfService.codesSent.phone} by phone or app`],
    ['sign-in', signInLine(t, v).text],
    ['methods', v.methods.map((m) => [methodKind(t, m), methodDetails(t, m), m.isDefault ? '(default)' : '', m.lastUsedAt ? `last used ${iso(m.lastUsedAt)}` : 'never used'].filter(Boolean).join(' '))],
    ['sessions', v.sessions.map((s) => `${s.ip} since ${iso(s.createdAt)}, last seen ${iso(s.lastSeenAt)}`)],
  ];
  if (v.ad) {
    if (v.ad.ok) {
      const s = v.ad.state;
      rows.push(
        ['AD account', s.enabled ? 'enabled' : 'disabled'],
        ['AD lockout', s.lockedOut ? `locked out${s.lockedAt !== null ? ` since ${iso(s.lockedAt)}` : ''}` : 'not locked out'],
        ['AD password set', s.passwordLastSet !== null ? iso(s.passwordLastSet) : 'not set'],
        ['AD expires', s.passwordExpiresAt !== null ? iso(s.passwordExpiresAt) : s.mustChangeAtNextLogon ? 'already (must change at the next sign-in)' : 'never'],
        ['AD must change', s.mustChangeAtNextLogon ? 'yes' : 'no'],
        ['AD protected', s.protectedAccount ? 'yes' : 'no'],
      );
    } else rows.push(['AD', t(`support.ad.failed.${v.ad.reason}` as 'support.ad.failed.failed')]);
  }
  const outcome = (o: string) => {
    const key = `support.outcome.${o}`;
    return isMessageKey(key) ? t(key).toLowerCase() : o;
  };
  rows.push(['recent events', v.recentEvents.map((e) => `${iso(e.at)}  ${eventWords(t, e.event)}: ${outcome(e.outcome)}${e.actorName ? ` by ${e.actorName}` : ''}`)]);
  return aligned(rows);
}

/** `sspr user support NAME [--json]`: the support page's view of one user, as the API gives it. */
export function registerUserSupportCommand(user: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  user
    .command('support <username>')
    .description("show a user as the support desk sees them: methods (masked), self-service and sign-in state, sessions, AD state, recent events")
    .option('--json', 'print the same JSON as GET /api/v1/users/{username}/support')
    .action(async (username: string, opts: { json?: boolean }, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const u = await portal.users.byUsername(username);
        if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
        const view = await portal.support.view(ADMIN_VIEWER, u);
        io.stdout.write(`${opts.json ? JSON.stringify(supportViewJson(view, t), null, 2) : supportText(view)}\n`);
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });
}
