/**
 * The languages OpenSSPR speaks. English is the source catalogue (src/i18n/en.ts); every other
 * language is `locales/<code>.json` beside src/ and dist/, complete (src/i18n/catalogue.test.ts).
 * `name` is the language's own name, as the footer's switch shows it.
 */
export const LANGUAGES = [
  { code: 'en', name: 'English', dir: 'ltr' },
  { code: 'de', name: 'Deutsch', dir: 'ltr' },
  { code: 'fr', name: 'Français', dir: 'ltr' },
  { code: 'es', name: 'Español', dir: 'ltr' },
  { code: 'nl', name: 'Nederlands', dir: 'ltr' },
  { code: 'pt-BR', name: 'Português (Brasil)', dir: 'ltr' },
  { code: 'ja', name: '日本語', dir: 'ltr' },
  { code: 'ar', name: 'العربية', dir: 'rtl' },
] as const;

export type LanguageCode = (typeof LANGUAGES)[number]['code'];
export const LANGUAGE_CODES = LANGUAGES.map((l) => l.code) as [LanguageCode, ...LanguageCode[]];

/**
 * The pseudo-locale: every message of the English catalogue wrapped in ⟦ ⟧. Offered only when
 * `branding.languages` lists it (a test or a translator checking the pages): any text on a page
 * outside the brackets did not come from the catalogue (test/browser/console-crawl.test.ts).
 */
export const PSEUDO_LOCALE = 'en-XA';
/** What `branding.languages` may list: the real languages and the pseudo-locale. */
export const CONFIGURABLE_LANGUAGES = [...LANGUAGE_CODES, PSEUDO_LOCALE] as [LanguageCode | typeof PSEUDO_LOCALE, ...Array<LanguageCode | typeof PSEUDO_LOCALE>];

export function isLanguageCode(value: unknown): value is LanguageCode {
  return typeof value === 'string' && (LANGUAGE_CODES as readonly string[]).includes(value);
}

export function languageDir(code: string): 'ltr' | 'rtl' {
  return LANGUAGES.find((l) => l.code === code)?.dir ?? 'ltr';
}

export function languageName(code: string): string {
  if (code === PSEUDO_LOCALE) return `Pseudo (${PSEUDO_LOCALE})`;
  return LANGUAGES.find((l) => l.code === code)?.name ?? code;
}

/**
 * The best offered language for a tag like `de-AT`, `pt`, `PT-br` or `ar-EG`: the exact code, else
 * a code with the same primary language (`de-AT` → `de`, `pt` → `pt-BR`), else null.
 */
export function matchLanguage(tag: string, offered: readonly string[]): string | null {
  const wanted = tag.trim().toLowerCase();
  if (!wanted || wanted === '*') return null;
  const exact = offered.find((code) => code.toLowerCase() === wanted);
  if (exact) return exact;
  const primary = wanted.split('-')[0];
  return offered.find((code) => code.toLowerCase().split('-')[0] === primary) ?? null;
}

/** `Accept-Language: de-CH, fr;q=0.8, en;q=0.5` → the offered languages in the order the browser prefers them. */
export function fromAcceptLanguage(header: string | undefined, offered: readonly string[]): string | null {
  if (!header) return null;
  const ranges = header
    .slice(0, 1000)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((r) => r.tag && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const range of ranges) {
    const match = matchLanguage(range.tag, offered);
    if (match) return match;
  }
  return null;
}

export interface LanguageChoice {
  /** `?lang=` of this request, then the language cookie it set. */
  asked?: string | null;
  cookie?: string | null;
  /** The signed-in user's saved preference (My account). */
  preference?: string | null;
  acceptLanguage?: string;
  offered: readonly string[];
  fallback: string;
}

/** The order of issue 15: the switch (and its cookie), the saved preference, the browser, the organisation's default. */
export function chooseLanguage(choice: LanguageChoice): string {
  for (const candidate of [choice.asked, choice.cookie, choice.preference]) {
    const match = candidate ? matchLanguage(candidate, choice.offered) : null;
    if (match) return match;
  }
  return fromAcceptLanguage(choice.acceptLanguage, choice.offered) ?? (choice.offered.includes(choice.fallback) ? choice.fallback : (choice.offered[0] ?? 'en'));
}

/** A time zone name the runtime knows (`Europe/Berlin`), or null. */
export function validTimeZone(zone: unknown): string | null {
  if (typeof zone !== 'string' || zone.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}
