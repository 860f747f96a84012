import { isMessageKey, type MessageKey, type Translate } from '../i18n/index.js';
import { AA_NORMAL_TEXT, contrastRatio, formatRatio, isHexColour, mix, suggestColour } from './contrast.js';
import type { LogoKind } from './image-check.js';

/** The organisation's brand, as stored (one JSON document per version) and shown on every page and mail. */
export interface Brand {
  organisationName: string;
  /** An uploaded logo in brand_assets, by the SHA-256 of its bytes. */
  logo: { sha256: string; kind: LogoKind } | null;
  /** Header, buttons and links: white text sits on it, and it sits on the background. */
  primaryColour: string;
  /** The page background, under the page's text. */
  backgroundColour: string;
  signInMessage: string | null;
  /** A web address or an email address, shown wherever help is offered. */
  helpdesk: string | null;
  footerLinks: FooterLink[];
}

export interface FooterLink {
  label: string;
  url: string;
}

export const MAX_FOOTER_LINKS = 5;
/** The colours of the stylesheet the brand's colours must stand against (src/http/ui/styles.ts). */
export const TEXT_COLOUR = '#1b1f24';
export const MUTED_COLOUR = '#505a66';
export const WHITE = '#ffffff';

export interface FieldProblem {
  key: MessageKey;
  vars?: Record<string, string | number>;
}
export type BrandErrors = Record<string, FieldProblem>;

/** A problem's values as the words take them: the colour a contrast was measured against, translated. */
export function problemVars(t: Translate, p: FieldProblem): Record<string, string | number> {
  const vars = { ...p.vars };
  if (typeof vars['against'] === 'string' && isMessageKey(vars['against'])) vars['against'] = t(vars['against']);
  return vars;
}

/** What the form (or a test) sends: every value a string, untrusted. */
export interface BrandInput {
  organisationName?: unknown;
  primaryColour?: unknown;
  backgroundColour?: unknown;
  signInMessage?: unknown;
  helpdesk?: unknown;
  footerLinks?: unknown;
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : null);
// eslint-disable-next-line no-control-regex -- control characters have no place in a name or a message
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- a message may have line breaks, nothing else
const CONTROL_BUT_LINES = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/;

function colourProblem(field: 'primaryColour' | 'backgroundColour', colour: string, against: string, what: MessageKey): FieldProblem | null {
  const ratio = contrastRatio(colour, against);
  if (ratio >= AA_NORMAL_TEXT) return null;
  const suggestion = suggestColour(colour, against);
  return {
    key: suggestion.direction === 'darker' ? 'brand.v.contrastDarker' : 'brand.v.contrastLighter',
    vars: { colour, ratio: formatRatio(ratio), min: AA_NORMAL_TEXT.toFixed(1), suggestion: suggestion.colour, against: what, field },
  };
}

/**
 * Validates a whole brand (all fields at once: every problem is shown together) and checks the
 * contrast of the colours against the text that sits on or under them, refusing below WCAG AA.
 * `logo` is decided by the caller (upload checked separately). Length limits come before any work.
 */
export function validateBrand(input: BrandInput, logo: Brand['logo']): { ok: true; value: Brand } | { ok: false; errors: BrandErrors } {
  const errors: BrandErrors = {};
  const name = str(input.organisationName);
  if (!name) errors['organisationName'] = { key: 'brand.v.nameRequired' };
  else if (name.length > 120 || CONTROL.test(name)) errors['organisationName'] = { key: 'brand.v.nameTooLong' };
  const colours: Record<'primaryColour' | 'backgroundColour', string | null> = { primaryColour: null, backgroundColour: null };
  for (const field of ['primaryColour', 'backgroundColour'] as const) {
    const v = str(input[field])?.toLowerCase() ?? '';
    if (!isHexColour(v)) errors[field] = { key: 'brand.v.colour' };
    else colours[field] = v;
  }
  const { primaryColour, backgroundColour } = colours;
  if (primaryColour && !errors['primaryColour']) {
    const p = colourProblem('primaryColour', primaryColour, WHITE, 'brand.against.white') ?? (backgroundColour ? colourProblem('primaryColour', primaryColour, backgroundColour, 'brand.against.background') : null);
    if (p) errors['primaryColour'] = p;
  }
  if (backgroundColour) {
    // The muted grey is the lightest text the pages put on the background: if it passes, the text does.
    const p = colourProblem('backgroundColour', backgroundColour, MUTED_COLOUR, 'brand.against.text');
    if (p) errors['backgroundColour'] = p;
  }
  const message = str(input.signInMessage ?? '');
  if (message === null || message.length > 500 || CONTROL_BUT_LINES.test(message)) errors['signInMessage'] = { key: 'brand.v.message' };
  const helpdesk = str(input.helpdesk ?? '');
  if (helpdesk === null || helpdesk.length > 300 || (helpdesk !== '' && !(/^https:\/\/[^\s]+$/i.test(helpdesk) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(helpdesk)))) errors['helpdesk'] = { key: 'brand.v.helpdesk' };
  const links: FooterLink[] = [];
  const rawLinks = Array.isArray(input.footerLinks) ? input.footerLinks : [];
  if (!Array.isArray(input.footerLinks) && input.footerLinks !== undefined) errors['footerLinks'] = { key: 'brand.v.links' };
  rawLinks.forEach((raw: unknown, i) => {
    const link = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const label = str(link['label']) ?? '';
    const url = str(link['url']) ?? '';
    if (label === '' && url === '') return;
    if (label === '' || label.length > 60 || CONTROL.test(label)) errors[`footerLinks.${i}.label`] = { key: 'brand.v.linkLabel' };
    if (!isHttpsUrl(url)) errors[`footerLinks.${i}.url`] = { key: 'brand.v.linkUrl' };
    links.push({ label, url });
  });
  if (links.length > MAX_FOOTER_LINKS || rawLinks.length > 50) errors['footerLinks'] = { key: 'brand.v.tooManyLinks', vars: { max: MAX_FOOTER_LINKS } };
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { organisationName: name!, logo, primaryColour: primaryColour!, backgroundColour: backgroundColour!, signInMessage: message || null, helpdesk: helpdesk || null, footerLinks: links } };
}

export function isHttpsUrl(s: string): boolean {
  if (s.length > 500) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && u.hostname !== '' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** The fields that differ, for the audit trail. */
export function changedFields(a: Brand, b: Brand): string[] {
  return (Object.keys(b) as Array<keyof Brand>).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** The primary colour's hover state: a little darker, so it keeps its contrast with white. */
export function darker(hex: string): string {
  return mix(hex, 'darker', 0.22);
}

export const logoExtension: Record<LogoKind, string> = { png: 'png', jpg: 'jpg', webp: 'webp', svg: 'svg' };

export function logoPath(logo: NonNullable<Brand['logo']>): string {
  return `/brand/logo/${logo.sha256}.${logoExtension[logo.kind]}`;
}
