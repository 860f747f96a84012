import type { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../directory/directory-service.js';
import { translatorWith, type Translate } from '../i18n/index.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { fail, ok, type Result } from '../shared/result.js';
import { overrideProblem, validateWording, type Wording, type WordingProblem } from './wording.js';

export interface WordingVersion {
  /** 0 = nothing stored yet: the languages of sspr.yaml's `branding`, no overrides. */
  version: number;
  wording: Wording;
  changedAt: number | null;
  changedBy: string | null;
}

export type WordingUpdate = Result<WordingVersion, 'conflict'> | { ok: false; reason: 'invalid'; errors: Record<string, WordingProblem> };

interface Deps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  initial: Wording;
  cacheMs?: number;
}

/**
 * The stored, versioned languages and wording, kept like the brand (src/branding/brand-service.ts):
 * each save appends a version (a save on top of an older one is a conflict), audited as
 * `wording_changed` with what changed; reads are cached for a second. `translator(lang)` is the
 * catalogue with the administrators' overrides on top, one per language and version.
 */
export class WordingService {
  private cached: WordingVersion;
  private loadedAt = -Infinity;
  private readonly translators = new Map<string, Translate>();

  constructor(private readonly d: Deps) {
    this.cached = { version: 0, wording: d.initial, changedAt: null, changedBy: null };
  }

  snapshot(): WordingVersion {
    return this.cached;
  }

  async current(): Promise<WordingVersion> {
    if (this.d.clock.now() - this.loadedAt < (this.d.cacheMs ?? 1000)) return this.cached;
    return this.refresh();
  }

  async refresh(): Promise<WordingVersion> {
    const row = await this.d.store.db.selectFrom('wording_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (row) {
      this.cached = { version: row.version, wording: this.readable(JSON.parse(row.document) as Wording), changedAt: row.created_at, changedBy: row.actor_name };
    } else {
      this.cached = { version: 0, wording: this.d.initial, changedAt: null, changedBy: null };
    }
    this.loadedAt = this.d.clock.now();
    return this.cached;
  }

  /**
   * A stored version as it can be used now: an override that no longer fits its message (an
   * upgrade renamed a placeholder or removed the key) is left out rather than failing every page,
   * and languages no longer valid fall back to the file's. The next save writes what is shown.
   */
  private readable(doc: Wording): Wording {
    const parsed = validateWording(doc);
    if (parsed.ok) return parsed.value;
    const languages = validateWording({ languages: doc.languages, defaultLanguage: doc.defaultLanguage });
    const base = languages.ok ? languages.value : this.d.initial;
    const overrides: Wording['overrides'] = {};
    for (const [lang, messages] of Object.entries(doc.overrides ?? {})) {
      for (const [key, text] of Object.entries(messages ?? {})) if (typeof text === 'string' && overrideProblem(lang, key, text) === null) (overrides[lang] ??= {})[key] = text;
    }
    return { languages: base.languages, defaultLanguage: base.defaultLanguage, overrides };
  }

  /** The catalogue of `lang` with the administrators' overrides of the version last loaded. */
  translator(lang: string): Translate {
    const { version, wording } = this.cached;
    const id = `${version}|${lang}`;
    let found = this.translators.get(id);
    if (!found) {
      if (this.translators.size > 64) this.translators.clear();
      found = translatorWith(lang, wording.overrides[lang] ?? {});
      this.translators.set(id, found);
    }
    return found;
  }

  /** Which languages are offered, and the default. */
  async setLanguages(actor: Actor, input: { languages: unknown; defaultLanguage: unknown }, expectedVersion: number): Promise<WordingUpdate> {
    return this.save(actor, expectedVersion, (w) => ({ ...w, languages: input.languages, defaultLanguage: input.defaultLanguage }), 'languages');
  }

  /** One message in one language in the administrators' words (or, with `text` null, back to the catalogue's). */
  async setOverride(actor: Actor, lang: string, key: string, text: string | null, expectedVersion: number): Promise<WordingUpdate> {
    if (text !== null) {
      const problem = overrideProblem(lang, key, text);
      if (problem) return { ok: false, reason: 'invalid', errors: { text: problem } };
    }
    return this.save(
      actor,
      expectedVersion,
      (w) => {
        const forLang = { ...(w.overrides[lang] ?? {}) };
        if (text === null) delete forLang[key];
        else forLang[key] = text;
        return { ...w, overrides: { ...w.overrides, [lang]: forLang } };
      },
      `${text === null ? 'removed' : 'wording'}:${lang}:${key}`,
    );
  }

  private async save(actor: Actor, expectedVersion: number, change: (w: Wording) => Record<string, unknown>, what: string): Promise<WordingUpdate> {
    const { d } = this;
    const current = await this.refresh();
    if (expectedVersion !== current.version) return fail('conflict');
    const parsed = validateWording(change(current.wording));
    if (!parsed.ok) return { ok: false, reason: 'invalid', errors: parsed.errors };
    if (JSON.stringify(parsed.value) === JSON.stringify(current.wording)) return ok(current);
    const version = current.version + 1;
    try {
      await d.store.db.insertInto('wording_versions').values({ version, document: JSON.stringify(parsed.value), created_at: d.clock.now(), actor_id: actor.id, actor_name: actor.name }).execute();
    } catch (err) {
      if ((await this.refresh()).version >= version) return fail('conflict');
      throw err;
    }
    await d.audit.record({ event: 'wording_changed', outcome: 'success', actor: { id: actor.id, name: actor.name }, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null, details: { version, changed: what } });
    return ok(await this.refresh());
  }
}
