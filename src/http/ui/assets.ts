import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The two scripts the portal serves (the CSP allows scripts from 'self' only, never inline).
 * Pages work without them; only passkeys need JavaScript, and the pages say so.
 */

let webauthnBundle: string | null = null;

/**
 * @simplewebauthn/browser's UMD bundle (defines `SimpleWebAuthnBrowser`), read from
 * node_modules once. The package exports only its entry point, so the bundle is found next to
 * it rather than through a subpath import.
 */
export function webauthnScript(): string {
  if (webauthnBundle === null) {
    const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
    // entry: <package>/script/index.js (CommonJS) or <package>/esm/index.js
    webauthnBundle = readFileSync(join(dirname(dirname(entry)), 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
  }
  return webauthnBundle;
}

/**
 * Progressive passkey buttons. Each `form[data-passkey]` works as a plain form without
 * JavaScript (the server then explains that passkeys need it). With JavaScript and WebAuthn:
 * POST the form's fields as JSON to `data-options` (CSRF token in `x-csrf-token`, from the
 * form's `_csrf` field), run the ceremony, POST the answer to `data-verify`, follow `redirect`.
 * Every text shown comes from the page (`data-msg-*`), so the catalogue stays the one source.
 */
export const passkeyScript = `(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;

  function postJson(url, token, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': token },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (data) { return data; }, function () { return { ok: false }; });
    });
  }

  function setUp(form) {
    var d = form.dataset;
    var note = document.getElementById(d.note);
    var alertBox = document.getElementById(d.alert);
    var status = document.getElementById(d.status);
    var button = form.querySelector('button[type=submit]');
    var csrf = form.querySelector('input[name="_csrf"]');
    var token = csrf ? csrf.value : '';

    function say(text) {
      if (!alertBox) return;
      alertBox.textContent = text || '';
      alertBox.hidden = !text;
    }
    function working(on) {
      if (button) button.disabled = on;
      if (status) status.textContent = on ? d.msgWaiting || '' : '';
    }

    if (!lib || typeof lib.browserSupportsWebAuthn !== 'function' || !lib.browserSupportsWebAuthn()) {
      if (note) {
        note.textContent = d.msgUnsupported || '';
        note.hidden = false;
      }
      if (button) button.disabled = true;
      return;
    }
    if (note) note.hidden = true;

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      say('');
      working(true);
      var fields = {};
      new FormData(form).forEach(function (value, key) {
        if (key !== '_csrf' && typeof value === 'string') fields[key] = value;
      });
      postJson(d.options, token, fields)
        .then(function (r) {
          if (!r || !r.ok) return r;
          var ceremony = d.passkey === 'register' ? lib.startRegistration({ optionsJSON: r.options }) : lib.startAuthentication({ optionsJSON: r.options });
          return ceremony.then(function (answer) {
            return postJson(d.verify, token, { flow: r.flow, response: answer });
          });
        })
        .then(
          function (r) {
            if (r && r.redirect) {
              window.location.assign(r.redirect);
              return;
            }
            working(false);
            say((r && r.error) || d.msgFailed);
          },
          function (err) {
            working(false);
            var name = err && err.name;
            var code = err && err.code;
            if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') say(d.msgExists || d.msgFailed);
            else if (name === 'NotAllowedError' || name === 'AbortError') say(d.msgCancelled || d.msgFailed);
            else say(d.msgFailed);
          }
        );
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('form[data-passkey]'), setUp);
})();
`;
