// Checks one translation file against the English catalogue: npx tsx scripts/check-locale.ts locales/de.json
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { en } from '../src/i18n/en.js';
import { catalogueProblems } from '../src/i18n/check.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx scripts/check-locale.ts locales/<lang>.json');
  process.exit(2);
}
const lang = basename(file, '.json');
const messages = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const problems = catalogueProblems(lang, messages, en);
const same = Object.entries(messages).filter(([k, v]) => (en as Record<string, string>)[k] === v).length;
for (const p of problems) console.log(p);
console.log(`${lang}: ${Object.keys(messages).length} of ${Object.keys(en).length} keys, ${problems.length} problems, ${same} messages identical to English`);
process.exit(problems.length ? 1 : 0);
