import type { Child } from 'hono/jsx';
import type { AppContext } from '../http/context.js';
import { Notice } from '../http/ui/layout.js';
import { AdminPage } from '../http/ui/console-page.js';
import { formatDateTime } from '../http/ui/dates.js';
import { actorLabel } from '../http/ui/code-labels.js';
import { isMessageKey, type MessageKey, type Translate } from '../i18n/index.js';
import { eventWords, methodDetails, methodKind, selfServiceLine, signInLine } from './support-words.js';
import { SelfServiceBlockCard } from '../not-me/admin-ui.js';
import { SupportActions } from './actions-ui.js';
import { CallerVerificationPanel } from './verification-ui.js';
import type { AdAccountRead, MaskedMethod, SupportEvent, SupportView } from './types.js';

const when = (ms: number) => formatDateTime(ms, 'minute');

function Badge({ on, children }: { on: boolean; children: Child }) {
  return <span class={`badge ${on ? 'on' : 'off'}`}>{children}</span>;
}

function Summary({ c, view }: { c: AppContext; view: SupportView }) {
  const t = c.get('t');
  const { user } = view;
  const ss = selfServiceLine(t, view);
  const si = signInLine(t, view);
  return (
    <section class="card" aria-label={t('support.summary')}>
      <dl class="props">
        <dt>{t('users.col.username')}</dt>
        <dd>{user.username}</dd>
        <dt>{t('support.summary.email')}</dt>
        <dd>{user.email ?? '—'}</dd>
        <dt>{t('users.col.source')}</dt>
        <dd>{t(`users.source.${user.source}`)}</dd>
        <dt>{t('users.detail.status')}</dt>
        <dd data-state="account">
          <Badge on={user.enabled}>{user.enabled ? t('users.enabled') : t('users.disabled')}</Badge>
        </dd>
        <dt>{t('support.summary.selfService')}</dt>
        <dd data-state="self-service">
          <Badge on={!ss.blocked}>{ss.text}</Badge>
          {view.reregistrationRequiredAt !== null ? (
            <>
              {' '}
              <span class="badge">{t('support.state.reregistration')}</span>
            </>
          ) : null}
        </dd>
        <dt>{t('support.summary.signIn')}</dt>
        <dd data-state="sign-in">
          <Badge on={!si.blocked}>{si.text}</Badge>
        </dd>
        {view.ad ? (
          <>
            <dt>{t('support.ad.title')}</dt>
            <dd data-state="ad-summary">
              {view.ad.ok ? (
                <Badge on={!view.ad.state.lockedOut && view.ad.state.enabled}>{t(!view.ad.state.enabled ? 'support.summary.adDisabled' : view.ad.state.lockedOut ? 'support.summary.adLocked' : 'support.summary.adOk')}</Badge>
              ) : (
                <span class="muted">{t('support.summary.adUnknown')}</span>
              )}
            </dd>
          </>
        ) : null}
        <dt>{t('field.password')}</dt>
        <dd>{user.passwordChangedAt ? t('users.detail.passwordChanged', { when: when(user.passwordChangedAt) }) : t('users.detail.noPassword')}</dd>
      </dl>
    </section>
  );
}

function Methods({ t, methods }: { t: Translate; methods: MaskedMethod[] }) {
  if (methods.length === 0) return <p>{t('support.methods.none')}</p>;
  const date = (ms: number | null, none: MessageKey) => (ms === null ? <span class="muted">{t(none)}</span> : when(ms));
  return (
          <table>
        <thead>
          <tr>
            <th scope="col">{t('support.methods.col.method')}</th>
            <th scope="col">{t('support.methods.col.details')}</th>
            <th scope="col">{t('support.methods.col.registered')}</th>
            <th scope="col">{t('support.methods.col.lastUsed')}</th>
          </tr>
        </thead>
        <tbody>
          {methods.map((m) => (
            <tr>
              <td>
                {methodKind(t, m)}
                {m.isDefault ? <span class="muted"> ({t('support.methods.default')})</span> : null}
              </td>
              <td>{methodDetails(t, m)}</td>
              <td>{date(m.registeredAt, 'support.methods.unknown')}</td>
              <td>{date(m.lastUsedAt, m.type === 'questions' ? 'support.methods.unknown' : 'support.methods.never')}</td>
            </tr>
          ))}
        </tbody>
      </table>
  );
}

function SelfService({ t, view }: { t: Translate; view: SupportView }) {
  const s = view.selfService;
  return (
    <dl class="props card">
      <dt>{t('support.selfService.state')}</dt>
      <dd>{selfServiceLine(t, view).text}</dd>
      <dt>{t('support.selfService.failed')}</dt>
      <dd>{t('support.selfService.failedOf', { n: s.failedAttempts, threshold: s.threshold })}</dd>
      <dt>{t('support.selfService.lastHour')}</dt>
      <dd>{t('support.selfService.lastHourValue', s.codesLastHour)}</dd>
      <dt>{t('support.selfService.sent')}</dt>
      <dd>{t('support.selfService.sentValue', s.codesSent)}</dd>
      <dt>{t('support.selfService.notMe')}</dt>
      <dd>{s.notMe ? t('support.selfService.notMeSince', { when: when(s.notMe.blockedAt) }) : t('support.selfService.notMeNone')}</dd>
    </dl>
  );
}

function SignIn({ t, view }: { t: Translate; view: SupportView }) {
  return (
    <dl class="props card">
      <dt>{t('support.signIn.lockout')}</dt>
      <dd>{signInLine(t, view).text}</dd>
      <dt>{t('support.signIn.failures')}</dt>
      <dd>{view.signIn.failures}</dd>
    </dl>
  );
}

function Sessions({ t, view }: { t: Translate; view: SupportView }) {
  if (view.sessions.length === 0) return <p>{t('support.sessions.none')}</p>;
  return (
          <table>
        <thead>
          <tr>
            <th scope="col">{t('support.sessions.col.started')}</th>
            <th scope="col">{t('support.sessions.col.lastSeen')}</th>
            <th scope="col">{t('support.sessions.col.ip')}</th>
            <th scope="col">{t('support.sessions.col.browser')}</th>
          </tr>
        </thead>
        <tbody>
          {view.sessions.map((s) => (
            <tr>
              <td>{when(s.createdAt)}</td>
              <td>{when(s.lastSeenAt)}</td>
              <td>{s.ip}</td>
              <td class="wrap">{s.userAgent}</td>
            </tr>
          ))}
        </tbody>
      </table>
  );
}

/** The AD account as the agent read it just now, or why it could not be read — in words, never a code. */
export function ActiveDirectory({ t, ad }: { t: Translate; ad: AdAccountRead }) {
  if (!ad.ok) {
    const key = `support.ad.failed.${ad.reason}`;
    return <Notice kind="error">{t(isMessageKey(key) ? key : 'support.ad.failed.failed')}</Notice>;
  }
  const s = ad.state;
  const yesNo = (v: boolean) => t(v ? 'support.ad.yes' : 'support.ad.no');
  return (
    <div class="card" data-state="ad">
      <dl class="props">
        <dt>{t('support.ad.enabled')}</dt>
        <dd>
          <Badge on={s.enabled}>{s.enabled ? t('users.enabled') : t('users.disabled')}</Badge>
        </dd>
        <dt>{t('support.ad.lockedOut')}</dt>
        <dd>
          <Badge on={!s.lockedOut}>{s.lockedOut ? (s.lockedAt !== null ? t('support.ad.lockedSince', { when: when(s.lockedAt) }) : t('support.ad.lockedNoTime')) : t('support.ad.notLocked')}</Badge>
        </dd>
        <dt>{t('support.ad.passwordLastSet')}</dt>
        <dd>{s.passwordLastSet !== null ? when(s.passwordLastSet) : t('support.ad.notSet')}</dd>
        <dt>{t('support.ad.passwordExpires')}</dt>
        <dd>{s.passwordExpiresAt !== null ? when(s.passwordExpiresAt) : s.mustChangeAtNextLogon ? t('support.ad.expiredMustChange') : t('support.ad.neverExpires')}</dd>
        <dt>{t('support.ad.mustChange')}</dt>
        <dd>{yesNo(s.mustChangeAtNextLogon)}</dd>
        <dt>{t('support.ad.protected')}</dt>
        <dd>{s.protectedAccount ? t('support.ad.protectedYes') : t('support.ad.no')}</dd>
      </dl>
      <p class="hint">{t('support.ad.readAt', { when: formatDateTime(ad.readAt) })}</p>
    </div>
  );
}

function Events({ t, view, auditLink }: { t: Translate; view: SupportView; auditLink: boolean }) {
  const by = (e: SupportEvent) => (e.actorName === null ? t('support.events.system') : e.actorName === view.user.username ? t('support.events.self') : actorLabel(t, e.actorName, e.actorId));
  return (
    <>
      {view.recentEvents.length === 0 ? (
        <p>{t('support.events.none')}</p>
      ) : (
                  <table>
            <thead>
              <tr>
                <th scope="col">{t('support.events.col.time')}</th>
                <th scope="col">{t('support.events.col.event')}</th>
                <th scope="col">{t('support.events.col.outcome')}</th>
                <th scope="col">{t('support.events.col.by')}</th>
              </tr>
            </thead>
            <tbody>
              {view.recentEvents.map((e) => (
                <tr>
                  <td>
                    <time datetime={new Date(e.at).toISOString()}>{formatDateTime(e.at)}</time>
                  </td>
                  <td>{eventWords(t, e.event)}</td>
                  <td>{isMessageKey(`support.outcome.${e.outcome}`) ? t(`support.outcome.${e.outcome}` as MessageKey) : ''}</td>
                  <td>{by(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
      )}
      {auditLink ? (
        <p>
          <a href={`/admin/audit?${new URLSearchParams({ user: view.user.username }).toString()}`}>{t('support.events.all')}</a>
        </p>
      ) : null}
    </>
  );
}

export interface SupportPageProps {
  c: AppContext;
  view: SupportView;
  /** The words of a "this wasn't me" report's event (NotMeService.eventText). */
  eventText: (event: string) => string;
  /** A refusal or failure of the last action, in words. */
  problem?: string | undefined;
  /** The error summary of the administrator's forms, when one was sent back. */
  errors?: Child;
  /** The administrator-only forms (set password, roles, groups, enable/disable); absent for the helpdesk. */
  children?: Child;
}

/**
 * One user's support page: the summary with the SSPR state in one line, the actions and the
 * caller verification, then security info (masked), self-service, sign-in, sessions, the AD
 * account (hybrid users, read live) and the recent activity; the administrator's own forms last.
 */
export function SupportPage({ c, view, eventText, problem, errors, children }: SupportPageProps) {
  const t = c.get('t');
  const { user } = view;
  return (
    <AdminPage c={c} title={user.username} section="/admin/users">
      <h1>
        {user.displayName} <span class="muted">({user.username})</span>
      </h1>
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      {errors}
      <Summary c={c} view={view} />
      {view.selfService.notMe ? <SelfServiceBlockCard c={c} userId={user.id} username={user.username} block={view.selfService.notMe} eventText={eventText} administrator={(c.get('user')?.roles ?? []).includes('administrator')} /> : null}
      <CallerVerificationPanel c={c} view={view} />
      <SupportActions c={c} view={view} />

      <h2>{t('support.methods.title')}</h2>
      <Methods t={t} methods={view.methods} />

      <h2>{t('support.selfService.title')}</h2>
      <SelfService t={t} view={view} />

      <h2>{t('support.signIn.title')}</h2>
      <SignIn t={t} view={view} />

      <h2>{t('support.sessions.title')}</h2>
      <Sessions t={t} view={view} />

      {view.ad ? (
        <>
          <h2>{t('support.ad.title')}</h2>
          <ActiveDirectory t={t} ad={view.ad} />
        </>
      ) : null}

      <h2>{t('support.events.title')}</h2>
      {/* The audit log is the administrators' (the helpdesk sees the events about its user here). */}
      <Events t={t} view={view} auditLink={c.get('user')?.roles.includes('administrator') ?? false} />

      {children}
    </AdminPage>
  );
}
