import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { coreMessages, en } from './en.js';
import { translator } from './index.js';

const SRC = join(import.meta.dirname, '..');

/** Every feature's message file: `messages.en.ts` or `<part>-messages.en.ts`, anywhere under src/. */
function messageFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return messageFiles(path);
    return /(^|-)messages\.en\.ts$/.test(e.name) ? [path] : [];
  });
}

async function parts(): Promise<Array<{ name: string; keys: string[] }>> {
  const found = [{ name: 'src/i18n/en.ts (core)', keys: Object.keys(coreMessages) }];
  for (const file of messageFiles(SRC)) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [exported, value] of Object.entries(mod)) {
      if (value && typeof value === 'object') found.push({ name: `${relative(join(SRC, '..'), file)} (${exported})`, keys: Object.keys(value) });
    }
  }
  return found;
}

describe('message catalogue', () => {
  it('no key is defined by two message files: the spread into en would silently keep only the last', async () => {
    const owners = new Map<string, string[]>();
    for (const part of await parts()) for (const key of part.keys) owners.set(key, [...(owners.get(key) ?? []), part.name]);
    const twice = [...owners].filter(([, names]) => names.length > 1).map(([key, names]) => `${key}: ${names.join(', ')}`);
    expect(twice).toEqual([]);
  });

  it('every message file is part of the catalogue, and the catalogue holds nothing else', async () => {
    const all = (await parts()).flatMap((p) => p.keys);
    expect(all.filter((key) => !Object.hasOwn(en, key))).toEqual([]);
    expect(Object.keys(en).filter((key) => !all.includes(key))).toEqual([]);
  });

  it('every message is valid ICU MessageFormat, and every plural has an "other" form', () => {
    const broken: string[] = [];
    const pluralsWithoutOther: string[] = [];
    const walk = (key: string, nodes: MessageFormatElement[]) => {
      for (const node of nodes) {
        if (node.type === TYPE.plural || node.type === TYPE.select) {
          if (!('other' in node.options)) pluralsWithoutOther.push(key);
          for (const option of Object.values(node.options)) walk(key, option.value);
        }
      }
    };
    for (const [key, text] of Object.entries(en)) {
      try {
        walk(key, parse(text, { ignoreTag: true }));
      } catch (e) {
        broken.push(`${key}: ${(e as Error).message}`);
      }
    }
    expect(broken).toEqual([]);
    expect(pluralsWithoutOther).toEqual([]);
  });

  it('no message counts with "(s)": a count is a plural, so "1 minute" and "2 minutes" both read right', () => {
    expect(Object.entries(en).filter(([, text]) => /\w\(s\)/.test(text)).map(([key]) => key)).toEqual([]);
  });
});

describe('translator', () => {
  const t = translator('en');

  it('chooses the plural form by the count, a number given as a string too', () => {
    expect(t('time.ago.minutes', { n: 1 })).toBe('1 minute ago');
    expect(t('time.ago.minutes', { n: 2 })).toBe('2 minutes ago');
    expect(t('users.count', { total: '1' })).toBe('1 user');
    expect(t('users.count', { total: 0 })).toBe('0 users');
  });

  it('formats counts by locale and fills plain placeholders as given', () => {
    expect(t('users.count', { total: 1234 })).toBe('1,234 users');
    expect(t('app.footer', { product: 'OpenSSPR', org: 'Contoso' })).toBe('OpenSSPR · self-service password portal of Contoso');
  });

  it('shows a missing placeholder as itself instead of failing the page', () => {
    expect(t('app.footer', { product: 'OpenSSPR' })).toBe('OpenSSPR · self-service password portal of {org}');
  });

  it('unknown languages fall back to English', () => {
    expect(translator('xx')('time.ago.days', { n: 3 })).toBe('3 days ago');
  });
});
