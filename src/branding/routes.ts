import { Hono } from 'hono';
import type { BrandService } from './brand-service.js';
import { LOGO_MAX_BYTES, logoContentTypes, type LogoKind } from './image-check.js';
import { isHexColour } from './contrast.js';
import { brandComponentsCss, faviconSvg, themeCss } from './theme.js';

export interface BrandRouteDeps {
  brand: Pick<BrandService, 'current' | 'logo'>;
}

const YEAR = 'public, max-age=31536000, immutable';
/**
 * An uploaded SVG is never a document: no script, no style from elsewhere, sandboxed (no
 * same-origin, no forms). Raster images get the same; they need nothing else either.
 */
const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/**
 * What the brand serves to everyone, signed in or not: the theme, the logo at its
 * content-addressed URL (never changes, cached for a year), the favicon. Nothing here takes a
 * session or changes anything.
 */
export function brandRoutes(deps: BrandRouteDeps): Hono {
  const app = new Hono();

  app.get('/brand/theme.css', async (c) => {
    const { version, brand } = await deps.brand.current();
    // Pages link /brand/theme.css?v=<version>: that URL never changes meaning; anything else is checked again soon.
    const cache = c.req.query('v') === String(version) ? YEAR : 'public, max-age=60';
    return c.body(themeCss(brand) + brandComponentsCss, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': cache });
  });

  // The console's preview: the unsaved colours, scoped to the preview panel; only #rrggbb values are used.
  app.get('/brand/preview.css', (c) => {
    const p = c.req.query('primary') ?? '';
    const b = c.req.query('background') ?? '';
    if (!isHexColour(p) || !isHexColour(b)) return c.text('Not found', 404);
    return c.body(themeCss({ primaryColour: p, backgroundColour: b }, '.brand-preview'), 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': YEAR });
  });

  app.get('/assets/brand-preview.js', (c) => c.body(previewScript, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }));

  app.get('/brand/logo/:file', async (c) => {
    const served = await serveLogo(deps.brand, c.req.param('file'), {});
    // Mail clients in a browser load it from their own origin.
    return served ? c.body(served.body, 200, { ...served.headers, 'Cache-Control': YEAR, 'Cross-Origin-Resource-Policy': 'cross-origin' }) : c.text('Not found', 404);
  });

  app.get('/favicon.svg', async (c) => {
    const { version, brand } = await deps.brand.current();
    const logo = brand.logo ? await deps.brand.logo(brand.logo.sha256) : null;
    const cache = c.req.query('v') === String(version) ? YEAR : 'public, max-age=3600';
    return c.body(faviconSvg(brand, logo), 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': cache, 'Content-Security-Policy': IMAGE_CSP });
  });
  app.get('/favicon.ico', (c) => c.redirect('/favicon.svg', 301));
  return app;
}

/**
 * A logo by its file name `<sha256>.<ext>`: the extension must be the stored type's (the same
 * bytes are never served as something else), always with the CSP that runs nothing.
 */
export async function serveLogo(brand: Pick<BrandService, 'logo'>, file: string, options: { unpublished?: boolean }): Promise<{ body: Uint8Array<ArrayBuffer>; headers: Record<string, string> } | null> {
  const m = /^([0-9a-f]{64})\.(png|jpg|webp|svg)$/.exec(file);
  const asset = m ? await brand.logo(m[1]!, options) : null;
  if (!m || !asset || asset.contentType !== logoContentTypes[m[2] as LogoKind]) return null;
  return { body: new Uint8Array(asset.bytes), headers: { 'Content-Type': asset.contentType, 'Content-Security-Policy': IMAGE_CSP } };
}

/** Where the typed helpdesk goes in the preview's sentence: the page renders the catalogue's sentence with it, the script below replaces it. */
export const HELPDESK_MARK = '\u2063helpdesk\u2063';

/**
 * The console's live preview: the name, the message, the colours, the helpdesk and the footer
 * links as typed, and a logo as soon as it is chosen (read in the browser as a data: URL, which
 * the console's CSP allows for images; an image cannot run a script). Setting custom
 * properties through the CSSOM is allowed under the CSP (no inline style in the markup).
 * The darker shade is theme.ts's darker(): each channel times 0.78.
 */
const previewScript = `(() => {
  const preview = document.querySelector('.brand-preview');
  if (!preview) return;
  const hex = /^#[0-9a-fA-F]{6}$/;
  const darker = (h) => '#' + [1, 3, 5].map((i) => Math.round(parseInt(h.slice(i, i + 2), 16) * 0.78).toString(16).padStart(2, '0')).join('');
  const bind = (id, apply) => {
    const el = document.getElementById(id);
    if (el) el.addEventListener('input', () => apply(el.value.trim()));
  };
  bind('f-organisationName', (v) => {
    const n = preview.querySelector('[data-preview=name]');
    if (n) n.textContent = v;
  });
  bind('f-signInMessage', (v) => {
    const m = preview.querySelector('[data-preview=message]');
    if (m) {
      m.textContent = v;
      m.hidden = v === '';
    }
  });
  bind('f-primaryColour', (v) => {
    if (!hex.test(v)) return;
    preview.style.setProperty('--brand', v);
    preview.style.setProperty('--brand-dark', darker(v));
  });
  bind('f-backgroundColour', (v) => {
    if (hex.test(v)) preview.style.setProperty('--bg', v);
  });
  bind('f-helpdesk', (v) => {
    const h = preview.querySelector('[data-preview=helpdesk]');
    if (!h) return;
    h.textContent = v === '' ? '' : h.dataset.template.split(${JSON.stringify(HELPDESK_MARK)}).join(v);
    h.hidden = v === '';
  });
  // The footer links: every row with a label, its address a link only once it is an https address.
  const links = preview.querySelector('[data-preview=links]');
  const rows = [...document.querySelectorAll('input[id^="f-footerLinks-"][id$="-label"]')].map((label) => [label, document.getElementById(label.id.replace(/-label$/, '-url'))]);
  const drawLinks = () => {
    if (!links) return;
    links.replaceChildren();
    for (const [label, url] of rows) {
      const text = label.value.trim();
      if (text === '') continue;
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.textContent = text;
      const href = url ? url.value.trim() : '';
      if (href.startsWith('https://') && href.length > 8 && !href.includes(' ')) a.href = href;
      li.append(a);
      links.append(li);
    }
    links.hidden = links.children.length === 0;
  };
  for (const [label, url] of rows) for (const el of [label, url]) if (el) el.addEventListener('input', drawLinks);
  // A logo chosen for upload shows at once when it is an image type the portal takes and not over its size; the portal checks it again on Preview and Save.
  const file = document.getElementById('f-logo');
  const logo = preview.querySelector('[data-preview=logo]');
  const removed = document.getElementById('f-removeLogo');
  const saved = logo ? logo.getAttribute('src') : null;
  const showSaved = () => {
    if (!logo) return;
    if (saved && !(removed && removed.checked)) logo.src = saved;
    else logo.removeAttribute('src');
    logo.hidden = !logo.getAttribute('src');
  };
  if (file && logo) file.addEventListener('change', () => {
    const chosen = file.files && file.files[0];
    if (!chosen || !${JSON.stringify(Object.values(logoContentTypes))}.includes(chosen.type) || chosen.size > ${LOGO_MAX_BYTES}) return showSaved();
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      logo.src = String(reader.result);
      logo.hidden = false;
    });
    reader.readAsDataURL(chosen);
  });
  if (removed) removed.addEventListener('change', () => (file && file.files && file.files.length > 0 ? undefined : showSaved()));
})();
`;
