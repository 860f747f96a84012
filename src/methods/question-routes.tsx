import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { ErrorSummary, Submit, errorText } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { isMessageKey, type MessageKey } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import { questionCatalogue } from './questions.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

export type QuestionDeps = Pick<SecurityInfoRouteDeps, 'questions' | 'securityInfo' | 'policy'>;

function QuestionsPage({ c, deps, errors, values }: { c: AppContext; deps: QuestionDeps; errors?: FieldErrors; values?: Array<{ questionId: string; answer: string }> }) {
  const t = c.get('t');
  const { toRegister, custom } = deps.policy.snapshot().policy.questions;
  const catalogue = questionCatalogue(custom);
  const e = errors ?? {};
  const labels: Record<string, MessageKey> = {};
  for (let i = 0; i < toRegister; i++) {
    labels[`question${i}`] = 'methods.questions.choose';
    labels[`answer${i}`] = 'methods.questions.anAnswer';
  }
  return (
    <Page c={c} title={t('methods.questions.title')} narrow>
      <h1>{t('methods.questions.title')}</h1>
      {e['_form'] ? <Notice kind="error">{errorText(t, e['_form'])}</Notice> : null}
      <ErrorSummary t={t} errors={Object.fromEntries(Object.entries(e).filter(([k]) => k !== '_form'))} labels={labels} />
      <p class="muted">{t('methods.questions.intro', { n: toRegister })}</p>
      <form method="post" action={`${BASE}/add/questions`} class="card" novalidate>
        <Csrf c={c} />
        {Array.from({ length: toRegister }, (_, i) => (
          <fieldset>
            <legend>{t('methods.questions.question', { n: i + 1 })}</legend>
            <label for={`f-question${i}`}>{t('methods.questions.choose')}</label>
            {e[`question${i}`] ? (
              <p class="field-error" id={`f-question${i}-error`}>
                {errorText(t, e[`question${i}`]!)}
              </p>
            ) : null}
            <select id={`f-question${i}`} name={`question${i}`} aria-invalid={e[`question${i}`] ? 'true' : undefined} aria-describedby={e[`question${i}`] ? `f-question${i}-error` : undefined}>
              <option value="">—</option>
              {catalogue.map((q) => (
                <option value={q.id} selected={values?.[i]?.questionId === q.id}>
                  {q.custom ? q.text : isMessageKey(q.text) ? t(q.text) : q.text}
                </option>
              ))}
            </select>
            <label for={`f-answer${i}`}>{t('methods.questions.answer', { n: i + 1 })}</label>
            {e[`answer${i}`] ? (
              <p class="field-error" id={`f-answer${i}-error`}>
                {errorText(t, e[`answer${i}`]!)}
              </p>
            ) : null}
            <input id={`f-answer${i}`} name={`answer${i}`} type="text" maxlength={40} autocomplete="off" aria-invalid={e[`answer${i}`] ? 'true' : undefined} aria-describedby={e[`answer${i}`] ? `f-answer${i}-error` : undefined} />
          </fieldset>
        ))}
        <Submit>{t('methods.questions.save')}</Submit>
      </form>
      <p>
        <a href={BASE}>{t('methods.cancel')}</a>
      </p>
    </Page>
  );
}

/** Security questions: registering (or replacing) the answers, removing them, and testing them. */
export function questionRoutes(deps: QuestionDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(`${BASE}/add/questions`, (c) => c.html(<QuestionsPage c={c} deps={deps} />));
  app.post(`${BASE}/add/questions`, async (c) => {
    const form = await readForm(c);
    const n = deps.policy.snapshot().policy.questions.toRegister;
    const entries = Array.from({ length: n }, (_, i) => ({ questionId: str(form, `question${i}`), answer: str(form, `answer${i}`) }));
    const r = await deps.securityInfo.registerQuestions(c.get('user')!, entries);
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.questions`, 303);
    return c.html(<QuestionsPage c={c} deps={deps} errors={r.reason === 'invalid' ? r.errors : { _form: r.reason }} values={entries.map((e) => ({ questionId: e.questionId ?? '', answer: '' }))} />, 400);
  });

  app.post(`${BASE}/questions/remove`, async (c) => {
    await deps.securityInfo.removeQuestions(c.get('user')!);
    return c.redirect(`${BASE}?done=methods.done.removed`, 303);
  });

  // Testing security questions: answer the registered ones (as the reset flow will ask).
  const QuestionsTestPage = async ({ c, error }: { c: AppContext; error?: MessageKey }) => {
    const t = c.get('t');
    const ids = (await deps.questions.registeredQuestionIds(c.get('user')!.id)).slice(0, deps.policy.snapshot().policy.questions.toAnswer);
    const catalogue = new Map(questionCatalogue(deps.policy.snapshot().policy.questions.custom).map((q) => [q.id, q]));
    const title = t('methods.testNamed', { method: t('methods.type.questions') });
    return (
      <Page c={c} title={title} narrow>
        <h1>{title}</h1>
        {error ? <Notice kind="error">{t(error)}</Notice> : null}
        <form method="post" action={`${BASE}/test-questions`} class="card" novalidate>
          <Csrf c={c} />
          {ids.map((id, i) => {
            const q = catalogue.get(id);
            const text = q ? (q.custom ? q.text : isMessageKey(q.text) ? t(q.text) : q.text) : id;
            return (
              <div>
                <input type="hidden" name={`question${i}`} value={id} />
                <label for={`f-answer${i}`}>{text}</label>
                <input id={`f-answer${i}`} name={`answer${i}`} type="text" maxlength={40} autocomplete="off" autofocus={i === 0 && !error} />
              </div>
            );
          })}
          <Submit>{t('methods.code.submit')}</Submit>
        </form>
        <p>
          <a href={BASE}>{t('methods.back')}</a>
        </p>
      </Page>
    );
  };

  app.get(`${BASE}/test-questions`, async (c) => {
    if ((await deps.questions.registeredQuestionIds(c.get('user')!.id)).length === 0) return c.redirect(BASE, 303);
    return c.html(await QuestionsTestPage({ c }));
  });

  app.post(`${BASE}/test-questions`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const registered = new Set(await deps.questions.registeredQuestionIds(user.id));
    const n = deps.policy.snapshot().policy.questions.toAnswer;
    const answers = Array.from({ length: n }, (_, i) => ({ questionId: str(form, `question${i}`) ?? '', answer: str(form, `answer${i}`) }));
    // Only the user's own registered questions can be answered, each once.
    if (answers.some((a) => !registered.has(a.questionId)) || new Set(answers.map((a) => a.questionId)).size !== answers.length) return c.redirect(BASE, 303);
    const r = await deps.securityInfo.verifyAnswers(user, answers);
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.tested&method=${encodeURIComponent(c.get('t')('methods.type.questions'))}`, 303);
    return c.html(await QuestionsTestPage({ c, error: r.reason }), r.reason === 'methods.blocked' ? 429 : 400);
  });

  return app;
}
