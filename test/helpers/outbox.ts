import type { Portal } from '../../src/app/portal.js';
import { readOutbox, type OutboxItem } from '../../src/delivery/outbox.js';

/** The newest outbox message to a destination (outbox delivery is a real product mode: messages land in the store). */
export async function lastMessageTo(portal: Portal, to: string): Promise<OutboxItem | null> {
  const page = await readOutbox(portal.store, portal.cipher, { page: 1, pageSize: 200 });
  return page.items.find((m) => m.to === to) ?? null;
}

/** The code in the newest message to a destination (digits, possibly spoken "1, 2, 3"). */
export async function lastCodeTo(portal: Portal, to: string): Promise<string> {
  const m = await lastMessageTo(portal, to);
  if (!m?.body) throw new Error(`no message to ${to} in the outbox`);
  const spoken = /code is: ((?:\d, )+\d)/.exec(m.body);
  if (spoken) return spoken[1]!.replace(/, /g, '');
  const digits = /\b(\d{6,8})\b/.exec(m.body);
  if (!digits) throw new Error(`no code in: ${m.body}`);
  return digits[1]!;
}

export async function messagesTo(portal: Portal, to: string): Promise<OutboxItem[]> {
  const page = await readOutbox(portal.store, portal.cipher, { page: 1, pageSize: 200 });
  return page.items.filter((m) => m.to === to);
}
