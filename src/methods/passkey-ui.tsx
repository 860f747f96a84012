import type { Child } from 'hono/jsx';
import type { AppContext } from '../http/context.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf } from '../http/ui/layout.js';

const BASE = '/account/security-info';
/** JSON endpoints of "Test" for a passkey (the form's no-script fallback is POST /test/:id). */
export const TEST_OPTIONS = `${BASE}/test-passkey/options`;
export const TEST_VERIFY = `${BASE}/test-passkey/verify`;
/** JSON endpoints of "Use passkey" on the re-verify page (the no-script fallback is POST /verify/passkey). */
export const REAUTH_OPTIONS = `${BASE}/verify/passkey/options`;
export const REAUTH_VERIFY = `${BASE}/verify/passkey/verify`;

/** The data attributes that turn a form into a passkey ceremony (read by /assets/passkey.js). */
function ceremonyData(c: AppContext, mode: 'register' | 'sign-in', id: string, options: string, verify: string) {
  const t = c.get('t');
  return {
    'data-passkey': mode,
    'data-options': options,
    'data-verify': verify,
    'data-note': `${id}-note`,
    'data-alert': `${id}-alert`,
    'data-status': `${id}-status`,
    'data-msg-unsupported': t('passkeys.unsupported'),
    'data-msg-cancelled': t('passkeys.cancelled'),
    'data-msg-exists': t('passkeys.alreadyRegistered'),
    'data-msg-failed': t('passkeys.failed'),
    'data-msg-waiting': t('passkeys.waiting'),
  };
}

/**
 * A progressive passkey form. Without JavaScript it is a plain form whose POST explains that
 * passkeys need JavaScript; /assets/passkey.js turns it into the WebAuthn ceremony (see
 * src/http/ui/assets.ts). The note is visible until the script has checked for passkey
 * support, so a browser without either is told plainly. `id` names the note, alert and status
 * elements (default `passkey-<mode>`), so one page can hold several ceremonies.
 */
export function PasskeyForm(props: { c: AppContext; mode: 'register' | 'sign-in'; id?: string; action: string; options: string; verify: string; button: string; children?: Child; explained?: boolean }) {
  const { c } = props;
  const t = c.get('t');
  const id = props.id ?? `passkey-${props.mode}`;
  return (
    <>
      {/* Left out when the page already shows the same words as its error. */}
      {props.explained ? null : (
        <p class="notice warn" id={`${id}-note`}>
          {t('passkeys.needsScript')}
        </p>
      )}
      <div class="notice error" id={`${id}-alert`} role="alert" hidden></div>
      <form method="post" action={props.action} class="card" novalidate {...ceremonyData(c, props.mode, id, props.options, props.verify)}>
        <Csrf c={c} />
        {props.children}
        <Submit>{props.button}</Submit>
        <p class="muted" id={`${id}-status`} role="status"></p>
      </form>
    </>
  );
}

/**
 * The shared note, alert and status of several inline passkey buttons (`PasskeyButton`) on one
 * page. The note starts hidden: without JavaScript the buttons post and the answer explains;
 * the script shows it only when the browser cannot use passkeys.
 */
export function PasskeyButtonMessages({ c, id }: { c: AppContext; id: string }) {
  const t = c.get('t');
  return (
    <>
      <p class="notice warn" id={`${id}-note`} hidden>
        {t('passkeys.needsScript')}
      </p>
      <div class="notice error" id={`${id}-alert`} role="alert" hidden></div>
      <p class="muted" id={`${id}-status`} role="status"></p>
    </>
  );
}

/** A link-styled passkey ceremony button in a small inline form; its messages go to `PasskeyButtonMessages` with the same id. */
export function PasskeyButton(props: { c: AppContext; id: string; action: string; options: string; verify: string; label: string; ariaLabel?: string; hidden?: Record<string, string> }) {
  const { c } = props;
  return (
    <form method="post" action={props.action} class="inline" {...ceremonyData(c, 'sign-in', props.id, props.options, props.verify)}>
      <Csrf c={c} />
      {Object.entries(props.hidden ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class="link" aria-label={props.ariaLabel}>
        {props.label}
      </button>
    </form>
  );
}

/** The scripts, in order: the WebAuthn library, then the buttons that use it. */
export function PasskeyScripts() {
  return (
    <>
      <script src="/assets/webauthn.js" defer></script>
      <script src="/assets/passkey.js" defer></script>
    </>
  );
}
