import { isMessageKey, translator } from '../i18n/index.js';
import type { Outcome } from '../directory/directory-service.js';
import { generatePassword } from '../shared/crypto.js';
import { CliExit, EXIT, readStdin, type CliIO } from './context.js';

const t = translator('en');

/** The actor of every change made on the command line (audited as "cli"). */
export const CLI_ACTOR = { id: null, name: 'cli' };

export function say(io: CliIO, text: string): void {
  io.stdout.write(`${text}\n`);
}

/** Turns a service outcome into output and an exit code a script can rely on. */
export function report<T>(io: CliIO, outcome: Outcome<T>, onOk: (value: T) => void, vars: Record<string, number> = {}): number {
  if (outcome.ok) {
    onOk(outcome.value);
    return EXIT.ok;
  }
  if (outcome.reason === 'invalid') {
    for (const [field, key] of Object.entries(outcome.errors)) {
      io.stderr.write(`error: ${field}: ${isMessageKey(key) ? t(key, vars) : key}\n`);
    }
    return EXIT.usage;
  }
  io.stderr.write(`error: ${isMessageKey(outcome.message) ? t(outcome.message) : outcome.message}\n`);
  return outcome.reason === 'not_found' ? EXIT.notFound : EXIT.refused;
}

/** A password from standard input or generated (printed once by the caller); never from the command line. */
export async function passwordFrom(io: CliIO, opts: { passwordStdin?: boolean; generatePassword?: boolean }): Promise<{ password: string; generated: boolean } | null> {
  if (opts.passwordStdin && opts.generatePassword) throw new CliExit(EXIT.usage, 'choose one of --password-stdin and --generate-password');
  if (opts.passwordStdin) return { password: await readStdin(io.stdin), generated: false };
  if (opts.generatePassword) return { password: generatePassword(), generated: true };
  return null;
}

/** The length rules in force (the policy's, loaded by the password check) for the messages that name them. */
export function lengthVars(portal: { policy: { snapshot(): { policy: { passwords: { minLength: number; maxLength: number } } } } }): { min: number; max: number } {
  const p = portal.policy.snapshot().policy.passwords;
  return { min: p.minLength, max: p.maxLength };
}
