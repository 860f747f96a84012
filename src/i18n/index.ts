import { en, type MessageKey } from './en.js';

export type { MessageKey };
export type Vars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

const catalogues: Record<string, Record<MessageKey, string>> = { en };

export function isMessageKey(k: string): k is MessageKey {
  return Object.hasOwn(en, k);
}

/** A translator for one language; unknown languages fall back to English. */
export function translator(lang = 'en'): Translate {
  const cat = catalogues[lang] ?? en;
  return (key, vars) => {
    const text = cat[key] ?? en[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}
