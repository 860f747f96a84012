import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import { fileSection, isFixed, storedSectionNames, type StoredSection } from '../config/stored-sections.js';
import type { Actor } from '../directory/directory-service.js';
import { changedPaths } from '../policy/policy.js';
import { setAt, valueAt } from '../policy/settings.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import type { FieldCipher } from '../shared/sealed.js';
import { fail, ok, type Result } from '../shared/result.js';
import { copy, deleteAt, isPlainObject, isSecretMarker, mergePatch, openSecrets, publicView, sealSecrets, validateSection, type SectionValues, type SettingProblems } from './document.js';
import { secretPaths } from './fields.js';

export interface SettingsVersion<S extends StoredSection = StoredSection> {
  section: S;
  /** 0 = nothing saved yet: the values of sspr.yaml and SSPR_*. */
  version: number;
  values: SectionValues[S];
  changedAt: number | null;
  changedBy: string | null;
  comment: string | null;
}

export type AllSettings = { [S in StoredSection]: SettingsVersion<S> };

/** Refused: another save came first, a fixed value was to change, or the section is wrong (each setting at fault named). */
export type SettingsUpdate<S extends StoredSection> = Result<SettingsVersion<S>, 'conflict'> | { ok: false; reason: 'fixed'; paths: string[] } | { ok: false; reason: 'invalid'; errors: SettingProblems };

export interface UpdateOptions {
  /** replace: the input is the whole section (what is left out takes its default); merge: RFC 7396 merge patch onto the current one. */
  mode: 'replace' | 'merge';
  expectedVersion?: number;
  comment?: string;
}

interface Deps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  cipher: FieldCipher;
  /** The configuration: each section's starting values, and `fixedSettings`. */
  config: Config;
  cacheMs?: number;
}

type Row = { section: string; version: number; document: string; created_at: number; actor_name: string | null; comment: string | null };

/**
 * The settings administrators change at run time (src/config/stored-sections.ts), stored like the
 * policy: each save of a section appends a version (a save on top of an older one is a conflict),
 * validated whole by the file's schema, audited `settings_changed` with the paths that changed,
 * secrets sealed with the store key and never given out again. Values fixed by the file or the
 * environment always win. Reads are cached for a second; `snapshot()` is the copy services read
 * at each use, refreshed by every request (app/http-app.tsx) and every background run.
 */
export class SettingsService {
  private cached: AllSettings;
  private loadedAt = -Infinity;

  constructor(private readonly d: Deps) {
    this.cached = Object.fromEntries(storedSectionNames.map((s) => [s, this.initial(s)])) as AllSettings;
  }

  snapshot(): AllSettings {
    return this.cached;
  }

  async current(): Promise<AllSettings> {
    if (this.d.clock.now() - this.loadedAt < (this.d.cacheMs ?? 1000)) return this.cached;
    return this.refresh();
  }

  async refresh(): Promise<AllSettings> {
    const { db } = this.d.store;
    const latest = db.selectFrom('settings_versions').select(['section']).select((eb) => eb.fn.max('version').as('v')).groupBy('section').as('m');
    const rows = await db
      .selectFrom('settings_versions as s')
      .innerJoin(latest, (j) => j.onRef('m.section', '=', 's.section').onRef('m.v', '=', 's.version'))
      .selectAll('s')
      .execute();
    const next = { ...this.cached };
    for (const section of storedSectionNames) {
      const row = rows.find((r) => r.section === section);
      const known = this.cached[section];
      // The same version keeps the same objects: services compare them to rebuild only on a change.
      if (row && Number(row.version) === known.version) continue;
      (next as Record<StoredSection, SettingsVersion>)[section] = row ? this.fromRow(section, row) : this.initial(section);
    }
    this.cached = next;
    this.loadedAt = this.d.clock.now();
    return this.cached;
  }

  /** The dotted paths (within the section) the file or the environment fixes. */
  fixedPaths(section: StoredSection): string[] {
    return this.d.config.fixedSettings.filter((p) => p === section || p.startsWith(`${section}.`)).map((p) => p.slice(section.length + 1));
  }

  isFixed(section: StoredSection, path: string): boolean {
    return isFixed(this.d.config.fixedSettings, path ? `${section}.${path}` : section);
  }

  /** A section as anyone may see it: secrets as `{ "set": true }`. */
  view<S extends StoredSection>(v: SettingsVersion<S>): Record<string, unknown> {
    return publicView(v.section, v.values);
  }

  async history<S extends StoredSection>(section: S, limit = 50): Promise<SettingsVersion<S>[]> {
    const rows = await this.d.store.db.selectFrom('settings_versions').selectAll().where('section', '=', section).orderBy('version', 'desc').limit(Math.min(Math.max(limit, 1), 500)).execute();
    return rows.map((r) => this.fromRow(section, r));
  }

  async version<S extends StoredSection>(section: S, n: number): Promise<SettingsVersion<S> | null> {
    if (n === 0) return this.initial(section);
    const row = await this.d.store.db.selectFrom('settings_versions').selectAll().where('section', '=', section).where('version', '=', n).executeTakeFirst();
    return row ? this.fromRow(section, row) : null;
  }

  /**
   * Saves a section. A secret is kept when the input leaves it out or sends `{ "set": true }`,
   * replaced by a new text, removed by null. A fixed value may be sent only unchanged.
   */
  async update<S extends StoredSection>(actor: Actor, section: S, input: unknown, options: UpdateOptions): Promise<SettingsUpdate<S>> {
    const { d } = this;
    const prepared = await this.prepare(section, input, options);
    if (!prepared.ok) return prepared;
    const { current, next, changed } = prepared;
    if (changed.length === 0) return ok(current);
    const comment = typeof options.comment === 'string' ? options.comment.trim().slice(0, 500) || null : null;
    const version = current.version + 1;
    const document = JSON.stringify(sealSecrets(section, next as unknown as Record<string, unknown>, d.cipher));
    try {
      await d.store.db.insertInto('settings_versions').values({ section, version, document, created_at: d.clock.now(), actor_id: actor.id, actor_name: actor.name, comment }).execute();
    } catch (err) {
      if ((await this.refresh())[section].version >= version) return fail('conflict');
      throw err;
    }
    // The paths only: a secret's value never reaches the audit log.
    await d.audit.record({
      event: 'settings_changed',
      outcome: 'success',
      actor: { id: actor.id, name: actor.name },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { section, version, changed: changed.join(',').slice(0, 1000), ...(comment ? { comment } : {}) },
    });
    return ok((await this.refresh())[section] as SettingsVersion<S>);
  }

  /** What saving would change (an import's dry run): the same checks as `update`, nothing saved. */
  async preview<S extends StoredSection>(section: S, input: unknown, options: UpdateOptions): Promise<{ ok: true; changed: string[] } | Exclude<SettingsUpdate<S>, { ok: true }>> {
    const prepared = await this.prepare(section, input, options);
    return prepared.ok ? { ok: true, changed: prepared.changed } : prepared;
  }

  private async prepare<S extends StoredSection>(section: S, input: unknown, options: UpdateOptions): Promise<{ ok: true; current: SettingsVersion<S>; next: SectionValues[S]; changed: string[] } | Exclude<SettingsUpdate<S>, { ok: true }>> {
    const { d } = this;
    if (!isPlainObject(input)) return { ok: false, reason: 'invalid', errors: { _form: { key: 'v.settings.document' } } };
    const current = (await this.refresh())[section] as SettingsVersion<S>;
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) return fail('conflict');
    const before = current.values as unknown as Record<string, unknown>;
    const candidate = (options.mode === 'merge' ? mergePatch(copy(before), input) : copy(input)) as Record<string, unknown>;
    for (const path of secretPaths(section)) {
      const sent = valueAt(input, path);
      const parent = path.includes('.') ? valueAt(candidate, path.slice(0, path.lastIndexOf('.'))) : candidate;
      const kept = valueAt(before, path);
      if (sent === null) deleteAt(candidate, path);
      else if ((sent === undefined || isSecretMarker(sent)) && isPlainObject(parent)) {
        if (typeof kept === 'string') setAt(candidate, path, kept);
        else deleteAt(candidate, path);
      }
    }
    const file = fileSection(d.config, section);
    const refused = this.fixedPaths(section).filter((p) => {
      const sent = p === '' ? input : valueAt(input, p);
      return sent !== undefined && JSON.stringify(sent) !== JSON.stringify(p === '' ? file : valueAt(file, p));
    });
    if (refused.length > 0) return { ok: false, reason: 'fixed', paths: refused };
    const parsed = validateSection(section, this.withFixed(section, candidate));
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: parsed.errors };
    return { ok: true, current, next: parsed.value, changed: changedPaths(before, parsed.value) };
  }

  private initial<S extends StoredSection>(section: S): SettingsVersion<S> {
    return { section, version: 0, values: fileSection(this.d.config, section) as SectionValues[S], changedAt: null, changedBy: null, comment: null };
  }

  /** The fixed values of the file put over a document. */
  private withFixed(section: StoredSection, doc: Record<string, unknown>): Record<string, unknown> {
    const file = fileSection(this.d.config, section);
    let out = doc;
    for (const p of this.fixedPaths(section)) {
      if (p === '') out = copy(file);
      else {
        const v = valueAt(file, p);
        if (v === undefined) deleteAt(out, p);
        else setAt(out, p, copy(v));
      }
    }
    return out;
  }

  private fromRow<S extends StoredSection>(section: S, row: Row): SettingsVersion<S> {
    // Re-validated on read: a hand-edited row fails loudly, not halfway; the fixed values win.
    const stored = openSecrets(section, JSON.parse(row.document) as Record<string, unknown>, this.d.cipher);
    const parsed = validateSection(section, this.withFixed(section, stored));
    if (!parsed.ok) throw new Error(`stored settings ${section} version ${row.version} are not valid: ${Object.keys(parsed.errors).join(', ')}`);
    return { section, version: Number(row.version), values: Object.freeze(parsed.value) as SectionValues[S], changedAt: Number(row.created_at), changedBy: row.actor_name, comment: row.comment };
  }
}
