import { MAX_MEMBERS_PER_MESSAGE, type SyncGroup, type SyncPage } from './sync-pages.js';

/**
 * A page as the agent sends it: at most `budget` bytes of JSON each, so that a page of big
 * groups never exceeds the WebSocket's frame limit. A page that fits is sent as it is (the
 * usual case). Otherwise users, groups and departures are packed, in order, into as many pages
 * as needed; a group that alone does not fit is sent as its head (`partial`, the first of its
 * members) followed by pages holding one `members` part each, the last marked `last`. The portal
 * puts a partial group together before applying it (src/sync/sync-service.ts).
 *
 * `budget` must leave room for one user and one group without members (a few KiB); the agent
 * uses SYNC_MESSAGE_BYTES (1 MiB).
 */
export function splitPage(page: SyncPage, budget: number, maxMembers = MAX_MEMBERS_PER_MESSAGE): SyncPage[] {
  if (page.groups.every((g) => g.memberDns.length <= maxMembers) && bytes(page) <= budget) return [page];
  const out: SyncPage[] = [];
  let current: SyncPage = empty();
  let used = bytes(current);
  const flush = () => {
    if (current.users.length + current.groups.length + current.gone.length + (current.members?.length ?? 0) === 0) return;
    out.push(current);
    current = empty();
    used = bytes(current);
  };
  // An item in a JSON array costs its own bytes plus a comma.
  const add = <K extends 'users' | 'groups' | 'gone'>(key: K, item: SyncPage[K][number], size: number) => {
    if (used + size + 1 > budget) flush();
    (current[key] as Array<SyncPage[K][number]>).push(item);
    used += size + 1;
  };
  for (const u of page.users) add('users', u, bytes(u));
  for (const g of page.groups) {
    const size = bytes(g);
    if (bytes(empty()) + size + 1 <= budget && g.memberDns.length <= maxMembers) add('groups', g, size);
    else {
      flush();
      out.push(...groupInParts(g, budget, maxMembers));
    }
  }
  for (const anchor of page.gone) add('gone', anchor, bytes(anchor));
  flush();
  // A page already holding a member part (not made by the reader) keeps it, on its own.
  for (const part of page.members ?? []) out.push({ ...empty(), members: [part] });
  return out;
}

/** A group too big for one page: its head with the first members, then parts of the rest. */
function groupInParts(g: SyncGroup, budget: number, maxMembers: number): SyncPage[] {
  const pages: SyncPage[] = [];
  const head: SyncGroup = { ...g, memberDns: [], partial: true };
  let i = fill(head.memberDns, g.memberDns, 0, budget - bytes({ ...empty(), groups: [head] }), maxMembers);
  pages.push({ ...empty(), groups: [head] });
  do {
    const part = { anchor: g.anchor, memberDns: [] as string[], last: false };
    const room = budget - bytes({ ...empty(), members: [{ ...part, last: true }] });
    i = fill(part.memberDns, g.memberDns, i, room, maxMembers);
    part.last = i >= g.memberDns.length;
    pages.push({ ...empty(), members: [part] });
  } while (i < g.memberDns.length);
  return pages;
}

/** Moves DNs from `from[i…]` into `into` while they fit in `room` bytes; returns the next index (at least one DN moves when any is left). */
function fill(into: string[], from: string[], i: number, room: number, maxMembers: number): number {
  let used = 0;
  while (i < from.length && into.length < maxMembers) {
    const size = bytes(from[i]) + 1;
    if (used + size > room && into.length > 0) break;
    into.push(from[i]!);
    used += size;
    i += 1;
  }
  return i;
}

function empty(): SyncPage {
  return { users: [], groups: [], gone: [] };
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
