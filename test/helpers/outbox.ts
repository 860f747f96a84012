import type { Portal } from '../../src/app/portal.js';
import { readOutbox, type OutboxItem } from '../../src/delivery/outbox.js';
import { codeIn } from './codes.js';

/** The newest outbox message to a destination (outbox delivery is a real product mode: messages land in the store). */
export async function lastMessageTo(portal: Portal, to: string): Promise<OutboxItem | null> {
  const page = await readOutbox(portal.store, portal.cipher, { page: 1, pageSize: 200 });
  return page.items.find((m) => m.to === to) ?? null;
}

/** The code in the newest message to a destination (digits, possibly spoken "1, 2, 3"). */
export async function lastCodeTo(portal: Portal, to: string): Promise<string> {
  const m = await lastMessageTo(portal, to);
  if (!m?.body) throw new Error(`no message to ${to} in the outbox`);
  return codeIn(m.body);
}

export async function messagesTo(portal: Portal, to: string): Promise<OutboxItem[]> {
  const page = await readOutbox(portal.store, portal.cipher, { page: 1, pageSize: 200 });
  return page.items.filter((m) => m.to === to);
}
