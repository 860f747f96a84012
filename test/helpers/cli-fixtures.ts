import { expect } from 'vitest';
import type { CliSandbox } from './cli.js';

/** What the CLI's tests do besides running a command: read the users back, sign in, add the first administrator. */
export function cliFixtures(sb: CliSandbox) {
  const { ok } = sb;
  return {
    /** Output lines, sorted; every line (the last too) must end in a newline. */
    lines(out: string): string[] {
      expect(out.endsWith('\n')).toBe(true);
      return out.slice(0, -1).split('\n').sort();
    },

    async usersJson(): Promise<Array<Record<string, unknown>>> {
      return JSON.parse(await ok(['user', 'list', '--json'])) as Array<Record<string, unknown>>;
    },

    /** A real sign-in through the portal built from the same config and store the CLI used. */
    async signIn(username: string, password: string): Promise<string> {
      return sb.withPortal(async (portal) => {
        const r = await portal.signIn.attempt({ username, password, ip: '192.0.2.10', userAgent: 'cli-test', browserId: 'cli-test', next: '/account' });
        return r.ok ? r.value.kind : r.reason;
      });
    },

    async addAdmin(name = 'root'): Promise<void> {
      await ok(['user', 'add', name, '--display-name', 'Root', '--role', 'administrator', '--password-stdin'], { stdin: ['tall oak password 1\n'] });
    },
  };
}
