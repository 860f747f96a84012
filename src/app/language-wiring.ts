import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import type { Translate } from '../i18n/index.js';
import { currentLocale, type OrgLocale } from '../i18n/locale-context.js';
import type { Clock } from '../shared/clock.js';
import type { Store } from '../store/database.js';
import { WordingService } from '../wording/wording-service.js';

export type { WordingService };

/**
 * The portal's languages: the console's offered languages and own wording (on the file's
 * `branding.languages` until saved), the organisation's default locale as last loaded (every page
 * request refreshes it) for mails to people who chose no language, and the one translator every
 * service holds: the language of whatever is being rendered (the viewer's page, the recipient's
 * mail or text: src/i18n/locale-context.ts), with the administrators' wording.
 */
export function languageParts(d: { config: Config; store: Store; clock: Clock; audit: AuditLog }): { wording: WordingService; defaultLocale: OrgLocale; t: Translate } {
  const b = d.config.branding;
  const wording = new WordingService({ store: d.store, clock: d.clock, audit: d.audit, initial: { languages: [...b.languages], defaultLanguage: b.defaultLanguage, overrides: {} } });
  const defaultLocale: OrgLocale = {
    get lang() {
      return wording.snapshot().wording.defaultLanguage;
    },
    timeZone: b.timeZone,
  };
  const t: Translate = (key, vars) => wording.translator(currentLocale()?.lang ?? defaultLocale.lang)(key, vars);
  return { wording, defaultLocale, t };
}
