import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOutbox, type OutboxItem } from '../../src/delivery/outbox.js';
import { deriveKey } from '../../src/shared/crypto.js';
import { createFieldCipher } from '../../src/shared/sealed.js';
import { openStore } from '../../src/store/database.js';
import { codeIn } from './codes.js';

/**
 * The outbox of a real portal process (startPortalProcess): its SQLite store and key file are
 * opened read-side from the test, the same way the admin console's /admin/outbox decrypts them.
 * Outbox delivery is a real product mode, so this is how a tester "receives" codes.
 */
export interface PortalOutbox {
  /** Messages to a destination (email address or E.164 number), newest first. */
  messagesTo(to: string): Promise<OutboxItem[]>;
  /** The id of the newest message so far (0 when empty): pass it as `after` to wait for a newer one. */
  mark(): Promise<number>;
  /** Waits (up to 5 s) for a message to `to` newer than `after` and returns the newest such message. */
  nextMessageTo(to: string, after: number): Promise<OutboxItem>;
  /** The code in the newest message to `to` newer than `after` (digits, also from a spoken "1, 2, 3"). */
  nextCodeTo(to: string, after: number): Promise<string>;
  close(): Promise<void>;
}

const WAIT_MS = 5_000;


/** Opens `<dir>/sspr.db` with the key from `<dir>/secret.key` (as written by startPortalProcess). */
export function openPortalOutbox(portal: { dir: string }): PortalOutbox {
  const master = Buffer.from(readFileSync(join(portal.dir, 'secret.key'), 'utf8').trim(), 'base64');
  if (master.length !== 32) throw new Error(`${portal.dir}/secret.key does not hold a 32-byte key`);
  const cipher = createFieldCipher(deriveKey(master, 'data-encryption'));
  const store = openStore(`sqlite:${join(portal.dir, 'sspr.db')}`);
  const all = async () => (await readOutbox(store, cipher, { page: 1, pageSize: 500 })).items;

  const messagesTo = async (to: string) => (await all()).filter((m) => m.to === to);

  const nextMessageTo = async (to: string, after: number) => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = (await messagesTo(to)).find((m) => m.id > after);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no message to ${to} after #${after} in the outbox within ${WAIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    messagesTo,
    mark: async () => (await all())[0]?.id ?? 0,
    nextMessageTo,
    nextCodeTo: async (to, after) => {
      const m = await nextMessageTo(to, after);
      if (!m.body) throw new Error(`the message to ${to} could not be decrypted`);
      return codeIn(m.body);
    },
    close: () => store.close(),
  };
}
