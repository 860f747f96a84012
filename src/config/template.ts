/** The commented sspr.yaml that `sspr init` writes. Every setting is listed with its default. */
export function configTemplate(key: string | null): string {
  // null: no key in the file (sspr init --keep-key): the key file, or SSPR_SECRETS__KEY, stays the key.
  const keyLines = key
    ? `  key: ${key}`
    : '  # key: not set here, so the existing key stays in use (SSPR_SECRETS__KEY when set, else keyFile).\n  keyFile: ./data/secret.key';
  return `# OpenSSPR configuration. Every setting can also be given as an environment variable:
# SSPR_ + the path in capitals, "__" between levels (SSPR_DATABASE__URL, SSPR_LISTEN__PORT).
# Relative paths are resolved against the folder of this file.

# The address users type. Links in emails and setup links are built from this, never from the
# request's Host header. Use https:// in production (cookies then get Secure and __Host-).
publicUrl: http://localhost:8080

listen:
  host: 127.0.0.1        # 0.0.0.0 to accept connections from other machines
  port: 8080

# Reverse proxies whose X-Forwarded-For is believed (exact addresses).
trustedProxies: []

database:
  # sqlite:./data/sspr.db (default, one instance) or postgres://user:pass@host:5432/db (several instances)
  url: sqlite:./data/sspr.db
  poolSize: 10

secrets:
  # 32 random bytes, base64. Encrypts contact details and TOTP secrets; keep it secret and backed up:
  # losing it makes encrypted data unreadable. Instead of "key" you may point "keyFile" at a file.
${keyLines}

passwordHashing:         # argon2id, OWASP's recommended minimum
  memoryKiB: 19456
  iterations: 2
  parallelism: 1

# These password rules are the starting values: once they are saved in the admin console
# (Password reset policy → Password rules), the API or "sspr password rules set", the stored
# rules win and edits here no longer apply (the cache settings under breached always apply).
passwords:
  minLength: 8             # length in Unicode code points; longer than maxLength is refused, never truncated
  maxLength: 256
  minScore: 3              # strength estimate (zxcvbn) 0–4 a new password needs; 0 = off
  historyCount: 5          # passwords remembered per cloud user (the current one included), 0–24
  checkCommon: true        # refuse the ~49,000 most common passwords
  # The organisation's own banned terms (names, products, places), on top of the global list:
  # up to 1,000 terms of 4–64 characters. Variants (Contoso2026!, C0nt0so) are caught by
  # normalisation and fuzzy matching; a password needs 5 points, each banned term counting one.
  bannedCustom: []
  # bannedCustom: [contoso, fabrikam, seattle]
  refuseNames: true        # refuse passwords holding the username, a 4+ letter part of the display name, or the organisation name
  breached:
    # off | hibp (the Pwned Passwords range API: only the first 5 hex characters of the
    # password's SHA-1 leave the portal) | local (a folder of XXXXX.txt range files as the
    # Pwned Passwords downloader writes them, or a self-hosted range API)
    mode: off
    minCount: 1            # refused when seen in this many breaches or more
    failureMode: open      # open: accept when the check cannot be done (logged, counted); closed: refuse, "try again"
    timeoutMs: 2000
    hibpUrl: https://api.pwnedpasswords.com
    # localFolder: /var/lib/sspr/pwned-ranges
    # localUrl: https://pwned.internal.example.com
    cacheEntries: 5000     # ranges kept in memory
    cacheMinutes: 60

sessions:
  idleMinutes: 30
  absoluteHours: 12

signIn:                  # smart lockout: threshold failures lock the username, each lock longer
  lockoutThreshold: 10
  lockoutSeconds: 60
  lockoutGrowth: 2
  lockoutMaxSeconds: 3600
  failureWindowHours: 24
  ipFailuresPerHour: 100

setup:
  tokenMinutes: 60       # lifetime of the one-time administrator setup link

# delivery, signIn, reset, throttling, reminders, sync and writeback below are starting values: administrators
# change them at /admin/settings, with \`sspr settings set\` or the API, and the stored values win.
# List what must stay as written here (docs/settings.md); SSPR_* variables are fixed too.
# fixedSettings: [delivery.smtp, throttling.blockHours]

delivery:
  # outbox keeps messages in the store for administrators to read: for trying the portal only.
  mode: outbox
  # mode: smtp
  # smtp:
  #   host: smtp.example.com
  #   port: 587
  #   secure: false          # true for port 465 (TLS from the first byte)
  #   requireTls: true       # refuse to send without STARTTLS
  #   user: sspr@example.com
  #   password: change-me
  #   from: "Password portal <sspr@example.com>"

reset:
  flowMinutes: 15          # a reset or unlock must be finished within this time
  captchaMaxNumber: 50000  # proof-of-work difficulty; raise it when the reset page is attacked
  startsPerIpPerHour: 30

writeback:                 # password jobs for hybrid users, through the on-premises agent
  jobSeconds: 10           # how long a job may wait for an agent to take it; never applied later
  answerSeconds: 20        # once taken, how long to wait for AD's answer before "not confirmed yet"
  userWaitSeconds: 10      # the longest a user waits, whatever the agent does (caps the two above)

# The SSPR policy (who may reset, methods, registration, notifications) is kept in the store and
# edited at /admin/policy or with \`sspr policy set\`; methods.* here is only its starting point.

# organisationName, helpdesk and primaryColour are the brand's starting values: once the brand is
# saved in the console (/admin/branding: name, logo, colours, sign-in message, footer links), it wins.
branding:
  productName: OpenSSPR
  organisationName: Example Organisation
  # helpdesk: "https://help.example.com"   # or an email address; the policy's Customization page overrides it
  # Languages offered and the default (the console's Languages page overrides them once saved);
  # the zone of dates until the viewer's browser tells its own. See docs/languages.md.
  # languages: [en, de, fr, es, nl, pt-BR, ja, ar]
  # defaultLanguage: en
  # timeZone: UTC

logging:
  level: info            # fatal, error, warn, info, debug, trace, silent

metrics:
  enabled: true
  # /metrics is not served on the public listener by default. Either give it its own listener
  # (for a Prometheus on the same host or network), or a token (then it is also served on the
  # public listener, to requests with "Authorization: Bearer <token>"), or both.
  # listen: { host: 127.0.0.1, port: 9464 }
  # token: a-long-random-string
`;
}
