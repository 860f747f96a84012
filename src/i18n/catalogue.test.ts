import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { coreMessages, en } from './en.js';

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
});
