import type { Translate } from '../i18n/index.js';
import { changedPaths } from './policy.js';
import { policySettings, settingOfPath, valueAt, type Setting } from './settings.js';

/**
 * What a policy version changed, in words: "Methods required: 1 → 2". The history and the
 * version pages read this instead of the raw document; the code (the setting's dotted path)
 * stays available as a tooltip.
 */
export interface SettingChange {
  path: string;
  label: string;
  before: string;
  after: string;
}

/** One setting's value in words (option labels, Yes/No, group names, "none"). */
export function settingValueText(t: Translate, s: Setting, v: unknown, groupNames: ReadonlyMap<string, string>): string {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return t('policy.history.none');
  if (s.kind === 'yesno' || typeof v === 'boolean') return t(v ? 'policy.yes' : 'policy.no');
  if (Array.isArray(v)) {
    return v
      .map((item) => {
        const text = String(item);
        if (s.path === 'groups') return groupNames.get(text) ?? t('policy.history.deletedGroup');
        const o = s.options?.find((x) => x.value === text);
        return o ? t(o.label) : text;
      })
      .join(', ');
  }
  if (s.numeric || s.kind === 'number') return String(v);
  const o = s.options?.find((x) => x.value === String(v));
  return o ? t(o.label) : String(v);
}

export function policyChanges(t: Translate, before: unknown, after: unknown, groupNames: ReadonlyMap<string, string>): SettingChange[] {
  const seen = new Set<string>();
  const out: SettingChange[] = [];
  for (const path of changedPaths(before, after)) {
    const s = settingOfPath(path);
    if (!s) continue;
    if (seen.has(s.path)) continue;
    seen.add(s.path);
    out.push({ path: s.path, label: t(s.label), before: settingValueText(t, s, valueAt(before, s.path), groupNames), after: settingValueText(t, s, valueAt(after, s.path), groupNames) });
  }
  // In the order of the console's pages.
  const order = (p: string) => policySettings.findIndex((s) => s.path === p);
  return out.sort((a, b) => order(a.path) - order(b.path));
}
