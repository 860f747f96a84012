import { isMessageKey, translator } from '../i18n/index.js';
import type { Outcome } from '../directory/directory-service.js';
import { EXIT, type CliIO } from './context.js';

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
