import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Portal } from './portal.js';
import { signInRoutes } from '../auth/routes.js';
import { accountRoutes } from '../account/routes.js';
import { changePasswordRoutes } from '../flows/change/routes.js';
import { securityInfoRoutes } from '../methods/routes.js';
import { passkeyRoutes } from '../methods/passkey-routes.js';
import { passkeySignInRoutes } from '../auth/passkey-sign-in-routes.js';
import { registrationInterrupt } from '../methods/registration.js';
import { setupRoutes } from '../setup/routes.js';
import { adminConsole } from './admin-console.js';
import { apiRouteDeps } from './api-deps.js';
import { opsRoutes } from '../ops/routes.js';
import { apiRoutes } from '../api/routes.js';
import { agentEndpointRoutes } from '../writeback/endpoint-routes.js';
import { resetRoutes } from '../flows/reset/routes.js';
import { resetLinkRoutes } from '../flows/reset/link-routes.js';
import { notMeRoutes } from '../not-me/routes.js';
import { passkeyCheckRoutes } from '../support/passkey-check-routes.js';
import type { AppEnv } from '../http/context.js';
import { CsrfPage, ErrorPage, NotFoundPage } from '../http/errors.js';
import { csrfProtection } from '../http/middleware/csrf.js';
import { observe } from '../http/middleware/observe.js';
import { LANGUAGE_COOKIE, requestContext } from '../http/middleware/request-context.js';
import { securityHeaders } from '../http/middleware/security-headers.js';
import { stylesheet } from '../http/ui/styles.js';
import { altchaModule, captchaScript, meterScript, copyScript, localeScript, passkeyScript, tablesScript, webauthnScript } from '../http/ui/assets.js';
import { translator } from '../i18n/index.js';
import { chooseLanguage } from '../i18n/languages.js';
import { apiLanguage } from '../api/errors.js';
import { getCookie } from 'hono/cookie';
import { lengthRulesOf } from './password-rules-wiring.js';
import { brandRoutes } from '../branding/routes.js';
import { logoPath } from '../branding/brand.js';

const BODY_LIMIT = 64 * 1024;
const POLICY_BODY_LIMIT = 768 * 1024;
const POLICY_BODY_PATHS = /^\/(admin\/policy\/passwords(\/banned)?|api\/v1\/policy|api\/v1\/brand|admin\/branding)$/;

/** The whole HTTP surface, built from the portal's parts; tests drive it with app.request(). */
export function createApp(portal: Portal): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const https = portal.config.publicUrl.startsWith('https://');

  app.use('*', observe(portal.metrics, portal.logger));
  app.use('*', securityHeaders({ https }));
  app.route('/', opsRoutes({ ping: () => portal.store.ping(), metrics: portal.metrics, settings: portal.config.metrics }));

  app.get('/assets/app.css', (c) => c.body(stylesheet, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }));
  const webauthn = webauthnScript();
  const script = { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' };
  app.get('/assets/webauthn.js', (c) => c.body(webauthn, 200, script));
  app.get('/assets/passkey.js', (c) => c.body(passkeyScript, 200, script));
  app.get('/assets/captcha.js', (c) => c.body(captchaScript, 200, script));
  app.get('/assets/meter.js', (c) => c.body(meterScript, 200, script));
  app.get('/assets/copy.js', (c) => c.body(copyScript, 200, script));
  app.get('/assets/locale.js', (c) => c.body(localeScript, 200, script));
  app.get('/assets/tables.js', (c) => c.body(tablesScript, 200, script));
  app.route('/', brandRoutes({ brand: portal.brand }));
  app.get('/assets/altcha/:file', (c) => {
    const body = altchaModule(c.req.param('file'));
    return body === null ? c.text('Not found', 404) : c.body(body, 200, script);
  });

  // The API answers in its own JSON error shape; pages in words.
  // Both come before the middleware that chooses the language, so this chooses it the same way (a page: the cookie, the browser, the default).
  const tooLarge = (c: Context) => {
    if (c.req.path.startsWith('/api/')) return c.json({ error: { code: 'too_large', message: translator(apiLanguage(c.req.header('accept-language')))('error.tooLarge') } }, 413);
    const { wording } = portal.wording.snapshot();
    const lang = chooseLanguage({ cookie: getCookie(c, LANGUAGE_COOKIE), acceptLanguage: c.req.header('accept-language'), offered: wording.languages, fallback: wording.defaultLanguage });
    return c.text(portal.wording.translator(lang)('error.tooLarge'), 413, { 'Content-Language': lang });
  };
  const normalBody = bodyLimit({ maxSize: BODY_LIMIT, onError: tooLarge });
  // Where the policy (with up to 1,000 banned words of up to 64 characters) is sent whole.
  const policyBody = bodyLimit({ maxSize: POLICY_BODY_LIMIT, onError: tooLarge });
  app.use('*', (c, next) => (POLICY_BODY_PATHS.test(c.req.path) ? policyBody : normalBody)(c, next));
  // The stored settings as they are now (cached for a second): every service reads them at each use.
  app.use('*', async (_c, next) => {
    await portal.settings.current();
    await next();
  });
  // The JSON API authenticates with bearer tokens, never cookies, so it sits before the browser middleware (CSRF).
  app.route('/api/v1', apiRoutes(apiRouteDeps(portal)));
  app.route('/', agentEndpointRoutes({ agents: portal.agents, publicUrl: portal.config.publicUrl, trustedProxies: portal.config.trustedProxies }));
  app.use(
    '*',
    requestContext({
      publicUrl: portal.config.publicUrl,
      trustedProxies: portal.config.trustedProxies,
      csrfKey: portal.keys.csrf,
      sessions: portal.sessions,
      users: portal.users,
      frame: async () => {
        // Loaded once per request (cached for a second); the helpdesk by the one rule of Portal.helpdeskContact.
        const [{ version, brand }, helpdesk] = await Promise.all([portal.brand.current(), portal.helpdeskContact()]);
        const b = portal.config.branding;
        return {
          productName: b.productName,
          organisationName: brand.organisationName,
          helpdesk,
          brandVersion: version,
          logoUrl: brand.logo ? logoPath(brand.logo) : null,
          signInMessage: brand.signInMessage,
          footerLinks: brand.footerLinks,
        };
      },
      languages: async () => {
        const { wording } = await portal.wording.current();
        return { offered: wording.languages, fallback: wording.defaultLanguage, timeZone: portal.config.branding.timeZone };
      },
      translate: (lang) => portal.wording.translator(lang),
    }),
  );
  app.use('*', csrfProtection(portal.config.publicUrl, (c) => c.html(<CsrfPage c={c} />, 403)));

  // The codes' lifetime and the phone region as stored now (Settings › Codes): read at each page.
  const { times } = portal;
  app.route('/', signInRoutes({ securityInfo: portal.securityInfo, get codeMinutes() { return times.codeMinutes; }, signIn: portal.signIn, secondFactor: portal.secondFactor, firstRun: portal.firstRun, sessions: portal.sessions, audit: portal.audit })); // prettier-ignore
  app.route('/', passkeySignInRoutes({ securityInfo: portal.securityInfo, get codeMinutes() { return times.codeMinutes; }, passkeySignIn: portal.passkeySignIn, secondFactor: portal.secondFactor, sessions: portal.sessions })); // prettier-ignore
  app.route('/', setupRoutes({ firstRun: portal.firstRun, passwords: lengthRulesOf(portal.policy) }));
  // Reset and unlock are for people who cannot sign in: before the registration interrupt.
  app.route('/', resetRoutes({ resets: portal.resets, captcha: portal.captcha }));
  app.route('/', resetLinkRoutes({ links: portal.resetLinkStart }));
  // "This wasn't me" is for whoever got the notice, signed in or not.
  app.route('/', notMeRoutes({ notMe: portal.notMe }));
  // The caller's side of a helpdesk's passkey check: for a caller who may not be able to sign in.
  app.route('/', passkeyCheckRoutes({ check: portal.passkeyCallerCheck }));
  app.use('*', registrationInterrupt({ methods: portal.methods, questions: portal.questions, policy: portal.policy, clock: portal.clock, blocks: portal.selfServiceBlocks, reregistration: portal.reregistrations }));
  app.get('/', (c) => c.redirect(c.get('user') ? '/account' : '/sign-in', 303));
  app.route('/', passkeyRoutes({ passkeys: portal.passkeys, sessions: portal.sessions, clock: portal.clock, blocks: portal.selfServiceBlocks }));
  app.route(
    '/',
    securityInfoRoutes({
      clock: portal.clock,
      methods: portal.methods,
      questions: portal.questions,
      securityInfo: portal.securityInfo,
      passkeys: portal.passkeys,
      recoveryCodes: portal.recoveryCodes,
      policy: portal.policy,
      users: portal.users,
      blocks: portal.selfServiceBlocks,
      audit: portal.audit,
      sessions: portal.sessions,
      hasher: portal.hasher,
      throttle: portal.throttle,
      get verifyFailures() {
        return portal.securityInfoLimits.verifyFailures;
      },
      get codeMinutes() {
        return times.codeMinutes;
      },
      get phoneRegion() {
        return times.phoneRegion;
      },
      productName: portal.config.branding.productName,
    }),
  );
  app.route('/', accountRoutes({ sessions: portal.sessions, users: portal.users, audit: portal.audit }));
  app.route('/', changePasswordRoutes({ changePassword: portal.changePassword }));
  app.route('/', adminConsole(portal));

  app.notFound((c) => {
    if (!c.get('t')) return c.text('Not found', 404);
    return c.html(<NotFoundPage c={c as never} />, 404);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) return c.text(err.message || 'Bad request', err.status);
    portal.logger.error({ err }, 'request failed');
    const t = c.get('t');
    if (!t) return c.text('Internal error', 500);
    return c.html(<ErrorPage c={c as never} title={t('error.title')} body={t('error.internal')} />, 500);
  });
  return app;
}
