import { darker, type Brand } from './brand.js';
import { isHexColour } from './contrast.js';

/** The brand's colours as the custom properties src/http/ui/styles.ts reads; only validated #rrggbb values reach it. */
export function themeCss(brand: Pick<Brand, 'primaryColour' | 'backgroundColour'>, scope = ':root'): string {
  const primary = isHexColour(brand.primaryColour) ? brand.primaryColour : '#0b5cad';
  const background = isHexColour(brand.backgroundColour) ? brand.backgroundColour : '#f6f7f9';
  return `${scope} { --brand: ${primary}; --brand-dark: ${darker(primary)}; --bg: ${background}; }\n`;
}

/** The brand's own parts of the page (logo in the header, footer links, the console's preview), in every theme. */
export const brandComponentsCss = `
header.top .product { display: inline-flex; align-items: center; gap: .5rem; }
header.top .product img { display: block; height: 2rem; width: auto; max-width: 10rem; }
.sign-in-message { white-space: pre-line; }
.brand-footer-links { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.brand-logo-current { display: block; max-height: 4rem; max-width: 100%; width: auto; }
.brand-preview { border: 1px solid var(--line); border-radius: var(--radius); overflow: hidden; background: var(--bg); }
.brand-preview-bar { background: var(--brand); color: #fff; display: flex; align-items: center; gap: .5rem; padding: .5rem 1rem; font-weight: 700; overflow-wrap: anywhere; }
.brand-preview-bar img { height: 2rem; width: auto; max-width: 10rem; }
.brand-preview-body { padding: 1rem; }
.brand-preview-body a { color: var(--brand); }
.brand-preview-body .button { margin-top: 0; }
.brand-preview-heading { font-size: 1.25rem; font-weight: 700; margin: 0 0 .5rem; }
`;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const xml = (s: string) => s.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]!);

/**
 * The favicon: the uploaded logo (embedded, since an SVG used as an image loads nothing from
 * outside), or the organisation's first letter in white on the primary colour.
 */
export function faviconSvg(brand: Pick<Brand, 'organisationName' | 'primaryColour'>, logo: { contentType: string; bytes: Buffer } | null): string {
  if (logo) {
    const href = `data:${logo.contentType};base64,${logo.bytes.toString('base64')}`;
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><image href="${xml(href)}" width="64" height="64" preserveAspectRatio="xMidYMid meet"/></svg>`;
  }
  const initial = [...brand.organisationName.trim()][0]?.toUpperCase() ?? '?';
  const fill = isHexColour(brand.primaryColour) ? brand.primaryColour : '#0b5cad';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="${fill}"/>` +
    `<text x="32" y="44" text-anchor="middle" font-family="system-ui, sans-serif" font-size="36" font-weight="700" fill="#ffffff">${xml(initial)}</text></svg>`
  );
}
