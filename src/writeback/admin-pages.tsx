import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import { AdminPage } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';
import { formatDateTime, Moment, relativeTime, Timestamp } from '../http/ui/dates.js';
import { isMessageKey, type Translate } from '../i18n/index.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { Clock } from '../shared/clock.js';
import { HEARTBEAT_MS } from '../agent-protocol/index.js';
import type { Agent, AgentRegistry } from './agent-registry.js';
import type { AgentHub } from './agent-hub.js';
import type { WritebackJobRow, WritebackJobStore } from './writeback-job-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { testAgentConnection, testOutcomeText, type AgentTestOutcome } from './agent-test.js';

/** What the agents console needs: the registry, the live connections, the jobs and the policy's writeback switch. */
export interface AgentPagesDeps {
  agents: Pick<AgentRegistry, 'list' | 'byId' | 'revoke' | 'createRegistrationToken'>;
  hub: Pick<AgentHub, 'connected' | 'online' | 'disconnect' | 'presence' | 'check' | 'connectedAgentIds'>;
  audit: AuditLog;
  jobs: Pick<WritebackJobStore, 'recent'>;
  policy: Pick<PolicyService, 'current'>;
  clock: Clock;
  publicUrl: string;
  registrationTokenMinutes: number;
  /** How many users come from Active Directory: with none (a cloud-only portal) no agent is needed. */
  hybridUsers?(): Promise<number>;
}

const JOB_ROWS = 20;
/**
 * The hub knows only the connections to this instance. Behind a load balancer an agent may be
 * connected to another one; its heartbeats (every HEARTBEAT_MS, stored as last_seen_at) say so.
 * The hub drops a connection silent for three heartbeats, so the same window is used here.
 */
const RECENT_MS = 3 * HEARTBEAT_MS;

/**
 * Verdicts that say the writeback itself is broken (rights, reachability, keys), as opposed to
 * AD refusing one user's password under its rules, which is writeback working as it should.
 */
const BROKEN_VERDICTS = new Set(['insufficient_rights', 'dc_unreachable', 'sealing', 'failed']);

/** A job's verdict in plain words: the admin wording, else what the user was told, else the raw code. */
export function verdictText(t: Translate, verdict: string): string {
  const admin = `agents.verdict.${verdict}`;
  if (isMessageKey(admin)) return t(admin);
  const user = `writeback.${verdict}`;
  return isMessageKey(user) ? t(user) : verdict;
}

type AgentState = 'connected' | 'recent' | 'offline' | 'revoked';

function stateOf(agent: Agent, live: ReadonlySet<string>, elsewhere: ReadonlySet<string>, now: number): AgentState {
  if (agent.revokedAt !== null) return 'revoked';
  if (live.has(agent.id)) return 'connected';
  if (elsewhere.has(agent.id)) return 'recent';
  if (agent.lastSeenAt !== null && now - agent.lastSeenAt < RECENT_MS) return 'recent';
  return 'offline';
}

const userOf = (t: Translate, job: WritebackJobRow) => job.username ?? t('agents.deletedUser', { id: job.userId });

/** One line about a finished job for the status panel. */
function JobLine({ t, job, now }: { t: Translate; job: WritebackJobRow | undefined; now: number }) {
  if (!job) return <>{t('agents.status.none')}</>;
  const at = job.finishedAt ?? job.createdAt;
  return (
    <>
      {t('agents.status.jobAt', { kind: t(`agents.kind.${job.kind}`), user: userOf(t, job), when: relativeTime(t, at, now) })} <span class="muted">({formatDateTime(at)})</span>
      {job.status === 'applied' || !job.verdict ? null : (
        <>
          <br />
          {verdictText(t, job.verdict)}
        </>
      )}
    </>
  );
}

/** The outcome of "Test connection" in words: what the agent reached, or what to check. */
function TestNotice({ t, name, outcome }: { t: Translate; name: string; outcome: AgentTestOutcome }) {
  return <Notice kind={outcome.ok ? 'ok' : 'error'}>{testOutcomeText(t, name, outcome)}</Notice>;
}

/** The page: status first (what the reference troubleshooting asks to verify), then agents, the token form and recent jobs. */
async function AgentsPage(d: AgentPagesDeps, props: { c: AppContext; created?: { token: string; expiresAt: number }; problem?: string; tested?: { name: string; outcome: AgentTestOutcome } }) {
  const { c } = props;
  const t = c.get('t');
  const now = d.clock.now();
  const [policy, agents, jobs, lastApplied, lastFailed, online, hybridUsers] = await Promise.all([
    d.policy.current(),
    d.agents.list(),
    d.jobs.recent({ limit: JOB_ROWS }),
    d.jobs.recent({ limit: 1, statuses: ['applied'] }),
    d.jobs.recent({ limit: 1, statuses: ['failed', 'expired'] }),
    d.hub.online(),
    d.hybridUsers ? d.hybridUsers() : Promise.resolve(null),
  ]);
  const live = new Set(d.hub.connected().map((s) => s.agent.id));
  // Connected to another portal instance on the same database: jobs from here reach it too.
  const elsewhere = new Set(online.map((p) => p.agentId));
  // Which portal instance holds each agent's connection (behind a balancer: any of them).
  const here = d.hub.presence.instanceId;
  const holder = new Map(online.map((p) => [p.agentId, p.instanceId]));
  for (const id of live) holder.set(id, here);
  const states = new Map(agents.map((a) => [a.id, stateOf(a, live, elsewhere, now)]));
  const connected = [...states.values()].filter((s) => s === 'connected' || s === 'recent').length;
  // What the agents' domain controllers said: without the policy-hints control AD does not check the history on a reset.
  const reporting = agents.filter((a) => a.revokedAt === null && a.domainPolicy?.resetHistory !== undefined);
  const noHints = reporting.filter((a) => a.domainPolicy?.resetHistory === false).map((a) => a.name);
  const resetHistory = reporting.length === 0 ? null : noHints.length === 0;
  const writebackOn = policy.policy.onPremises.writeback;
  const applied = lastApplied[0];
  const failed = lastFailed[0];
  const failingSinceLastSuccess = failed?.verdict && BROKEN_VERDICTS.has(failed.verdict) && (!applied || (failed.finishedAt ?? 0) > (applied.finishedAt ?? 0));
  const publicUrl = d.publicUrl;
  // A cloud-only portal: nobody's password lives in AD and no agent was ever set up. Nothing is wrong.
  const notNeeded = hybridUsers === 0 && connected === 0 && agents.every((a) => a.revokedAt !== null);

  return (
    <AdminPage c={c} title={t('agents.title')} section="/admin/agents">
      <h1>{t('agents.title')}</h1>
      <p class="muted">{t('agents.intro')}</p>
      {props.problem ? <Notice kind="error">{props.problem}</Notice> : null}
      {props.tested ? <TestNotice t={t} {...props.tested} /> : null}

      {props.created ? (
        <div class="notice warn" role="alert">
          <h2>{t('agents.created.title')}</h2>
          <p>
            <strong>{t('agents.created.warning')}</strong>
          </p>
          <label for="agent-token">{t('agents.created.tokenLabel')}</label>
          {/* Read-only: easy to copy, impossible to edit by accident. */}
          <input id="agent-token" type="text" readonly value={props.created.token} spellcheck={false} autocomplete="off" autofocus />
          <figure>
            <figcaption>{t('agents.created.commandLabel')}</figcaption>
            <pre>
              <code>{`sspr agent register --portal ${publicUrl} --token ${props.created.token}`}</code>
            </pre>
          </figure>
          <p class="hint">{t('agents.created.nameHint')}</p>
          <p>{t('agents.created.expires', { when: formatDateTime(props.created.expiresAt) })}</p>
          <p>{t('agents.created.next')}</p>
        </div>
      ) : null}

      <section aria-labelledby="writeback-status">
        <h2 id="writeback-status">{t('agents.status.title')}</h2>
        {notNeeded ? (
          <Notice>
            <strong>{t('agents.status.notNeeded')}</strong> {t('agents.status.notNeededMore')}
          </Notice>
        ) : !writebackOn ? (
          <Notice kind="warn">
            {t('agents.status.off')} <a href="/admin/policy/on-premises">{t('agents.status.offFix')}</a>
          </Notice>
        ) : connected === 0 ? (
          <Notice kind="error">
            {t('agents.status.noAgent')} {t('agents.status.noAgentFix')}
          </Notice>
        ) : failingSinceLastSuccess && failed?.verdict ? (
          <Notice kind="warn">
            {t('agents.status.failing', { verdict: verdictText(t, failed.verdict) })} {t('agents.status.failingFix')}
          </Notice>
        ) : (
          <Notice kind="ok">{t('agents.status.working', { n: connected })}</Notice>
        )}
        <dl class="props">
          <dt>{t('agents.status.policy')}</dt>
          <dd>
            <span class={`badge ${writebackOn ? 'on' : 'off'}`}>{t(writebackOn ? 'agents.status.policyOn' : 'agents.status.policyOff')}</span>
          </dd>
          <dt>{t('agents.status.connected')}</dt>
          <dd>{connected}</dd>
          <dt>{t('agents.status.thisInstance')}</dt>
          <dd>
            <code>{here}</code>
          </dd>
          <dt>{t('agents.status.lastApplied')}</dt>
          <dd>
            <JobLine t={t} job={applied} now={now} />
          </dd>
          <dt>{t('agents.status.lastFailed')}</dt>
          <dd>
            <JobLine t={t} job={failed} now={now} />
          </dd>
          <dt>{t('agents.status.resetHistory')}</dt>
          <dd>{t(resetHistory === null ? 'agents.unknown' : resetHistory ? 'agents.status.resetHistoryOn' : 'agents.status.resetHistoryOff')}</dd>
        </dl>
        {resetHistory === false ? <Notice kind="warn">{t('agents.status.resetHistoryOffExplained', { names: noHints.join(', ') })}</Notice> : null}
      </section>

      <section aria-labelledby="agents-list">
        <h2 id="agents-list">{t('agents.list.title')}</h2>
        {agents.length === 0 ? (
          <p>{t('agents.list.none')}</p>
        ) : (
          <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('agents.col.name')}</th>
                <th scope="col">{t('agents.col.status')}</th>
                <th scope="col">{t('agents.col.lastSeen')}</th>
                <th scope="col">{t('agents.col.version')}</th>
                <th scope="col">{t('agents.col.domain')}</th>
                <th scope="col">{t('agents.col.registered')}</th>
                <th scope="col">{t('agents.col.revoked')}</th>
                <th scope="col">{t('agents.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {agents.map((a) => {
                const state = states.get(a.id) ?? 'offline';
                const instance = state === 'revoked' ? undefined : holder.get(a.id);
                return (
                  <tr>
                    <th scope="row">{a.name}</th>
                    <td>
                      <span class={`badge ${state === 'connected' || state === 'recent' ? 'on' : 'off'}`}>{t(`agents.state.${state}`)}</span>
                      {instance === undefined ? null : (
                        <div class="muted">
                          {t(instance === here ? 'agents.instance.here' : 'agents.instance.other')} <code>{instance}</code>
                        </div>
                      )}
                    </td>
                    <td>{a.lastSeenAt === null ? t('agents.never') : <Moment t={t} ms={a.lastSeenAt} now={now} />}</td>
                    <td>{a.version ?? t('agents.unknown')}</td>
                    <td>{a.domain ?? t('agents.unknown')}</td>
                    <td>{formatDateTime(a.registeredAt)}</td>
                    <td>{a.revokedAt === null ? t('agents.notRevoked') : formatDateTime(a.revokedAt)}</td>
                    <td>
                      {state === 'connected' || state === 'recent' ? (
                        <form method="post" action={`/admin/agents/${encodeURIComponent(a.id)}/test`} class="inline">
                          <Csrf c={c} />
                          <button type="submit" class="secondary" aria-label={t('agents.testNamed', { name: a.name })}>
                            {t('agents.test')}
                          </button>
                        </form>
                      ) : null}
                      {a.revokedAt === null ? (
                        <form method="post" action={`/admin/agents/${encodeURIComponent(a.id)}/revoke`} class="inline">
                          <Csrf c={c} />
                          <button type="submit" class="danger" aria-label={t('agents.revokeNamed', { name: a.name })}>
                            {t('agents.revoke')}
                          </button>
                        </form>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          </div>
        )}
      </section>

      {agents.some((a) => a.rightsReport && a.revokedAt === null) ? (
        <section aria-labelledby="agents-rights">
          <h2 id="agents-rights">{t('agents.rights.title')}</h2>
          <p class="muted">{t('agents.rights.intro')}</p>
          {agents
            .filter((a) => a.rightsReport && a.revokedAt === null)
            .map((a) => {
              const r = a.rightsReport!;
              const kind = r.verdict === 'ok' ? 'ok' : r.verdict === 'missing_rights' ? 'warn' : 'error';
              const commands = [...(r.delegation?.sambaTool ?? []), ...(r.delegation?.dsacls ?? [])];
              return (
                <div class="card">
                  <h3>{a.name}</h3>
                  <Notice kind={kind}>{t(`agents.rights.verdict.${r.verdict === 'ok' || r.verdict === 'missing_rights' || r.verdict === 'over_privileged' ? r.verdict : 'unreachable'}`)}</Notice>
                  {r.checkedAt ? <p class="muted">{t('agents.rights.checkedAt', { when: `${r.checkedAt.replace('T', ' ').slice(0, 16)} UTC` })}</p> : null}
                  {r.problems.length ? (
                    <ul>
                      {r.problems.map((p) => (
                        <li>{p}</li>
                      ))}
                    </ul>
                  ) : null}
                  {r.verdict === 'missing_rights' && commands.length ? (
                    <>
                      <p>{t('agents.rights.delegate')}</p>
                      <pre>{commands.join('\n')}</pre>
                    </>
                  ) : null}
                </div>
              );
            })}
        </section>
      ) : null}

      <section aria-labelledby="agents-register">
        <h2 id="agents-register">{t('agents.register.title')}</h2>
        <p>{t('agents.register.intro', { minutes: d.registrationTokenMinutes })}</p>
        <form method="post" action="/admin/agents/register" class="card">
          <Csrf c={c} />
          <Submit>{t('agents.register.submit')}</Submit>
        </form>
      </section>

      <section aria-labelledby="agents-jobs">
        <h2 id="agents-jobs">{t('agents.jobs.title')}</h2>
        <p class="muted">{t('agents.jobs.intro', { n: JOB_ROWS })}</p>
        {jobs.length === 0 ? (
          <p>{t('agents.jobs.none')}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('agents.jobs.col.at')}</th>
                <th scope="col">{t('agents.jobs.col.kind')}</th>
                <th scope="col">{t('agents.jobs.col.user')}</th>
                <th scope="col">{t('agents.jobs.col.status')}</th>
                <th scope="col">{t('agents.jobs.col.verdict')}</th>
                <th scope="col">{t('agents.jobs.col.agent')}</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr>
                  <td>
                    <Timestamp ms={j.createdAt} />
                  </td>
                  <td>{t(`agents.kind.${j.kind}`)}</td>
                  <td>{j.username ? <a href={`/admin/users/${encodeURIComponent(j.userId)}`}>{j.username}</a> : userOf(t, j)}</td>
                  <td>
                    <span class={`badge ${j.status === 'applied' ? 'on' : j.status === 'failed' || j.status === 'expired' ? 'off' : ''}`}>{t(`agents.jobStatus.${j.status}`)}</span>
                  </td>
                  <td>
                    {j.verdict ? verdictText(t, j.verdict) : ''}
                    {j.detail ? <span class="muted"> ({j.detail})</span> : null}
                  </td>
                  <td>{j.agentName ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </AdminPage>
  );
}

/** /admin/agents: writeback status, registered agents (revoke), one-time registration tokens and recent jobs. The `/admin/*` guard requires the administrator role. */
export function agentPages(d: AgentPagesDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/admin/agents', async (c) => c.html(await AgentsPage(d, { c })));

  app.post('/admin/agents/register', async (c) => {
    const created = await d.agents.createRegistrationToken(actorOf(c));
    // No redirect: the token exists only in this answer (never in a URL, a log line or the store).
    return c.html(await AgentsPage(d, { c, created }));
  });

  app.post('/admin/agents/:id/test', async (c) => {
    const agent = await d.agents.byId(c.req.param('id'));
    if (!agent) return c.html(await AgentsPage(d, { c, problem: c.get('t')('agents.refuse.notFound') }), 404);
    const outcome = await testAgentConnection(d, actorOf(c), agent);
    return c.html(await AgentsPage(d, { c, tested: { name: agent.name, outcome } }), outcome.ok ? 200 : 502);
  });

  app.post('/admin/agents/:id/revoke', async (c) => {
    const id = c.req.param('id');
    const agent = await d.agents.byId(id);
    if (!agent) return c.html(await AgentsPage(d, { c, problem: c.get('t')('agents.refuse.notFound') }), 404);
    const done = await d.agents.revoke(actorOf(c), agent.id);
    // Also when it was already revoked: a connection that outlived the revocation must not stay.
    d.hub.disconnect(agent.id);
    return c.redirect(done ? '/admin/agents?done=agents.done.revoked' : '/admin/agents?refused=agents.refuse.alreadyRevoked', 303);
  });

  return app;
}
