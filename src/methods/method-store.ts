import type { Kysely } from 'kysely';
import type { AuthMethodsTable, Database, MethodType } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import { hmac, newId } from '../shared/crypto.js';
import type { FieldCipher } from '../shared/sealed.js';

export type { MethodType };

/** A registered method as the pages see it: contact details opened, secrets never. */
export interface Method {
  id: string;
  userId: string;
  type: MethodType;
  label: string;
  /** Email address or E.164 number, for the contact methods. */
  contact: string | null;
  confirmed: boolean;
  isDefault: boolean;
  createdAt: number;
  lastUsedAt: number | null;
  /** Passkeys only. */
  credentialId: string | null;
}

export interface PasskeyData {
  credentialId: string;
  publicKey: string;
  signCount: number;
  transports: string[];
}

const secretAad = (id: string, type: MethodType) => `auth_method:${id}:${type}`;

/**
 * Stores authentication methods. Contact details and TOTP secrets are sealed with the data
 * key (a copied database reveals none of them); the keyed lookup hash lets the flows match a
 * number or address the user types without decrypting every row.
 */
export class MethodStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly cipher: FieldCipher,
    private readonly lookupKey: Buffer,
  ) {}

  contactHash(type: MethodType, normalised: string): string {
    return hmac(this.lookupKey, `contact:${type === 'email' ? 'email' : 'phone'}:${normalised}`);
  }

  private toMethod(row: AuthMethodsTable): Method {
    const contact = (row.type === 'email' || row.type === 'mobile' || row.type === 'office') && row.secret ? this.cipher.open(row.secret, secretAad(row.id, row.type)) : null;
    return {
      id: row.id,
      userId: row.user_id,
      type: row.type,
      label: row.label,
      contact,
      confirmed: row.confirmed_at !== null,
      isDefault: row.is_default === 1,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      credentialId: row.credential_id,
    };
  }

  async list(userId: string, options: { confirmedOnly?: boolean } = {}): Promise<Method[]> {
    let q = this.db.selectFrom('auth_methods').selectAll().where('user_id', '=', userId);
    if (options.confirmedOnly) q = q.where('confirmed_at', 'is not', null);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => this.toMethod(r));
  }

  async get(userId: string, id: string): Promise<Method | null> {
    if (!id || id.length > 64) return null;
    const row = await this.db.selectFrom('auth_methods').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return row ? this.toMethod(row) : null;
  }

  /** One row with everything not given left empty; `fill` may use the new id (sealing binds a secret to its row). */
  private async insert(userId: string, type: MethodType, fill: (id: string, now: number) => Partial<AuthMethodsTable>): Promise<Method> {
    const id = newId();
    const now = this.clock.now();
    await this.db
      .insertInto('auth_methods')
      .values({
        id,
        user_id: userId,
        type,
        label: '',
        secret: null,
        lookup_hash: null,
        credential_id: null,
        public_key: null,
        sign_count: 0,
        transports: null,
        last_totp_step: null,
        confirmed_at: null,
        is_default: 0,
        created_at: now,
        last_used_at: null,
        ...fill(id, now),
      })
      .execute();
    return (await this.get(userId, id))!;
  }

  /** Adds an unconfirmed email or phone method; it counts only once its code was entered. */
  addContact(userId: string, type: 'email' | 'mobile' | 'office', normalised: string): Promise<Method> {
    return this.insert(userId, type, (id) => ({ secret: this.cipher.seal(normalised, secretAad(id, type)), lookup_hash: this.contactHash(type, normalised) }));
  }

  addTotp(userId: string, secretBase32: string, label: string): Promise<Method> {
    return this.insert(userId, 'totp', (id) => ({ label, secret: this.cipher.seal(secretBase32, secretAad(id, 'totp')) }));
  }

  /**
   * The row that holds a user's saved recovery codes (src/methods/recovery-code-store.ts keeps
   * the codes): unconfirmed until the user says the codes are saved, so a set never seen counts for nothing.
   */
  addRecoveryCodes(userId: string): Promise<Method> {
    return this.insert(userId, 'recovery_code', () => ({}));
  }

  /** A passkey is confirmed by its registration ceremony itself. */
  addPasskey(userId: string, label: string, data: PasskeyData): Promise<Method> {
    return this.insert(userId, 'passkey', (_id, now) => ({
      label,
      credential_id: data.credentialId,
      public_key: data.publicKey,
      sign_count: data.signCount,
      transports: data.transports.join(','),
      confirmed_at: now,
    }));
  }

  async passkey(userId: string, credentialId: string): Promise<(PasskeyData & { id: string }) | null> {
    const row = await this.db
      .selectFrom('auth_methods')
      .selectAll()
      .where('user_id', '=', userId)
      .where('type', '=', 'passkey')
      .where('credential_id', '=', credentialId)
      .executeTakeFirst();
    if (!row || !row.credential_id || !row.public_key) return null;
    return { id: row.id, credentialId: row.credential_id, publicKey: row.public_key, signCount: row.sign_count, transports: row.transports ? row.transports.split(',').filter(Boolean) : [] };
  }

  async passkeys(userId: string): Promise<Array<PasskeyData & { id: string }>> {
    const rows = await this.db.selectFrom('auth_methods').selectAll().where('user_id', '=', userId).where('type', '=', 'passkey').execute();
    return rows.map((row) => ({ id: row.id, credentialId: row.credential_id!, publicKey: row.public_key!, signCount: row.sign_count, transports: row.transports ? row.transports.split(',').filter(Boolean) : [] }));
  }

  /** Moves the signature counter forward only: a cloned authenticator replaying an old count loses. */
  async advanceSignCount(id: string, signCount: number): Promise<boolean> {
    const r = await this.db.updateTable('auth_methods').set({ sign_count: signCount }).where('id', '=', id).where('sign_count', '<=', signCount).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async totpSecret(userId: string, id: string): Promise<string | null> {
    const row = await this.db.selectFrom('auth_methods').select(['secret', 'type']).where('user_id', '=', userId).where('id', '=', id).where('type', '=', 'totp').executeTakeFirst();
    return row?.secret ? this.cipher.open(row.secret, secretAad(id, 'totp')) : null;
  }

  /**
   * Claims a TOTP time step for this method: succeeds only if no equal or later step was used
   * before, so a code is refused a second time inside its window (and parallel use wins once).
   */
  async claimTotpStep(id: string, step: number): Promise<boolean> {
    const r = await this.db
      .updateTable('auth_methods')
      .set({ last_totp_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_totp_step', 'is', null), eb('last_totp_step', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async confirm(userId: string, id: string): Promise<void> {
    const now = this.clock.now();
    await this.db.updateTable('auth_methods').set({ confirmed_at: now, last_used_at: now }).where('user_id', '=', userId).where('id', '=', id).execute();
    // The first confirmed method becomes the default.
    const hasDefault = await this.db.selectFrom('auth_methods').select('id').where('user_id', '=', userId).where('is_default', '=', 1).executeTakeFirst();
    if (!hasDefault) await this.setDefault(userId, id);
  }

  async markUsed(id: string): Promise<void> {
    await this.db.updateTable('auth_methods').set({ last_used_at: this.clock.now() }).where('id', '=', id).execute();
  }

  async setDefault(userId: string, id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('auth_methods').set({ is_default: 0 }).where('user_id', '=', userId).execute();
      await trx.updateTable('auth_methods').set({ is_default: 1 }).where('user_id', '=', userId).where('id', '=', id).where('confirmed_at', 'is not', null).execute();
    });
  }

  /**
   * A set of recovery codes with no code left proves nothing any more: it stops counting (and
   * being the default) until the user makes a new set, which replaces this row.
   */
  async retire(userId: string, id: string): Promise<void> {
    await this.db.updateTable('auth_methods').set({ confirmed_at: null, is_default: 0 }).where('user_id', '=', userId).where('id', '=', id).execute();
    const left = await this.list(userId, { confirmedOnly: true });
    if (left.length && !left.some((m) => m.isDefault)) await this.setDefault(userId, left[0]!.id);
  }

  async remove(userId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('auth_methods').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    if (Number(r.numDeletedRows) !== 1) return false;
    const left = await this.list(userId, { confirmedOnly: true });
    if (left.length && !left.some((m) => m.isDefault)) await this.setDefault(userId, left[0]!.id);
    return true;
  }

  /** Drops registrations that were started and never confirmed. */
  async removeUnconfirmed(userId: string, type?: MethodType): Promise<void> {
    let q = this.db.deleteFrom('auth_methods').where('user_id', '=', userId).where('confirmed_at', 'is', null);
    if (type) q = q.where('type', '=', type);
    await q.execute();
  }

  /** A confirmed method of this type whose stored value equals what the user typed. */
  async findByContact(userId: string, type: 'email' | 'mobile' | 'office', normalised: string): Promise<Method | null> {
    const row = await this.db
      .selectFrom('auth_methods')
      .selectAll()
      .where('user_id', '=', userId)
      .where('type', '=', type)
      .where('lookup_hash', '=', this.contactHash(type, normalised))
      .where('confirmed_at', 'is not', null)
      .executeTakeFirst();
    return row ? this.toMethod(row) : null;
  }
}
