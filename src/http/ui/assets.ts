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

const altchaFiles: Record<string, string> = {};

/**
 * altcha-lib's own browser build (plain ES modules using WebCrypto), served as it ships so the
 * proof of work in the browser is the library's, not ours. Only the three files it needs.
 */
export function altchaModule(name: string): string | null {
  if (!['index.js', 'helpers.js', 'types.js'].includes(name)) return null;
  if (!(name in altchaFiles)) {
    const entry = createRequire(import.meta.url).resolve('altcha-lib/v1');
    // entry: <package>/dist/cjs/v1/index.js (require) — the ESM build sits beside it.
    const esm = join(dirname(dirname(dirname(entry))), 'esm', 'v1', name);
    altchaFiles[name] = readFileSync(esm, 'utf8');
  }
  return altchaFiles[name]!;
}

/**
 * The proof-of-work CAPTCHA on the reset and unlock pages. `[data-captcha]` holds the challenge
 * URL and a hidden input; the script fetches a challenge, solves it with altcha-lib's
 * solveChallenge (WebCrypto SHA-256), shows progress, and puts the base64 payload in the input.
 * The form can be sent once solved; a submit before that waits for the solution.
 */
export const captchaScript = `import { solveChallenge } from '/assets/altcha/index.js';

function setUp(box) {
  var form = box.closest('form');
  var input = box.querySelector('input[name="captcha"]');
  var status = box.querySelector('[data-captcha-status]');
  var button = form ? form.querySelector('button[type=submit]') : null;
  var d = box.dataset;
  var solved = null;
  var waiting = false;
  box.hidden = false;
  function say(text) { if (status) status.textContent = text; }

  function solve() {
    say(d.msgWorking);
    return fetch(d.challenge, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) { if (!res.ok) throw new Error('challenge'); return res.json(); })
      .then(function (ch) {
        var started = Date.now();
        var tick = setInterval(function () {
          var seconds = Math.round((Date.now() - started) / 1000);
          say(d.msgWorking + (seconds > 0 ? ' (' + seconds + ' s)' : ''));
        }, 1000);
        return solveChallenge(ch.challenge, ch.salt, ch.algorithm, ch.maxnumber).promise.then(function (solution) {
          clearInterval(tick);
          if (!solution) throw new Error('unsolved');
          var payload = { algorithm: ch.algorithm, challenge: ch.challenge, number: solution.number, salt: ch.salt, signature: ch.signature, took: solution.took };
          input.value = btoa(JSON.stringify(payload));
          say(d.msgDone);
          return input.value;
        }, function (err) { clearInterval(tick); throw err; });
      })
      .catch(function () { say(d.msgFailed); solved = null; throw new Error('failed'); });
  }

  solved = solve();
  if (form) {
    form.addEventListener('submit', function (event) {
      if (input.value) return;
      event.preventDefault();
      if (waiting) return;
      waiting = true;
      if (button) button.disabled = true;
      (solved || (solved = solve())).then(function () {
        waiting = false;
        if (button) button.disabled = false;
        form.submit();
      }, function () {
        waiting = false;
        if (button) button.disabled = false;
      });
    });
  }
}

Array.prototype.forEach.call(document.querySelectorAll('[data-captcha]'), setUp);
`;

/**
 * The live strength meter on new-password fields: \`input[data-meter]\` posts what is typed
 * (debounced) to its check URL and shows the strength and every unmet rule in a live region.
 * The server checks everything again on submit; without JavaScript the rules are listed anyway.
 */
export const meterScript = `(function () {
  'use strict';
  function setUp(field) {
    var d = field.dataset;
    var form = field.form;
    var out = document.getElementById(d.meterOutput);
    var bar = out ? out.querySelector('meter') : null;
    var label = out ? out.querySelector('[data-meter-label]') : null;
    var list = out ? out.querySelector('ul') : null;
    var csrf = form ? form.querySelector('input[name="_csrf"]') : null;
    var flow = form ? form.querySelector('input[name="flow"]') : null;
    var timer = null;
    var seq = 0;
    if (!out) return;
    out.hidden = false;
    function render(r) {
      if (bar) bar.value = r.score === null || r.score === undefined ? 0 : r.score;
      if (label) label.textContent = r.label || '';
      if (!list) return;
      list.textContent = '';
      (r.reasons || []).forEach(function (text) { var li = document.createElement('li'); li.textContent = text; list.appendChild(li); });
    }
    field.addEventListener('input', function () {
      clearTimeout(timer);
      var mine = ++seq;
      timer = setTimeout(function () {
        if (!field.value) { render({ score: 0, label: '', reasons: [] }); return; }
        fetch(d.meter, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf ? csrf.value : '' },
          body: JSON.stringify({ flow: flow ? flow.value : '', password: field.value })
        }).then(function (res) { return res.ok ? res.json() : null; }).then(function (r) { if (r && mine === seq) render(r); }, function () {});
      }, 250);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('input[data-meter]'), setUp);
})();
`;

/**
 * "Copy" buttons: `button[data-copy]` starts hidden (nothing to press without JavaScript) and
 * copies the text of the element `data-copy` names, one line per item, then says so in its
 * `data-copy-status` live region. Where the clipboard is refused the text is selected instead,
 * for the user to copy. Texts come from the page (`data-msg-*`).
 */
export const copyScript = `(function () {
  'use strict';
  function setUp(button) {
    var d = button.dataset;
    var source = document.getElementById(d.copy);
    var status = document.getElementById(d.copyStatus);
    if (!source) return;
    button.hidden = false;
    function say(text) { if (status) status.textContent = text || ''; }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    button.addEventListener('click', function () {
      var items = source.querySelectorAll('li');
      var text = items.length ? Array.prototype.map.call(items, function (li) { return li.textContent.trim(); }).join('\\n') : source.textContent.trim();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text + '\\n').then(function () { say(d.msgDone); }, function () { select(); say(d.msgFailed); });
      } else {
        select();
        say(d.msgFailed);
      }
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('button[data-copy]'), setUp);
})();
`;

/**
 * Tells the portal the browser's time zone (a cookie read by the request context), so pages show
 * dates in the viewer's zone from the next page on; without JavaScript they use branding.timeZone.
 */
export const localeScript = `(function () {
  'use strict';
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || !/^[A-Za-z0-9_+\\-/]+$/.test(zone)) return;
    var now = document.cookie.match(/(?:^|; )sspr_tz=([^;]*)/);
    if (now && decodeURIComponent(now[1]) === zone) return;
    document.cookie = 'sspr_tz=' + encodeURIComponent(zone) + '; path=/; max-age=31536000; samesite=lax' + (location.protocol === 'https:' ? '; secure' : '');
  } catch (e) {
    // no Intl: the organisation's zone stays
  }
})();
`;

/**
 * Tables on a phone: each data cell is given its column's header as `data-label` and the table the
 * class `stacked`, so the stylesheet shows each row as a card of "label: value" lines. Without
 * JavaScript a table keeps its columns and scrolls sideways inside its own box.
 */
export const tablesScript = `(function () {
  'use strict';
  var tables = document.querySelectorAll('main table');
  for (var i = 0; i < tables.length; i++) {
    var table = tables[i];
    var heads = table.querySelectorAll('thead th');
    if (!heads.length) continue;
    var labels = [];
    for (var h = 0; h < heads.length; h++) {
      for (var span = 0; span < (heads[h].colSpan || 1); span++) labels.push((heads[h].textContent || '').trim());
    }
    var rows = table.querySelectorAll('tbody tr');
    for (var r = 0; r < rows.length; r++) {
      var col = 0;
      for (var c = 0; c < rows[r].children.length; c++) {
        var cell = rows[r].children[c];
        // An empty cell is left out of the card; one across several columns ("nothing yet") stands for the row: no label.
        if ((cell.textContent || '').trim() === '' && !cell.querySelector('form, button, input, a, img')) cell.classList.add('blank');
        else if (labels[col] && (cell.colSpan || 1) === 1) cell.setAttribute('data-label', labels[col]);
        col += cell.colSpan || 1;
      }
    }
    table.classList.add('stacked');
  }
})();
`;
