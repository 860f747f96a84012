import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startPortalProcess, type PortalProcess } from '../../test/helpers/portal-process.js';
import { HUGE_PAGES_TUNABLE, MMAP_THRESHOLD_BYTES, SEMI_SPACE_MIB, TUNED_MARK, tunedExec } from './memory-tuning.js';

const execve = (() => undefined) as unknown as (file: string, args: string[], env: Record<string, string>) => never;
const linux = (env: Record<string, string> = {}, execArgv: string[] = []) => ({ platform: 'linux', execPath: '/usr/bin/node', execArgv, env, execve });
const argv = (...words: string[]) => ['/usr/bin/node', '/opt/sspr/bin/sspr.js', ...words];

describe('memory settings of the long-running commands', () => {
  it('sspr start and sspr agent run are replaced by the same command with the malloc threshold and a small young generation', () => {
    for (const words of [['start', '--config', 'sspr.yaml'], ['agent', 'run']]) {
      const exec = tunedExec(argv(...words), linux({ PATH: '/usr/bin' }));
      expect(exec).toEqual({
        file: '/usr/bin/node',
        args: ['/usr/bin/node', `--max-semi-space-size=${SEMI_SPACE_MIB}`, '/opt/sspr/bin/sspr.js', ...words],
        env: { PATH: '/usr/bin', MALLOC_MMAP_THRESHOLD_: String(MMAP_THRESHOLD_BYTES), GLIBC_TUNABLES: HUGE_PAGES_TUNABLE, [TUNED_MARK]: '1' },
      });
    }
  });

  it('other commands, other systems, a Node without execve and the replaced process itself run as they are', () => {
    expect(tunedExec(argv('doctor'), linux())).toBeNull();
    expect(tunedExec(argv('agent', 'register'), linux())).toBeNull();
    expect(tunedExec(argv('start'), { ...linux(), platform: 'darwin' })).toBeNull();
    expect(tunedExec(argv('start'), { ...linux(), execve: undefined })).toBeNull();
    expect(tunedExec(argv('start'), linux({ [TUNED_MARK]: '1' }))).toBeNull();
    // Any value beforehand turns it off.
    expect(tunedExec(argv('start'), linux({ [TUNED_MARK]: '' }))).toBeNull();
  });

  it("keeps the operator's own settings", () => {
    const exec = tunedExec(argv('start'), linux({ MALLOC_MMAP_THRESHOLD_: '131072', NODE_OPTIONS: '--max-semi-space-size=16' }, ['--enable-source-maps']));
    expect(exec?.env['MALLOC_MMAP_THRESHOLD_']).toBe('131072');
    expect(exec?.env['GLIBC_TUNABLES']).toBe(HUGE_PAGES_TUNABLE);
    expect(tunedExec(argv('start'), linux({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }))?.env['GLIBC_TUNABLES']).toBe(`glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`);
    expect(tunedExec(argv('start'), linux({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }))?.env['GLIBC_TUNABLES']).toBe('glibc.malloc.hugetlb=0');
    expect(exec?.args).toEqual(['/usr/bin/node', '--enable-source-maps', '/opt/sspr/bin/sspr.js', 'start']);
    expect(tunedExec(argv('start'), linux({}, ['--max-semi-space-size=8']))?.args).toEqual(['/usr/bin/node', '--max-semi-space-size=8', '/opt/sspr/bin/sspr.js', 'start']);
  });

  describe('a real sspr start', () => {
    let portal: PortalProcess | null = null;
    afterAll(async () => {
      await portal?.stop();
    });

    it('runs tuned under the PID it was started with (where Node has execve), and answers', { timeout: 60_000 }, async () => {
      portal = await startPortalProcess();
      const environ = readFileSync(`/proc/${portal.pid}/environ`, 'utf8').split('\0');
      const cmdline = readFileSync(`/proc/${portal.pid}/cmdline`, 'utf8').split('\0');
      const tuned = typeof (process as { execve?: unknown }).execve === 'function';
      expect(environ.includes(`MALLOC_MMAP_THRESHOLD_=${MMAP_THRESHOLD_BYTES}`)).toBe(tuned);
      expect(environ.includes(`${TUNED_MARK}=1`)).toBe(tuned);
      expect(environ.includes(`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}`)).toBe(tuned);
      expect(cmdline.includes(`--max-semi-space-size=${SEMI_SPACE_MIB}`)).toBe(tuned);
      expect((await fetch(`${portal.url}/healthz`)).status).toBe(200);
    });
  });
});
