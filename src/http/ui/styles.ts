/**
 * The one stylesheet, served from /assets/app.css (the CSP forbids inline styles). System
 * fonts, no CDN. Colours meet WCAG AA contrast; focus is always visible.
 */
export const stylesheet = `
:root {
  --bg: #f6f7f9; --surface: #ffffff; --text: #1b1f24; --muted: #505a66; --line: #d5dae1;
  --brand: #0b5cad; --brand-dark: #084887; --danger: #a4161a; --danger-bg: #fdecec;
  --ok: #1e6b34; --ok-bg: #e8f5ec; --warn-bg: #fff6dd; --warn: #7a5200; --focus: #ffbf47;
  --radius: 6px; --gap: 1rem;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { font-size: 100%; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; line-height: 1.5; color: var(--text); background: var(--bg); }
a { color: var(--brand); }
a:hover { color: var(--brand-dark); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; inset-inline-start: -999px; top: 0; background: var(--surface); padding: .5rem 1rem; z-index: 10; }
.skip:focus { inset-inline-start: .5rem; }
header.top { background: var(--brand); color: #fff; }
header.top .bar { max-width: 72rem; margin: 0 auto; display: flex; flex-wrap: wrap; align-items: center; gap: var(--gap); padding: .75rem 1rem; }
header.top a, header.top button.link { color: #fff; }
header.top .product { font-weight: 700; font-size: 1.15rem; text-decoration: none; margin-inline-end: auto; }
header.top nav { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
header.top form { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 1.5rem; }
main.narrow { max-width: 32rem; }
h1 { font-size: 1.75rem; margin: 0 0 1rem; line-height: 1.25; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; }
.card { background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius); padding: 1.25rem; margin-bottom: var(--gap); }
.card > :first-child { margin-top: 0; }
.card > :last-child { margin-bottom: 0; }
/* A card that opens with its hidden fields: its first label is its top line. */
.card > input[type="hidden"]:first-child ~ div:first-of-type > label:first-child { margin-top: 0; }
.muted, .hint { color: var(--muted); }
.hint { font-size: .9rem; margin: .15rem 0 .35rem; }
label { display: block; font-weight: 600; margin-top: .9rem; }
fieldset { border: 1px solid var(--line); border-radius: var(--radius); margin: 1rem 0 0; padding: .5rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .25rem; }
fieldset label { font-weight: 400; display: flex; gap: .5rem; align-items: center; margin-top: .5rem; }
/* A group of settings (SMTP server, limits): the yes/no questions inside sit in it without boxes of their own. */
fieldset.group fieldset { border: 0; padding: 0; margin: .9rem 0 0; }
fieldset.group fieldset legend { padding: 0; }
fieldset.group > div > label { font-weight: 600; display: block; margin-top: .9rem; }
.check { display: flex; gap: .5rem; align-items: center; margin-top: .9rem; }
.check label { margin-top: 0; font-weight: 400; }
input[type=text], input[type=password], input[type=email], input[type=search], input[type=tel], select {
  width: 100%; max-width: 32rem; font: inherit; padding: .55rem .65rem; border: 1px solid #7b8794; border-radius: var(--radius); background: #fff; color: var(--text);
}
/* A textarea's cols would push a narrow screen sideways. */
textarea { width: 100%; max-width: 32rem; font: inherit; padding: .55rem .65rem; border: 1px solid #7b8794; border-radius: var(--radius); background: #fff; color: var(--text); }
input[type=file] { max-width: 100%; }
input[aria-invalid=true], textarea[aria-invalid=true] { border: 2px solid var(--danger); }
.field-error { color: var(--danger); font-weight: 600; margin: .2rem 0; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: .55rem 1.1rem; border-radius: var(--radius); border: 2px solid var(--brand); background: var(--brand); color: #fff; cursor: pointer; text-decoration: none; margin-top: 1rem; }
button:hover, .button:hover { background: var(--brand-dark); border-color: var(--brand-dark); color: #fff; }
button.secondary, .button.secondary { background: #fff; color: var(--brand); }
button.secondary:hover { background: #eef4fb; color: var(--brand-dark); }
button.danger { background: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; padding: 0; margin: 0; text-decoration: underline; font-weight: 400; color: var(--brand); }
.inline { display: inline; }
.row { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; }
.row > * { margin-top: 0; }
.notice { border-inline-start: 6px solid var(--brand); background: #e9f1fa; padding: .75rem 1rem; margin: 0 0 1rem; border-radius: var(--radius); }
.notice.ok { border-color: var(--ok); background: var(--ok-bg); }
.notice.warn { border-color: var(--warn); background: var(--warn-bg); }
.notice.error { border-color: var(--danger); background: var(--danger-bg); }
.error-summary { border: 3px solid var(--danger); padding: .6rem .9rem; border-radius: var(--radius); background: var(--surface); margin-bottom: .75rem; }
.error-summary ul { margin: .25rem 0 0; padding-inline-start: 1.25rem; }
.error-summary a { color: var(--danger); font-weight: 600; }
table { width: 100%; border-collapse: collapse; background: var(--surface); }
th, td { text-align: start; padding: .5rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .9rem; color: var(--muted); }
.badge { display: inline-block; font-size: .8rem; padding: .05rem .45rem; border-radius: 999px; background: #e6e9ee; color: var(--text); }
.badge.off { background: var(--danger-bg); color: var(--danger); }
.badge.on { background: var(--ok-bg); color: var(--ok); }
.admin-layout { display: grid; grid-template-columns: 12rem minmax(0, 1fr); gap: 1.5rem; }
/* A grid or flex child may shrink below its content: long tokens, URLs and tables stay inside the page. */
.admin-layout > * { min-width: 0; }
.table-scroll { max-width: 100%; overflow-x: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 100%; }
code, .token, input[readonly] { overflow-wrap: anywhere; }
ul.details { list-style: none; margin: 0; padding: 0; }
ol.checklist { margin: 0; padding-inline-start: 1.5rem; }
.empty-state { margin-top: 2rem; }
ol.checklist li { margin: .5rem 0; }
ol.checklist .hint { margin: .1rem 0 0; }
ul.changes { margin: 0; padding-inline-start: 1.1rem; }
/* A table cell of actions stays a cell (a flex td leaves the table's layout): its actions wrap inside it. */
td.row { display: table-cell; }
td.row > * { display: inline-block; margin: 0 .75rem .25rem 0; vertical-align: baseline; }
ul.details li { margin: 0; }
.admin-nav ul { list-style: none; margin: 0; padding: 0; }
.admin-nav a { display: block; padding: .4rem .6rem; border-radius: var(--radius); text-decoration: none; }
.admin-nav a[aria-current=page] { background: var(--brand); color: #fff; }
.area-levels { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .25rem 1.5rem; }
.area-levels label { font-weight: 600; display: block; }
.area-levels select { width: 100%; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: var(--gap); margin-bottom: var(--gap); }
.stat { background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius); padding: 1rem; }
.stat .n { font-size: 2rem; font-weight: 700; display: block; }
.pager { display: flex; gap: 1rem; align-items: center; margin-top: 1rem; }
dl.props { display: grid; grid-template-columns: fit-content(45%) minmax(0, 1fr); gap: .35rem 1rem; }
dl.props dt { font-weight: 600; }
dl.props dd { margin: 0; overflow-wrap: anywhere; }
td.wrap { overflow-wrap: anywhere; }
footer { max-width: 72rem; margin: 0 auto; padding: 1rem; color: var(--muted); font-size: .9rem; }
footer p { margin: .25rem 0; }
footer nav.languages ul { list-style: none; padding: 0; margin: .25rem 0 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
footer nav.languages a[aria-current] { font-weight: 700; text-decoration: none; color: var(--text); }
/* Right-to-left pages mirror through logical properties; codes, numbers, addresses stay left-to-right. */
code, kbd, .token, ol.recovery-codes, input[type=tel], input[type=email], input[type=url], input[inputmode=numeric], input[autocomplete=one-time-code] { direction: ltr; unicode-bidi: isolate; }
[dir=rtl] input[type=tel], [dir=rtl] input[type=email], [dir=rtl] input[type=url], [dir=rtl] input[inputmode=numeric], [dir=rtl] input[autocomplete=one-time-code] { text-align: end; }
code.link { word-break: break-all; }
/* Hints and errors may name a long unbroken value (a DN, an address): they wrap rather than widen the page. */
.hint, .field-error, .error-summary { overflow-wrap: anywhere; }
ol.recovery-codes { font-family: ui-monospace, "Cascadia Mono", "DejaVu Sans Mono", Menlo, monospace; font-size: 1.15rem; display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .35rem 1.5rem; margin: 0 0 1.25rem; padding-inline-start: 2.75rem; }
ol.recovery-codes li { white-space: nowrap; }
.recovery-actions button { margin-top: 0; }
.recovery-actions form { margin: 0; }
.card > h2:first-child { margin-top: 0; }
.support-actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: var(--gap); }
.support-actions form { margin: 0; }
.support-actions h3 { margin: 0; font-size: 1.05rem; }
@media (max-width: 48rem) {
  .admin-layout { grid-template-columns: 1fr; }
  /* Without JavaScript a table keeps its columns and scrolls inside its own box; with it (assets tablesScript) each row is a card of labelled lines. */
  table { display: block; overflow-x: auto; }
  table.stacked, table.stacked thead, table.stacked tbody, table.stacked tr, table.stacked th, table.stacked td { display: block; }
  table.stacked thead { position: absolute; inset-inline-start: -9999px; }
  table.stacked td, table.stacked tbody th { border: none; padding: .2rem 0; overflow-wrap: anywhere; }
  table.stacked [data-label]::before { content: attr(data-label); display: block; font-size: .8rem; font-weight: 600; color: var(--muted); }
  table.stacked td.row { display: block; }
  table.stacked .blank { display: none; }
  table.stacked tr { border-bottom: 1px solid var(--line); padding: .5rem 0; }
}
`;
