import { z } from 'zod';
import { customBannedProblems } from '../passwords/banned.js';
import { breachedFailureModes, breachedModes, DEFAULT_HIBP_URL } from '../passwords/breached.js';
import { ATTRIBUTE_NAME } from '../agent-protocol/index.js';
import { CONFIGURABLE_LANGUAGES, LANGUAGE_CODES, validTimeZone } from '../i18n/languages.js';
import { syncSchema } from './sync-schema.js';

/**
 * The one configuration schema. Every key has a default that is safe for a first run on one
 * machine (SQLite, outbox delivery); production settings are called out in README.md.
 * Objects are strict so a misspelt key is an error, not a silently ignored setting.
 */

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const ldapAttribute = z.string().regex(ATTRIBUTE_NAME, 'must be an LDAP attribute name (letters, digits and hyphens, starting with a letter)');

const publicUrl = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''));

const databaseUrl = z
  .string()
  .min(1)
  .refine((u) => u.startsWith('sqlite:') || u.startsWith('postgres://') || u.startsWith('postgresql://'), {
    message: 'must start with sqlite: (e.g. sqlite:./data/sspr.db) or postgres://',
  });

const base64Key = z
  .string()
  .refine((k) => Buffer.from(k, 'base64').length === 32 && /^[A-Za-z0-9+/]+=*$/.test(k), {
    message: 'must be 32 random bytes in base64 (run `sspr init` to create one)',
  });

const smtp = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(587),
  secure: z.boolean().default(false).describe('TLS from the first byte (port 465)'),
  requireTls: z.boolean().default(true).describe('refuse to send without STARTTLS'),
  user: z.string().optional(),
  password: z.string().optional(),
  from: z.string().min(3).default('OpenSSPR <no-reply@localhost>'),
  rejectUnauthorized: z.boolean().default(true),
});

/** `delivery`: also a stored section (src/settings/): the file's values are where the console starts. */
export const deliverySchema = z
  .strictObject({
    /** How email leaves: kept in the store's outbox (trying the portal) or sent over SMTP. */
    mode: z.enum(['outbox', 'smtp']).default('outbox'),
    smtp: smtp.optional(),
    phone: z
      .strictObject({
        /** SMS and voice calls: outbox, a Twilio-compatible REST API, or a JSON webhook. */
        provider: z.enum(['outbox', 'twilio', 'webhook']).default('outbox'),
        twilio: z
          .strictObject({
            accountSid: z.string().min(1),
            authToken: z.string().min(1),
            from: z.string().min(3).describe('the sending number in E.164, or a messaging service id'),
            baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
          })
          .optional(),
        webhook: z
          .strictObject({
            url: z.url({ protocol: /^https?$/ }),
            token: z.string().min(16).optional().describe('sent as Authorization: Bearer'),
          })
          .optional(),
        timeoutMs: positiveInt.max(60_000).default(10_000),
      })
      .superRefine((p, ctx) => {
        if (p.provider === 'twilio' && !p.twilio) ctx.addIssue({ code: 'custom', path: ['twilio'], message: 'is required when delivery.phone.provider is twilio' });
        if (p.provider === 'webhook' && !p.webhook) ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'is required when delivery.phone.provider is webhook' });
      })
      .prefault({}),
    limits: z
      .strictObject({
        // SMS pumping protection: per destination (phone number or address) and for the whole portal.
        perDestinationPerHour: positiveInt.max(1000).default(5),
        perDestinationPerDay: positiveInt.max(10000).default(10),
        globalPerHour: positiveInt.max(1_000_000).default(1000),
      })
      .prefault({}),
    retries: z
      .strictObject({
        attempts: z.number().int().min(1).max(10).default(3),
        backoffMs: z.number().int().min(0).max(60_000).default(500),
      })
      .prefault({}),
  })
  .superRefine((d, ctx) => {
    if (d.mode === 'smtp' && !d.smtp) ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'is required when delivery.mode is smtp' });
  });

/** `writeback`: also a stored section (src/settings/): the file's values are where the console starts. */
export const writebackSchema = z
  .strictObject({
    /** How long a password job may wait for an agent to take it; past it, it is never applied. */
    jobSeconds: positiveInt.max(120).default(10),
    /** Once an agent took a job, how long the user waits for AD's answer before "not confirmed yet". */
    answerSeconds: positiveInt.max(300).default(20),
    /**
     * The longest a user waits for the on-premises side, whatever the agent does (frozen,
     * cut off): a job expires no later, so it is never applied after the user was told
     * "nothing was changed". Caps `jobSeconds` and `answerSeconds`.
     */
    userWaitSeconds: positiveInt.max(120).default(10),
    /** Write back to protected accounts (adminCount=1, Domain Admins …): off, as Entra does. */
    allowProtectedAccounts: z.boolean().default(false),
    /** Lifetime of a one-time agent registration token. */
    registrationTokenMinutes: positiveInt.max(7 * 24 * 60).default(60),
  });

/** `reminders`: also a stored section (src/settings/): the file's values are where the console starts. */
export const remindersSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Days before a hybrid user's password expires when a reminder is emailed (each once). */
    daysBefore: z.array(z.number().int().min(1).max(90)).max(10).default([14, 7, 3, 1]),
    /** Also email when the password has expired, with the reset link. */
    whenExpired: z.boolean().default(true),
  });

/** `throttling`: also a stored section (src/settings/): the file's values are where the console starts. */
export const throttlingSchema = z
  .strictObject({
    // Entra's numbers: 5 failed verifications in 24 h block the user for 24 h; 5 SMS/voice/app/question
    // checks per hour; 10 email sends per 10 minutes.
    failedVerificationsPerDay: positiveInt.max(100).default(5),
    blockHours: positiveInt.max(24 * 7).default(24),
    phoneOrAppChecksPerHour: positiveInt.max(100).default(5),
    emailSendsPer10Minutes: positiveInt.max(100).default(10),
  });

/** `signIn`: also a stored section (src/settings/): the file's values are where the console starts. */
/** Signed-in sessions: idle and absolute lifetimes. */
export const sessionsSchema = z.strictObject({
  idleMinutes: positiveInt.max(24 * 60).default(30),
  absoluteHours: positiveInt.max(24 * 30).default(12),
});

/** The one-time link that creates the first administrator (and `sspr setup-link`). */
export const setupSchema = z.strictObject({
  tokenMinutes: positiveInt.max(7 * 24 * 60).default(60),
});

/** One-time codes by email, SMS and voice, and how typed phone numbers are read (the stored part of `methods`). */
export const methodCodesSchema = z.strictObject({
  codeDigits: z.number().int().min(6).max(8).default(8),
  codeMinutes: positiveInt.max(60).default(5),
  codeAttempts: positiveInt.max(10).default(5),
  /** Phone numbers typed without a country code are taken as this region (ISO 3166 code). */
  phoneRegion: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code like US or DE')
    .default('US'),
});

export const signInSchema = z
  .strictObject({
    lockoutThreshold: positiveInt.max(1000).default(10),
    lockoutSeconds: positiveInt.max(86400).default(60),
    lockoutGrowth: z.number().min(1).max(10).default(2),
    lockoutMaxSeconds: positiveInt.max(7 * 86400).default(3600),
    failureWindowHours: positiveInt.max(24 * 30).default(24),
    ipFailuresPerHour: positiveInt.max(100000).default(100),
  });

/** `reset`: also a stored section (src/settings/): the file's values are where the console starts. */
export const resetSchema = z
  .strictObject({
    /** How long a reset or unlock flow lives (Entra: 15 minutes). */
    flowMinutes: positiveInt.max(60).default(15),
    /**
     * Proof-of-work CAPTCHA (ALTCHA, SHA-256): the browser searches up to this many numbers,
     * half on average. 50,000 takes well under a second on a phone; raise it under attack.
     */
    captchaMaxNumber: z.number().int().min(10).max(10_000_000).default(50_000),
    /** Reset and unlock starts per client address per hour, whoever is named. */
    startsPerIpPerHour: positiveInt.max(100_000).default(30),
  });

/** publicUrl when none is given: this machine, on the port the portal listens on (8080 for port 0). */
export function defaultPublicUrl(listenPort: number): string {
  return `http://localhost:${listenPort || 8080}`;
}

const settings = z.strictObject({
  /** Left out: http://localhost:<listen.port> (see defaultPublicUrl), so the port is set in one place. */
  publicUrl: publicUrl.optional(),
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(8080),
    })
    .prefault({}),
  trustedProxies: z
    .array(z.union([z.ipv4(), z.ipv6()]))
    .default([])
    .describe('addresses whose X-Forwarded-For is believed'),
  database: z
    .strictObject({
      url: databaseUrl.default('sqlite:./data/sspr.db'),
      poolSize: positiveInt.max(100).default(10),
    })
    .prefault({}),
  secrets: z
    .strictObject({
      key: base64Key.optional(),
      keyFile: z.string().min(1).default('./data/secret.key'),
    })
    .prefault({}),
  passwordHashing: z
    .strictObject({
      // OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
      memoryKiB: z.number().int().min(1024).max(4194304).default(19456),
      iterations: z.number().int().min(1).max(20).default(2),
      parallelism: z.number().int().min(1).max(16).default(1),
    })
    .prefault({}),
  // Cross-field rules sit on the object they concern, not on the root: a root refinement is
  // skipped while any other key has a problem, and every problem should be reported at once.
  passwords: z
    .strictObject({
      minLength: z.number().int().min(8).max(256).default(8),
      maxLength: z.number().int().min(16).max(256).default(256),
      // zxcvbn score 0–4 a new password needs (0 turns the strength estimate off).
      minScore: z.number().int().min(0).max(4).default(3),
      // Passwords remembered per cloud user (the current one included); 0 = no history.
      historyCount: z.number().int().min(0).max(24).default(5),
      // The organisation's banned terms, on top of the global list: ≤ 1,000 terms of 4–64 characters.
      bannedCustom: z.array(z.string()).default([]),
      // Refuse the ~49,000 most common passwords.
      checkCommon: z.boolean().default(true),
      // Refuse passwords holding the username, a 4+ character part of the display name, or branding.organisationName.
      refuseNames: z.boolean().default(true),
      // Passwords seen in data breaches (src/passwords/breached.ts): only a 5-character SHA-1 prefix leaves the portal.
      breached: z
        .strictObject({
          mode: z.enum(breachedModes).default('off'),
          // Refused from this many sightings on.
          minCount: z.number().int().min(1).max(1_000_000_000).default(1),
          // open: accept when the check cannot be done (counted and logged); closed: refuse ("try again").
          failureMode: z.enum(breachedFailureModes).default('open'),
          timeoutMs: z.number().int().min(200).max(30_000).default(2000),
          hibpUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_HIBP_URL),
          // mode local: a folder of XXXXX.txt range files (the Pwned Passwords downloader's layout) or a self-hosted range API.
          localFolder: z.string().min(1).optional(),
          localUrl: z.url({ protocol: /^https?$/ }).optional(),
          // Ranges kept in memory, and for how long.
          cacheEntries: z.number().int().min(0).max(100_000).default(5000),
          cacheMinutes: z.number().int().min(0).max(7 * 24 * 60).default(60),
        })
        .superRefine((b, ctx) => {
          if (b.mode === 'local' && !b.localFolder && !b.localUrl) ctx.addIssue({ code: 'custom', path: ['localFolder'], message: 'mode local needs localFolder or localUrl' });
          if (b.localFolder && b.localUrl) ctx.addIssue({ code: 'custom', path: ['localUrl'], message: 'give localFolder or localUrl, not both' });
        })
        .prefault({}),
    })
    .superRefine((p, ctx) => {
      if (p.minLength > p.maxLength) ctx.addIssue({ code: 'custom', path: ['minLength'], message: 'must not exceed passwords.maxLength' });
      for (const problem of customBannedProblems(p.bannedCustom)) ctx.addIssue({ code: 'custom', path: ['bannedCustom'], message: problem });
    })
    .prefault({}),
  sessions: sessionsSchema.prefault({}),
  signIn: signInSchema.prefault({}),
  setup: setupSchema.prefault({}),
  delivery: deliverySchema.prefault({}),
  // The codes' own settings are stored and changed in the console (methodCodesSchema); the rest seeds the SSPR policy.
  methods: methodCodesSchema
    .extend({
      available: z
        .array(z.enum(['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey', 'questions', 'recovery_code']))
        .min(1)
        .default(['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey']),
      required: z.number().int().min(1).max(2).default(1),
      registrationRequired: z.boolean().default(true),
      reconfirmDays: z.number().int().min(0).max(730).default(180),
      questions: z
        .strictObject({
          toRegister: z.number().int().min(3).max(5).default(3),
          toAnswer: z.number().int().min(3).max(5).default(3),
          custom: z.array(z.string().trim().min(3).max(200)).max(20).default([]),
        })
        .superRefine((q, ctx) => {
          if (q.toAnswer > q.toRegister) ctx.addIssue({ code: 'custom', path: ['toAnswer'], message: 'must not exceed methods.questions.toRegister' });
        })
        .prefault({}),
    })
    .prefault({}),
  reset: resetSchema.prefault({}),
  writeback: writebackSchema.prefault({}),
  sync: syncSchema.prefault({}),
  reminders: remindersSchema.prefault({}),
  agent: z
    .strictObject({
      /** The agent's id and keys, written by `sspr agent register` (mode 0600). */
      stateFile: z.string().min(1).default('./data/agent-state.json'),
      /** Jobs claimed and their verdicts until the portal acknowledged them (never a password). */
      journalFile: z.string().min(1).default('./data/agent-journal.json'),
      /** PEM of the CA of the portal's certificate, when it is not a public one. */
      portalCaFile: z.string().min(1).optional(),
      /** What the agent reads from AD for the portal's directory. */
      sync: z
        .strictObject({
          /** OUs (or the domain root) to read users and groups from; empty = agent.ad.baseDn. */
          baseDns: z.array(z.string().min(3)).max(50).default([]),
          /** An extra LDAP filter users must match, e.g. (memberOf=CN=SSPR Users,OU=Groups,DC=corp,DC=example). */
          userFilter: z.string().max(2000).optional(),
          pageSize: z.number().int().min(10).max(1000).default(500),
          /**
           * How long one LDAP request of a sync read may take, also asked of the DC as the search's
           * time limit: Samba evaluates a whole paged search on its first page (~35 s for 100,000 users).
           */
          timeoutMs: positiveInt.min(1000).max(300_000).default(300_000),
          /**
           * The AD attribute to read for a field when it is not the usual one, e.g.
           * { mobile: pager } or { mail: extensionAttribute3 }; single-valued attributes (the first value is used).
           */
          attributes: z
            .strictObject({
              displayName: ldapAttribute.optional(),
              mail: ldapAttribute.optional(),
              mobile: ldapAttribute.optional(),
              telephoneNumber: ldapAttribute.optional(),
            })
            .default({}),
        })
        .prefault({}),
      /** Also run an agent inside the portal process (a one-machine install); needs agent.ad. */
      inProcess: z.boolean().default(false),
      ad: z
        .strictObject({
          /** Domain controllers, tried in order: ldaps://dc1.corp.example:636, or ldap:// with startTls. */
          urls: z.array(z.string().regex(/^ldaps?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be ldaps://host[:port] or ldap://host[:port] (with startTls)')).min(1),
          startTls: z.boolean().default(false),
          /** The CA that signs the DCs' certificates; only it is trusted (pinning). */
          caCertFile: z.string().min(1).optional(),
          /** The name in the DCs' certificates when the URLs use addresses. */
          tlsServerName: z.string().min(1).optional(),
          /** The service account (least privilege: see `sspr agent doctor`). */
          bindDn: z.string().min(3),
          bindPassword: z.string().min(1),
          baseDn: z.string().min(3),
          timeoutMs: positiveInt.max(120_000).default(10_000),
        })
        .superRefine((a, ctx) => {
          if (a.urls.some((u) => u.startsWith('ldap://')) && !a.startTls) ctx.addIssue({ code: 'custom', path: ['urls'], message: 'ldap:// needs startTls: true — passwords only travel encrypted' });
        })
        .optional(),
    })
    .superRefine((a, ctx) => {
      if (a.inProcess && !a.ad) ctx.addIssue({ code: 'custom', path: ['ad'], message: 'is required when agent.inProcess is true' });
    })
    .prefault({}),
  throttling: throttlingSchema.prefault({}),
  branding: z
    .strictObject({
      productName: z.string().min(1).max(80).default('OpenSSPR'),
      organisationName: z.string().min(1).max(120).default('Example Organisation'),
      helpdesk: z.string().max(300).optional(),
      logoUrl: z.url({ protocol: /^https?$/ }).optional().describe('shown in emails'),
      primaryColour: z
        .string()
        .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #0b5cad')
        .default('#0b5cad'),
      /** The languages the footer's switch offers and a browser may choose from (all by default; `en-XA` is the pseudo-locale). */
      languages: z.array(z.enum(CONFIGURABLE_LANGUAGES)).min(1).default([...LANGUAGE_CODES]),
      /** Pages in this language when neither the switch, the user's preference nor the browser chose an offered one. */
      defaultLanguage: z.enum(LANGUAGE_CODES).default('en'),
      /** The zone of dates on pages until the viewer's browser tells its own; mails use it too. */
      timeZone: z
        .string()
        .refine((zone) => validTimeZone(zone) !== null, 'must be a time zone name like Europe/Berlin or UTC')
        .default('UTC'),
    })
    .refine((b) => b.languages.includes(b.defaultLanguage), { message: 'defaultLanguage must be one of languages', path: ['defaultLanguage'] })
    .prefault({}),
  /**
   * Settings of the stored sections (delivery, throttling, signIn, reset, reminders, sync, writeback) the console,
   * the API and the CLI may not change: dotted paths such as `delivery.smtp` or
   * `throttling.blockHours`. A value set by an SSPR_* variable is fixed as well.
   */
  fixedSettings: z.array(z.string().min(1).max(200)).max(200).default([]),
  audit: z
    .strictObject({
      /** Events older than this are deleted by the hourly housekeeping; nothing else deletes them. */
      retentionDays: z.number().int().min(30).max(3650).default(365),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  /**
   * Prometheus metrics. Never on the public listener without a token: by default /metrics is
   * served only on `metrics.listen` (a separate listener, e.g. 127.0.0.1:9464), and not at all
   * without one. With a token it is also served on the public listener, to whoever sends it.
   */
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      token: z.string().min(16).optional().describe('bearer token required for /metrics when set (on every listener); with it, /metrics is also served on the public listener'),
      listen: z
        .strictObject({
          host: z.string().min(1).default('127.0.0.1'),
          port,
        })
        .optional()
        .describe('a separate listener that serves only /metrics (none by default)'),
    })
    .prefault({}),
});

export const configSchema = settings.transform((c) => ({ ...c, publicUrl: c.publicUrl ?? defaultPublicUrl(c.listen.port) }));

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
