import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogueProblems } from './check.js';
import { en } from './en.js';
import { localeFile, translator } from './index.js';
import { LANGUAGES } from './languages.js';

const TRANSLATED = LANGUAGES.filter((l) => l.code !== 'en').map((l) => l.code);

describe('translated catalogues', () => {
  it.each(TRANSLATED)('%s is complete: every key, valid ICU, the same placeholders and select options as English, only the plural forms the language has', (code) => {
    const messages = JSON.parse(readFileSync(localeFile(code), 'utf8')) as Record<string, unknown>;
    expect(catalogueProblems(code, messages, en)).toEqual([]);
    expect(Object.keys(messages)).toEqual(Object.keys(en));
  });

  it.each(TRANSLATED)('%s is a translation, not a copy: at most 3 percent of its messages read exactly as the English (names, Passkey, SMS, placeholders alone)', (code) => {
    const messages = JSON.parse(readFileSync(localeFile(code), 'utf8')) as Record<string, string>;
    const same = Object.keys(en).filter((k) => messages[k] === (en as Record<string, string>)[k]);
    expect(same.length / Object.keys(en).length).toBeLessThan(0.03);
  });

  it('the check names a missing key, a lost or added placeholder, a plural form the language lacks and a changed select', () => {
    const english = { a: 'Hello {name}', b: '{n, plural, one {# day} other {# days}}', c: '{kind, select, email {mail} other {text}}', d: 'Plain' };
    const problems = catalogueProblems('ja', { a: 'こんにちは {nom}', b: '{n, plural, one {#日} other {#日}}', c: '{kind, select, mail {メール} other {テキスト}}', x: 'extra' }, english);
    expect(problems).toEqual([
      'd: missing',
      'a: placeholder {name} is missing',
      'a: placeholder {nom} is not in the English message',
      'b: plural {n} uses "one", which ja does not have (it has other)',
      'c: select {kind} must keep the options email, other',
      'x: not a key of the English catalogue',
    ]);
    expect(catalogueProblems('de', { a: 'Hallo {name', b: '{n, plural, one {# Tag} other {# Tage}}', c: '{kind, select, email {Mail} other {Text}}', d: 'Schlicht' }, english)[0]).toMatch(/^a: not valid ICU MessageFormat/);
  });

  it('each language formats its own plurals: Arabic has six forms, Japanese one, French counts 0 as one', () => {
    expect(translator('ar')('time.ago.days', { n: 2 })).not.toBe(translator('ar')('time.ago.days', { n: 3 }));
    expect(translator('ja')('time.ago.days', { n: 1 })).toContain('1');
    const fr = (n: number) => translator('fr')('time.ago.days', { n });
    expect(fr(0).replace('0', '1')).toBe(fr(1));
    expect(fr(2).replace('2', '1')).not.toBe(fr(1));
  });
});
