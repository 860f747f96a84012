import type { AppContext } from '../http/context.js';
import { formatDateTime } from '../http/ui/dates.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { isMessageKey, type MessageKey } from '../i18n/index.js';
import { methodName } from './ui.js';
import { registrationPolicyFor, registrationStatus } from './registration.js';
import { PasskeyButton, PasskeyButtonMessages, PasskeyScripts, TEST_OPTIONS, TEST_VERIFY } from './passkey-ui.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

export type OverviewDeps = Pick<SecurityInfoRouteDeps, 'clock' | 'methods' | 'questions' | 'securityInfo' | 'passkeys' | 'policy' | 'blocks' | 'recoveryCodes'>;

function doneNotice(c: AppContext) {
  const t = c.get('t');
  const done = c.req.query('done');
  const method = c.req.query('method') ?? '';
  if (!done || !isMessageKey(done) || !done.startsWith('methods.done.')) return null;
  return <Notice kind="ok">{t(done, { method: method.slice(0, 120) })}</Notice>;
}

/** The overview: registered methods with test, default and remove, and what can be added. */
export async function SecurityInfoPage({ c, deps, problem }: { c: AppContext; deps: OverviewDeps; problem?: MessageKey }) {
  const t = c.get('t');
  const user = c.get('user')!;
  const methods = await deps.methods.list(user.id, { confirmedOnly: true });
  const questions = await deps.questions.registeredQuestionIds(user.id);
  const svc = deps.securityInfo;
  const status = await registrationStatus(user, { methods: deps.methods, questions: deps.questions, policy: await registrationPolicyFor(deps, user), now: deps.clock.now() });
  const testablePasskeys = deps.passkeys.available() && methods.some((m) => m.type === 'passkey');
  const recovery = await deps.recoveryCodes.status(user.id);
  const adds: Array<[string, MessageKey, boolean]> = [
    ['email', 'methods.add.email', svc.available('email')],
    ['mobile', 'methods.add.mobile', svc.available('mobile_sms') || svc.available('mobile_voice')],
    ['office', 'methods.add.office', svc.available('office_voice')],
    ['passkey', 'methods.add.passkey', deps.passkeys.available()],
    ['questions', questions.length ? 'methods.change.questions' : 'methods.add.questions', svc.available('questions')],
  ];
  return (
    <Page c={c} title={t('methods.title')}>
      <h1>{t('methods.title')}</h1>
      {(await deps.blocks.isBlocked(user.id)) ? <Notice kind="error">{t('methods.selfServiceBlocked')}</Notice> : null}
      {status.missing ? (
        <Notice kind="warn">
          <strong>{t('methods.register.title')}</strong>
          <br />
          {t('methods.register.intro', { n: status.need })} {t('methods.register.progress', { have: status.have, need: status.need })}
        </Notice>
      ) : null}
      {doneNotice(c)}
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      {recovery?.low ? (
        <Notice kind="warn">
          {t('methods.recovery.low', { left: recovery.left })}{' '}
          <a href={`${BASE}/recovery-codes/regenerate`}>{t('methods.recovery.regenerateNamed')}</a>
        </Notice>
      ) : null}
      {!status.missing && (c.req.query('register') || c.req.query('done')) ? (
        <p>
          <a class="button" href="/account">
            {t('methods.continue')}
          </a>
        </p>
      ) : null}
      <p class="muted">{t('methods.intro')}</p>
      {methods.length === 0 && questions.length === 0 ? <p>{t('methods.none')}</p> : null}
      {testablePasskeys ? <PasskeyButtonMessages c={c} id="passkey-test" /> : null}
      {methods.length || questions.length ? (
        <table>
          <tbody>
            {methods.map((m) => (
              <tr>
                <td>
                  <strong>{methodName(c, m)}</strong> {m.isDefault ? <span class="badge on">{t('methods.default')}</span> : null}
                  <br />
                  <span class="muted">
                    {m.type === 'recovery_code' && recovery ? (
                      // Registering a set is not using a code: "last used" only once one was spent.
                      <>
                        {t('methods.recovery.left', { left: recovery.left, total: recovery.total })}
                        {recovery.left < recovery.total && m.lastUsedAt ? ` · ${t('methods.lastUsed', { when: formatDateTime(m.lastUsedAt, 'minute') })}` : ''}
                      </>
                    ) : m.lastUsedAt ? (
                      t('methods.lastUsed', { when: formatDateTime(m.lastUsedAt, 'minute') })
                    ) : (
                      t('methods.neverUsed')
                    )}
                  </span>
                </td>
                <td class="row">
                  {m.type === 'recovery_code' ? (
                    // Testing a code would spend it; a new set is what this method offers instead.
                    <a href={`${BASE}/recovery-codes/regenerate`}>{t('methods.recovery.regenerateNamed')}</a>
                  ) : m.type !== 'passkey' ? (
                    <form method="post" action={`${BASE}/test/${m.id}`} class="inline">
                      <Csrf c={c} />
                      <button type="submit" class="link" aria-label={t('methods.testNamed', { method: methodName(c, m) })}>
                        {t('methods.test')}
                      </button>
                    </form>
                  ) : testablePasskeys ? (
                    <PasskeyButton c={c} id="passkey-test" action={`${BASE}/test/${m.id}`} options={TEST_OPTIONS} verify={TEST_VERIFY} label={t('methods.test')} ariaLabel={t('methods.testNamed', { method: methodName(c, m) })} hidden={{ method: m.id }} />
                  ) : null}
                  {!m.isDefault && m.type !== 'passkey' && m.type !== 'recovery_code' ? (
                    <form method="post" action={`${BASE}/default/${m.id}`} class="inline">
                      <Csrf c={c} />
                      <button type="submit" class="link">
                        {t('methods.makeDefault')}
                      </button>
                    </form>
                  ) : null}
                  <form method="post" action={`${BASE}/remove/${m.id}`} class="inline">
                    <Csrf c={c} />
                    <button type="submit" class="link" aria-label={t('methods.removeNamed', { method: methodName(c, m) })}>
                      {t('methods.remove')}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
            {questions.length ? (
              <tr>
                <td>
                  <strong>{t('methods.type.questions')}</strong>
                  <br />
                  <span class="muted">{t('methods.questions.registered', { n: questions.length })}</span>
                </td>
                <td class="row">
                  <a href={`${BASE}/test-questions`}>{t('methods.test')}</a>
                  <form method="post" action={`${BASE}/questions/remove`} class="inline">
                    <Csrf c={c} />
                    <button type="submit" class="link">
                      {t('methods.questions.remove')}
                    </button>
                  </form>
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
      <h2>{t('methods.add')}</h2>
      <ul>
        {adds
          .filter(([, , on]) => on)
          .map(([kind, label]) => (
            <li>
              <a href={`${BASE}/add/${kind}`}>{t(label)}</a>
            </li>
          ))}
      </ul>
      {svc.available('totp') ? (
        <form method="post" action={`${BASE}/add/totp`}>
          <Csrf c={c} />
          <Submit kind="secondary">{t('methods.add.totp')}</Submit>
        </form>
      ) : null}
      {svc.available('recovery_code') && !recovery ? (
        <form method="post" action={`${BASE}/add/recovery-codes`}>
          <Csrf c={c} />
          <Submit kind="secondary">{t('methods.add.recoveryCodes')}</Submit>
        </form>
      ) : null}
      {testablePasskeys ? <PasskeyScripts /> : null}
    </Page>
  );
}
