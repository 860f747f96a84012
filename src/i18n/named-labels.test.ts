import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { localeFile } from './index.js';
import { LANGUAGES } from './languages.js';

/**
 * A button whose visible words are short ("Revoke") carries a fuller accessible name ("Revoke
 * agent dc1", key `…Named`). Speech-input users say what they see, so the name must contain the
 * visible words (axe: label-content-name-mismatch) — in every language, not only in English.
 */
describe('named labels contain their visible label', () => {
  // The …Named keys the pages use as an aria-label over the visible …-key text.
  const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.tsx') ? [join(dir, e.name)] : []));
  const used = new Set(sources(fileURLToPath(new URL('..', import.meta.url))).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/aria-label=\{t\('([\w.]+Named)'/g)].map((m) => m[1]!)));
  const named = Object.keys(en).filter((k) => used.has(k) && Object.hasOwn(en, k.slice(0, -'Named'.length)));

  it('there are such pairs to check', () => {
    expect(named.length).toBeGreaterThan(3);
  });

  for (const { code } of LANGUAGES) {
    it(`${code}: each …Named text contains its button's text`, () => {
      const messages = code === 'en' ? (en as Record<string, string>) : (JSON.parse(readFileSync(localeFile(code), 'utf8')) as Record<string, string>);
      const mismatched = named.filter((k) => {
        const visible = messages[k.slice(0, -'Named'.length)];
        const full = messages[k];
        return visible !== undefined && full !== undefined && !full.toLocaleLowerCase(code).includes(visible.toLocaleLowerCase(code));
      });
      expect(mismatched.map((k) => `${k}: "${messages[k]}" does not contain "${messages[k.slice(0, -5)]}"`)).toEqual([]);
    });
  }
});
