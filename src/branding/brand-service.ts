import { createHash } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../directory/directory-service.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { fail, ok, type Result } from '../shared/result.js';
import { changedFields, logoPath, validateBrand, type Brand, type BrandErrors, type BrandInput } from './brand.js';
import { checkLogo, type CheckedImage, type ImageRefusal } from './image-check.js';

export interface BrandVersion {
  /** 0 = nothing stored yet: the brand from the configuration. */
  version: number;
  brand: Brand;
  changedAt: number | null;
  changedBy: string | null;
}

export interface LogoAsset {
  contentType: string;
  bytes: Buffer;
}

export type BrandUpdate = Result<BrandVersion, 'conflict'> | { ok: false; reason: 'invalid'; errors: BrandErrors };

interface Deps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  initial: Brand;
  cacheMs?: number;
}

/**
 * The stored, versioned brand, kept like the SSPR policy (src/policy/policy-service.ts): each
 * save appends a version (a save on top of an older version than the current one is a
 * conflict, nothing is lost), audited as `brand_changed` with the fields that changed; reads are
 * cached for a second, `snapshot()` is the cached copy for code that cannot wait (mail rendering).
 */
export class BrandService {
  private cached: BrandVersion;
  private loadedAt = -Infinity;

  constructor(private readonly d: Deps) {
    this.cached = { version: 0, brand: d.initial, changedAt: null, changedBy: null };
  }

  snapshot(): BrandVersion {
    return this.cached;
  }

  async current(): Promise<BrandVersion> {
    if (this.d.clock.now() - this.loadedAt < (this.d.cacheMs ?? 1000)) return this.cached;
    return this.refresh();
  }

  async refresh(): Promise<BrandVersion> {
    const row = await this.d.store.db.selectFrom('brand_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
    this.cached = row ? this.fromRow(row) : { version: 0, brand: this.d.initial, changedAt: null, changedBy: null };
    this.loadedAt = this.d.clock.now();
    return this.cached;
  }

  /** The saved versions, newest first (the API's and the CLI's history). */
  async history(limit = 50): Promise<BrandVersion[]> {
    const rows = await this.d.store.db.selectFrom('brand_versions').selectAll().orderBy('version', 'desc').limit(Math.min(Math.max(limit, 1), 500)).execute();
    return rows.map((r) => this.fromRow(r));
  }

  /** Validates a brand without saving it (the console's preview). */
  validate(input: BrandInput, logo: Brand['logo']): ReturnType<typeof validateBrand> {
    return validateBrand(input, logo);
  }

  async update(actor: Actor, input: BrandInput, logo: Brand['logo'], options: { expectedVersion?: number } = {}): Promise<BrandUpdate> {
    const { d } = this;
    const current = await this.refresh();
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) return fail('conflict');
    const parsed = validateBrand(input, logo);
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: parsed.errors };
    if (logo && !(await this.hasLogo(logo.sha256))) return { ok: false, reason: 'invalid', errors: { logo: { key: 'brand.v.logoGone' } } };
    const next = parsed.value;
    const changed = changedFields(current.brand, next);
    if (changed.length === 0) return ok(current);
    const version = current.version + 1;
    try {
      await d.store.db.insertInto('brand_versions').values({ version, document: JSON.stringify(next), created_at: d.clock.now(), actor_id: actor.id, actor_name: actor.name }).execute();
    } catch (err) {
      if ((await this.refresh()).version >= version) return fail('conflict');
      throw err;
    }
    if (next.logo) await d.store.db.updateTable('brand_assets').set({ published_at: d.clock.now() }).where('sha256', '=', next.logo.sha256).where('published_at', 'is', null).execute();
    await d.audit.record({
      event: 'brand_changed',
      outcome: 'success',
      actor: { id: actor.id, name: actor.name },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { version, changed: changed.join(',') },
    });
    return ok(await this.refresh());
  }

  /**
   * Checks an upload by its bytes and keeps it under the SHA-256 of those bytes. Keeping it
   * changes nothing anyone sees: only a saved brand that names it shows it.
   */
  async storeLogo(bytes: Uint8Array): Promise<Result<CheckedImage & { sha256: string }, ImageRefusal>> {
    const checked = checkLogo(bytes);
    if (!checked.ok) return checked;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (!(await this.hasLogo(sha256))) {
      await this.d.store.db
        .insertInto('brand_assets')
        .values({ sha256, content_type: checked.value.contentType, data: Buffer.from(bytes).toString('base64'), width: checked.value.width, height: checked.value.height, created_at: this.d.clock.now() })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute();
    }
    return ok({ ...checked.value, sha256 });
  }

  /**
   * Housekeeping: logos uploaded for a preview and never saved, older than `olderThanMs` (a day),
   * are deleted, so previews cannot fill the store. A logo any saved version named stays (the
   * history shows it). Returns how many were deleted.
   */
  async pruneUnsavedLogos(olderThanMs = 24 * 60 * 60 * 1000): Promise<number> {
    const r = await this.d.store.db
      .deleteFrom('brand_assets')
      .where('published_at', 'is', null)
      .where('created_at', '<', this.d.clock.now() - olderThanMs)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** A stored logo: by default only one a saved brand has named (what everyone may load); `unpublished` for the console's preview. */
  async logo(sha256: string, options: { unpublished?: boolean } = {}): Promise<LogoAsset | null> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
    const row = await this.d.store.db.selectFrom('brand_assets').select(['content_type', 'data', 'published_at']).where('sha256', '=', sha256).executeTakeFirst();
    if (!row || (row.published_at === null && !options.unpublished)) return null;
    return { contentType: row.content_type, bytes: Buffer.from(row.data, 'base64') };
  }

  private async hasLogo(sha256: string): Promise<boolean> {
    return !!(await this.d.store.db.selectFrom('brand_assets').select('sha256').where('sha256', '=', sha256).executeTakeFirst());
  }

  /** What the mail templates take (src/delivery/templates.ts), with the logo's absolute URL. */
  forMail(base: { productName: string; logoUrl?: string | undefined; helpdesk?: string | undefined }, publicUrl: string): { productName: string; organisationName: string; helpdesk?: string; logoUrl?: string; primaryColour: string } {
    const b = this.cached.brand;
    const root = publicUrl.replace(/\/+$/, '');
    // Until a brand is saved, the file's helpdesk as it is (the mails always showed it).
    const helpdesk = this.cached.version > 0 ? (b.helpdesk ?? base.helpdesk) : base.helpdesk;
    return {
      productName: base.productName,
      organisationName: b.organisationName,
      primaryColour: b.primaryColour,
      ...(helpdesk ? { helpdesk } : {}),
      ...(b.logo ? { logoUrl: `${root}${logoPath(b.logo)}` } : base.logoUrl ? { logoUrl: base.logoUrl } : {}),
    };
  }

  private fromRow(row: { version: number; document: string; created_at: number; actor_name: string | null }): BrandVersion {
    // Re-validated on read: a hand-edited row fails loudly, not halfway.
    const doc = JSON.parse(row.document) as Brand;
    const parsed = validateBrand(doc, doc.logo ?? null);
    if (!parsed.ok) throw new Error(`brand version ${row.version} in the store is not valid: ${Object.keys(parsed.errors).join(', ')}`);
    return { version: row.version, brand: parsed.value, changedAt: row.created_at, changedBy: row.actor_name };
  }
}
