import type { Config } from '../config/schema.js';
import { translator, type Translate } from '../i18n/index.js';
import { languageDir } from '../i18n/languages.js';
import { currentLocale } from '../i18n/locale-context.js';

export interface EmailContent {
  /** The heading, and (with the product name) the subject. Never put a code here: subjects show on lock screens. */
  title: string;
  paragraphs: string[];
  /** A one-time code, shown large on its own. */
  code?: string;
  /** A button, with the address also written out for clients that show no buttons. */
  action?: { label: string; url: string };
  /** "This wasn't me": what to do if the user did not make the change, and the one-time link to report it. */
  report?: { lead: string; label: string; url: string };
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** What a mail shows of the brand: the file's names and colour, or the saved brand's (BrandService.forMail). */
type Branding = Pick<Config['branding'], 'productName' | 'organisationName' | 'primaryColour' | 'helpdesk' | 'logoUrl'>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/** One line, no control characters: a subject cannot smuggle in another header. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function httpUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('an email action needs an absolute http(s) URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('an email action needs an absolute http(s) URL');
  return parsed.toString();
}

const FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const MONO = "'SFMono-Regular', Consolas, 'Liberation Mono', Menlo, monospace";

/**
 * A transactional email as plain text and HTML. Every value that goes into the HTML is escaped;
 * styles are inline (mail clients drop style sheets); nothing is loaded from elsewhere except
 * the configured logo; no tracking pixels, no rewritten links.
 */
export function renderEmail(branding: Branding, content: EmailContent, t: Translate = translator()): RenderedEmail {
  const product = branding.productName;
  const title = oneLine(content.title);
  const subject = oneLine(t('mail.subject', { title, product }));
  const footer = t('mail.footer', { product, org: branding.organisationName });
  const helpdesk = branding.helpdesk ? t('mail.helpdesk', { helpdesk: branding.helpdesk }) : null;
  const action = content.action ? { label: oneLine(content.action.label), url: httpUrl(content.action.url) } : null;
  const code = content.code === undefined ? null : oneLine(content.code);
  const report = content.report ? { lead: content.report.lead, label: oneLine(content.report.label), url: httpUrl(content.report.url) } : null;

  const text = [
    title,
    '',
    ...content.paragraphs.flatMap((p) => [p, '']),
    ...(code ? [`${t('mail.codeLabel')}: ${code}`, ''] : []),
    ...(action ? [`${action.label}:`, action.url, ''] : []),
    ...(report ? [report.lead, '', `${report.label}:`, report.url, ''] : []),
    '-- ',
    footer,
    ...(helpdesk ? [helpdesk] : []),
    '',
  ].join('\n');

  const colour = /^#[0-9a-fA-F]{6}$/.test(branding.primaryColour) ? branding.primaryColour : '#0b5cad';
  const e = escapeHtml;
  const header = branding.logoUrl
    ? `<img src="${e(branding.logoUrl)}" alt="${e(branding.organisationName)}" height="40" style="display:block;border:0;height:40px;width:auto;max-width:240px">`
    : `<span style="font-family:${FONT};font-size:20px;font-weight:700;color:${colour}">${e(product)}</span>`;
  const paragraphs = content.paragraphs.map((p) => `<p style="margin:0 0 16px">${e(p)}</p>`).join('');
  const codeBlock = code
    ? `<p style="margin:24px 0 4px;font-size:14px;color:#57606a">${e(t('mail.codeLabel'))}</p>` +
      `<p style="margin:0 0 24px;padding:16px;background:#f3f5f8;border-radius:6px;text-align:center;font-family:${MONO};font-size:32px;font-weight:700;letter-spacing:6px;color:#1f2328">${e(code)}</p>`
    : '';
  const actionBlock = action
    ? `<p style="margin:24px 0"><a href="${e(action.url)}" style="display:inline-block;background:${colour};color:#ffffff;text-decoration:none;font-weight:600;padding:12px 20px;border-radius:6px">${e(action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#57606a">${e(t('mail.actionFallback'))}<br><span style="word-break:break-all">${e(action.url)}</span></p>`
    : '';
  // Set apart from the main button, so nobody reports by mistake; the link opens a page that asks first.
  const reportBlock = report
    ? `<div style="margin:24px 0 8px;padding:16px;border:1px solid #e1e4e8;border-left:4px solid #b42318;border-radius:6px">` +
      `<p style="margin:0 0 12px">${e(report.lead)}</p>` +
      `<p style="margin:0 0 8px"><a href="${e(report.url)}" style="color:#b42318;font-weight:600">${e(report.label)}</a></p>` +
      `<p style="margin:0;font-size:13px;color:#57606a">${e(t('mail.actionFallback'))}<br><span style="word-break:break-all">${e(report.url)}</span></p></div>`
    : '';
  const lang = currentLocale()?.lang ?? 'en';
  const html =
    `<!DOCTYPE html><html lang="${e(lang)}" dir="${languageDir(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="color-scheme" content="light"><title>${e(subject)}</title></head>` +
    `<body style="margin:0;padding:0;background:#f3f5f8">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f5f8"><tr><td align="center" style="padding:24px 12px">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background:#ffffff;border-top:4px solid ${colour};border-radius:8px">` +
    `<tr><td style="padding:24px 32px 8px">${header}</td></tr>` +
    `<tr><td style="padding:8px 32px 16px;font-family:${FONT};font-size:16px;line-height:1.5;color:#1f2328">` +
    `<h1 style="margin:0 0 16px;font-size:22px;line-height:1.3">${e(title)}</h1>${paragraphs}${codeBlock}${actionBlock}${reportBlock}</td></tr>` +
    `<tr><td style="padding:16px 32px 24px;border-top:1px solid #e1e4e8;font-family:${FONT};font-size:13px;line-height:1.5;color:#57606a">` +
    `<p style="margin:0">${e(footer)}</p>${helpdesk ? `<p style="margin:8px 0 0">${e(helpdesk)}</p>` : ''}</td></tr>` +
    `</table></td></tr></table></body></html>`;
  return { subject, text, html };
}
