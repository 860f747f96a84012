import { isMessageKey, type MessageKey, type Translate } from '../../i18n/index.js';
import { formatDateTime } from './dates.js';

/**
 * Words for the portal's codes (audit events and outcomes, detail keys and values, delivery kinds,
 * roles). The console shows the words and keeps the code as a tooltip: `<span title="sign_in">Sign-in</span>`.
 * CSV exports and the API keep the raw codes. A code without a catalogue entry (a new one the
 * registry test has not caught yet) still reads as words: `nothing_matched` → "Nothing matched".
 */

export const UUID_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const UUID_ONLY = new RegExp(`^${UUID_PATTERN.source}$`, 'i');
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const CODE = /^[a-z][a-z0-9]*([_:-][a-z0-9]+)+$/;

/** `nothing_matched` → "Nothing matched", `sessionsRevoked` → "Sessions revoked". */
export function humanize(code: string): string {
  const words = code
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_:-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The catalogue's words for `prefix + code`, else the code in words. */
export function labelOf(t: Translate, prefix: string, code: string): string {
  const key = `${prefix}${code}`;
  return isMessageKey(key) ? t(key) : humanize(code);
}

export const eventLabel = (t: Translate, event: string) => labelOf(t, 'audit.event.', event);
export const outcomeLabel = (t: Translate, outcome: string) => labelOf(t, 'audit.outcome.', outcome);
export const kindLabel = (t: Translate, kind: string) => labelOf(t, 'delivery.kind.', kind);
export const roleLabel = (t: Translate, role: string) => labelOf(t, 'role.', role);

/** The portal's own actors (no user id): their stored names are codes, shown in words. */
const SYSTEM_ACTORS: Record<string, MessageKey> = { 'first-run setup': 'audit.actor.firstRun', 'demo seed': 'audit.actor.demoSeed', cli: 'audit.actor.cli', sync: 'audit.actor.sync' };

export function actorLabel(t: Translate, name: string | null, id: string | null): string {
  if (name === null) return '—';
  // A sync run records the agent that ran it as the id, under the name `sync`.
  const key = id === null || name === 'sync' ? SYSTEM_ACTORS[name] : undefined;
  return key ? t(key) : name;
}

/** Words with the code as a tooltip. */
export function Code({ code, text }: { code: string; text: string }) {
  return <span title={code}>{text}</span>;
}

/** Who an id stands for (a user's username, a group's name), looked up by the page. */
export type Names = ReadonlyMap<string, string>;

/** Ids (UUIDs) among the values of some details, for the page to look up. */
export function idsIn(details: Record<string, unknown>): string[] {
  return Object.values(details).filter((v): v is string => typeof v === 'string' && UUID_ONLY.test(v));
}

function oneValue(t: Translate, key: string, v: string, names: Names): string {
  if (UUID_ONLY.test(v)) return names.get(v) ?? t('audit.reference', { id: v.slice(0, 8) });
  if (ISO_TIME.test(v) && !Number.isNaN(Date.parse(v))) return formatDateTime(Date.parse(v), 'minute');
  if (!CODE.test(v) && !/^[a-z]+$/.test(v)) return v;
  if (key === 'reported') return eventLabel(t, v);
  for (const prefix of ['audit.value.', 'methods.type.', 'role.', 'audit.event.', 'delivery.kind.']) {
    const k = `${prefix}${v}`;
    if (isMessageKey(k)) return t(k);
  }
  if (v.startsWith('onprem_')) return `${oneValue(t, key, v.slice('onprem_'.length), names)} (Active Directory)`;
  return CODE.test(v) ? humanize(v).toLowerCase() : v;
}

/** One detail's value in words ('' when there is nothing to show: an empty value is left out). */
export function detailValue(t: Translate, key: string, v: unknown, names: Names, special?: SpecialValues): string {
  if (v === null || v === undefined || v === '') return '';
  const own = typeof v === 'string' ? special?.(key, v) : null;
  if (own) return own;
  if (typeof v === 'boolean') return t(v ? 'audit.yes' : 'audit.no');
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return JSON.stringify(v);
  const parts = v.split(',');
  if (parts.length > 1 && parts.every((p) => CODE.test(p) || /^[a-z]+$/.test(p) || UUID_ONLY.test(p))) return parts.map((p) => oneValue(t, key, p, names)).join(', ');
  return oneValue(t, key, v, names);
}

/** Words a feature gives for its own values (the policy's setting paths of `changed`); null: the usual words. */
export type SpecialValues = (key: string, value: string) => string | null;

/** An event's details as labelled pairs, empty values left out; the raw `key=value` stays in the tooltip. */
export function Details({ t, details, names, special }: { t: Translate; details: Record<string, unknown>; names: Names; special?: SpecialValues }) {
  const shown = Object.entries(details)
    .map(([k, v]) => ({ k, raw: typeof v === 'string' ? v : JSON.stringify(v), label: labelOf(t, 'audit.detail.', k), value: detailValue(t, k, v, names, special) }))
    .filter((d) => d.value !== '');
  if (shown.length === 0) return <>—</>;
  return (
    <ul class="details">
      {shown.map((d) => (
        <li title={`${d.k}=${d.raw}`}>
          {d.label}: {d.value}
        </li>
      ))}
    </ul>
  );
}

/** A `names` lookup over the directory: users by username (display name), groups by name; unknown ids are left out. */
export function directoryNames(users: { byId(id: string): Promise<{ username: string; displayName: string } | null> }, groups: { byId(id: string): Promise<{ name: string } | null> }) {
  return async (ids: string[]): Promise<Names> => {
    const out = new Map<string, string>();
    await Promise.all(
      ids.map(async (id) => {
        const u = await users.byId(id);
        if (u) out.set(id, u.displayName && u.displayName !== u.username ? `${u.username} (${u.displayName})` : u.username);
        else {
          const g = await groups.byId(id);
          if (g) out.set(id, g.name);
        }
      }),
    );
    return out;
  };
}
