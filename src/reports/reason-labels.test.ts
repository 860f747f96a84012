import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writebackRefusals } from '../agent-protocol/verdicts.js';
import { isMessageKey } from '../i18n/index.js';

/** "Top failure reasons" shows each reason in words: every reason the flows record has a label, so no raw code reaches the page. */

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('failure reasons in the reports', () => {
  it('every reason a reset, unlock, change or method check records has words, and so does every writeback refusal a change can end with', () => {
    const recorded = new Set<string>(writebackRefusals.filter((r) => r !== 'unavailable'));
    // Literal reasons next to the report's events, wherever they are recorded.
    for (const file of sources('src')) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!/event: (?:flow\.data\.intent === 'unlock' \? 'account_unlock' : )?'(password_reset|account_unlock|password_change|method_verified)'/.test(line)) continue;
        for (const m of line.matchAll(/reason: '([a-z_]+)'/g)) recorded.add(m[1]!);
      }
    }
    expect(recorded.has('nothing_matched')).toBe(true);
    expect(recorded.has('current_password_wrong')).toBe(true);
    const missing = [...recorded].filter((r) => !isMessageKey(`reports.reason.${r}`));
    expect(missing).toEqual([]);
  });
});
