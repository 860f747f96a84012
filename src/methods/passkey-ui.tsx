import type { Child } from 'hono/jsx';
import type { AppContext } from '../http/context.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf } from '../http/ui/layout.js';

/**
 * A progressive passkey form. Without JavaScript it is a plain form whose POST explains that
 * passkeys need JavaScript; /assets/passkey.js turns it into the WebAuthn ceremony (see
 * src/http/ui/assets.ts). The note is visible until the script has checked for passkey
 * support, so a browser without either is told plainly.
 */
export function PasskeyForm(props: { c: AppContext; mode: 'register' | 'sign-in'; action: string; options: string; verify: string; button: string; children?: Child; explained?: boolean }) {
  const { c } = props;
  const t = c.get('t');
  const id = `passkey-${props.mode}`;
  return (
    <>
      {/* Left out when the page already shows the same words as its error. */}
      {props.explained ? null : (
        <p class="notice warn" id={`${id}-note`}>
          {t('passkeys.needsScript')}
        </p>
      )}
      <div class="notice error" id={`${id}-alert`} role="alert" hidden></div>
      <form
        method="post"
        action={props.action}
        class="card"
        novalidate
        data-passkey={props.mode}
        data-options={props.options}
        data-verify={props.verify}
        data-note={`${id}-note`}
        data-alert={`${id}-alert`}
        data-status={`${id}-status`}
        data-msg-unsupported={t('passkeys.unsupported')}
        data-msg-cancelled={t('passkeys.cancelled')}
        data-msg-exists={t('passkeys.alreadyRegistered')}
        data-msg-failed={t('passkeys.failed')}
        data-msg-waiting={t('passkeys.waiting')}
      >
        <Csrf c={c} />
        {props.children}
        <Submit>{props.button}</Submit>
        <p class="muted" id={`${id}-status`} role="status"></p>
      </form>
    </>
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
