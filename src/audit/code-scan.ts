import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads the sources (not the tests) for the codes the portal writes: the audit events of every
 * `audit.record({ event: … })` and audit helper, and the delivery kinds of every message sent.
 * Used by the catalogue test so that a new event or kind without words fails the build.
 */
function sources(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push({ path: p, text: readFileSync(p, 'utf8') });
  }
  return out;
}

const literals = (s: string, re: RegExp): string[] => [...s.matchAll(/'([^'\\\n]*)'/g)].map((m) => m[1]!).filter((v) => re.test(v));
const SNAKE = /^[a-z]+(_[a-z]+)+$/;

/** The object literal `NAME … = { … }` of a file, as text (for maps of codes such as SUPPORT_EVENTS). */
function objectOf(text: string, name: string): string {
  const at = text.search(new RegExp(`\\b${name}\\b[^=\\n]*=\\s*\\{`));
  if (at < 0) return '';
  const start = text.indexOf('{', at);
  return text.slice(start, text.indexOf('}', start) + 1);
}

export function scanAuditEvents(root: string): Set<string> {
  const found = new Set<string>();
  for (const { text } of sources(root)) {
    for (const m of text.matchAll(/\b(?:event|auditEvent):\s*([^,}\n]+)/g)) {
      const expr = m[1]!;
      for (const v of literals(expr, SNAKE)) found.add(v);
      const ident = /^([A-Z][A-Z_]+)\b(\[)?/.exec(expr.trim());
      if (ident) {
        if (ident[2]) for (const v of literals(objectOf(text, ident[1]!), SNAKE)) found.add(v);
        else {
          const c = new RegExp(`const ${ident[1]} = '([a-z_]+)'`).exec(text);
          if (c) found.add(c[1]!);
        }
      }
    }
    // Helpers such as `this.audit(actor, 'user_created', 'success', …)`.
    for (const m of text.matchAll(/\baudit\(([^)]*)\)/g)) for (const v of literals(m[1]!, SNAKE)) found.add(v);
  }
  return found;
}

export function scanDeliveryKinds(root: string): Set<string> {
  const found = new Set<string>();
  const files = sources(root);
  const kebab = (s: string) => s.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
  for (const { text } of files) {
    for (const line of text.split('\n')) {
      const m = /\bkind:\s*([^,}\n]+(?:\}[^,}\n]*`)?)/.exec(line);
      if (!m) continue;
      const expr = m[1]!.trim();
      // `notify:${unlock ? 'account-unlocked' : 'password-reset'}`
      const tpl = /^`([a-z]+:[a-z-]*)\$\{([^}]*)\}`/.exec(expr);
      if (tpl) {
        for (const p of literals(tpl[2]!, /^[a-z-]+$/)) found.add(`${tpl[1]}${p}`);
        continue;
      }
      // A prefixed kind anywhere; a plain `a-b` one only where a message is sent (flows have kinds too).
      for (const v of literals(expr, /^[a-z]+:[a-z:-]+$/)) found.add(v);
      if (/\b(outbound|delivery)\.(email|sms|voice)\(/.test(line)) for (const v of literals(expr, /^[a-z]+(-[a-z]+)+$/)) found.add(v);
    }
    // Codes are sent as `code:<purpose>` (src/methods/security-info.ts deliverCode).
    for (const m of text.matchAll(/deliverCode\([^,]+,[^,]+,\s*([^,)]+)/g)) {
      const p = m[1]!.trim();
      const lit = /^'([a-z-]+)'$/.exec(p);
      if (lit) found.add(`code:${lit[1]}`);
      else {
        const c = new RegExp(`const ${p} = '([a-z-]+)'`).exec(files.map((f) => f.text).join('\n'));
        if (c) found.add(`code:${c[1]}`);
      }
    }
  }
  // Support actions tell the user with `notify:support-<action>`.
  const actions = /SUPPORT_ACTIONS = \[([^\]]*)\]/.exec(files.map((f) => f.text).join('\n'));
  if (actions) for (const a of literals(actions[1]!, /^[a-zA-Z]+$/)) found.add(`notify:support-${kebab(a)}`);
  return found;
}
