import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, expect } from 'vitest';
import { EXIT, openPortal } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { newKeyBase64 } from '../../src/config/secret-key.js';
import { createLogger } from '../../src/logging/logger.js';
/** A Writable that keeps what is written to it; text() gives it all back. */
export function sink() {
    const chunks = [];
    return {
        stream: new Writable({
            write(chunk, _enc, cb) {
                chunks.push(chunk.toString());
                cb();
            },
        }),
        text: () => chunks.join(''),
    };
}
/** A CliIO over two sinks, with the lines given as stdin (none by default). */
export function cliIO(options) {
    const out = sink();
    const err = sink();
    const io = { stdout: out.stream, stderr: err.stream, stdin: Readable.from(options.stdin ?? []), env: options.env, cwd: options.cwd };
    return { io, out: out.text, err: err.text };
}
/** `main(argv, io)` with sinks for stdout and stderr. */
export async function runCli(argv, options) {
    const { io, out, err } = cliIO(options);
    const code = await main(argv, io);
    return { code, stdout: out(), stderr: err() };
}
/** A fresh temp folder (named from prefix) with its sspr.yaml, extraYamlLines appended to it. */
export function cliSandbox(prefix = 'sspr-cli-', extraYamlLines = []) {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const configPath = join(dir, 'sspr.yaml');
    writeFileSync(configPath, ['secrets:', `  key: ${newKeyBase64()}`, 'passwordHashing:', '  memoryKiB: 1024', '  iterations: 1', '  parallelism: 1', 'logging:', '  level: warn', ...extraYamlLines, ''].join('\n'));
    const env = { SSPR_DATABASE__URL: `sqlite:${join(dir, 'sspr.db')}` };
    const io = (options = {}) => cliIO({ stdin: options.stdin, env: options.env ?? env, cwd: options.cwd ?? dir });
    const run = async (args, options = {}) => {
        const config = options.config === undefined ? configPath : options.config;
        return runCli(config === null ? args : ['--config', config, ...args], { stdin: options.stdin, env: options.env ?? env, cwd: options.cwd ?? dir });
    };
    return {
        dir,
        configPath,
        env,
        io,
        run,
        async ok(args, options) {
            const r = await run(args, options);
            expect(r.stderr, `sspr ${args.join(' ')}`).toBe('');
            expect(r.code, `sspr ${args.join(' ')}`).toBe(EXIT.ok);
            return r.stdout;
        },
        async withPortal(use) {
            const { portal } = await openPortal(io().io, configPath, { createKey: false, logger: createLogger('silent') });
            try {
                return await use(portal);
            }
            finally {
                await portal.store.close();
            }
        },
        cleanup() {
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
/**
 * A fresh cliSandbox for each test of the calling file (made in beforeEach, removed in afterEach),
 * through a handle whose members always reach the current test's sandbox, so they can be
 * destructured at the top of the file.
 */
export function useCliSandbox(prefix, extraYamlLines) {
    let current;
    beforeEach(() => {
        current = cliSandbox(prefix, extraYamlLines);
    });
    afterEach(() => {
        current?.cleanup();
        current = undefined;
    });
    const now = () => {
        if (!current)
            throw new Error('the CLI sandbox exists only while a test runs');
        return current;
    };
    return {
        get dir() {
            return now().dir;
        },
        get configPath() {
            return now().configPath;
        },
        get env() {
            return now().env;
        },
        io: (options) => now().io(options),
        run: (args, options) => now().run(args, options),
        ok: (args, options) => now().ok(args, options),
        withPortal: (use) => now().withPortal(use),
        cleanup: () => now().cleanup(),
    };
}
//# sourceMappingURL=cli.js.map