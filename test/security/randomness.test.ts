import type * as nodeCrypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Codes and link tokens come from Node's CSPRNG (node:crypto), over their whole range. The
 * module is wrapped, not replaced: every value still comes from the real generator, and the
 * test sees what it returned, so a code made any other way (Math.random, a counter, a smaller
 * range) does not match and the test fails.
 */
const drawn = vi.hoisted(() => ({ ints: [] as Array<{ args: unknown[]; value: number }>, bytes: [] as Array<{ size: number; value: Buffer }> }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof nodeCrypto>();
  const randomInt = (...args: unknown[]): number => {
    const value = (real.randomInt as (...a: unknown[]) => number)(...args);
    drawn.ints.push({ args, value });
    return value;
  };
  const randomBytes = (size: number): Buffer => {
    const value = real.randomBytes(size);
    drawn.bytes.push({ size, value });
    return value;
  };
  return { ...real, default: { ...real, randomInt, randomBytes }, randomInt, randomBytes };
});

const { createTestPortal } = await import('../helpers/test-portal.js');
const { TestClient } = await import('../helpers/http-client.js');
const { registered, startReset, flowOf, chooseEmail } = await import('../helpers/reset-flow.js');
const { lastCodeTo } = await import('../helpers/outbox.js');

describe('randomness of codes and link tokens', () => {
  const portals: Array<{ cleanup(): Promise<void> }> = [];
  afterEach(async () => {
    for (const p of portals.splice(0)) await p.cleanup();
    drawn.ints.length = 0;
    drawn.bytes.length = 0;
  });

  it('a reset code is drawn from the CSPRNG over every code of its length (8 digits by default, 6 when configured)', async () => {
    for (const digits of [8, 6] as const) {
      const t = await createTestPortal({ config: { reset: { captchaMaxNumber: 200 }, ...(digits === 6 ? { methods: { codeDigits: 6 } } : {}) } });
      portals.push(t);
      const { email } = await registered(t.portal, `pat${digits}`);
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, `pat${digits}`));
      drawn.ints.length = 0;
      await chooseEmail(c, flow, email);
      await t.portal.resets.settled();
      const code = await lastCodeTo(t.portal, email);
      expect(code).toMatch(new RegExp(`^\\d{${digits}}$`));
      // Exactly one draw, over [0, 10^digits), and the code sent is that draw.
      expect(drawn.ints.map((d) => d.args)).toEqual([[0, 10 ** digits]]);
      expect(code).toBe(String(drawn.ints[0]!.value).padStart(digits, '0'));
    }
  });

  it('the configuration refuses codes shorter than 6 digits or longer than 8', async () => {
    const { configSchema } = await import('../../src/config/schema.js');
    for (const codeDigits of [0, 4, 5, 9, 6.5]) {
      const r = configSchema.safeParse({ methods: { codeDigits } });
      expect(r.success, `codeDigits ${codeDigits}`).toBe(false);
      expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['methods.codeDigits']);
    }
    for (const codeDigits of [6, 7, 8]) expect(configSchema.parse({ methods: { codeDigits } }).methods.codeDigits).toBe(codeDigits);
    expect(configSchema.parse({}).methods.codeDigits).toBe(8);
  });

  it('the setup link token is 32 bytes (256 bits, at least 128) from the CSPRNG, new each time', async () => {
    const t = await createTestPortal();
    portals.push(t);
    const tokens = new Set<string>();
    for (let i = 0; i < 20; i++) {
      drawn.bytes.length = 0;
      const { token } = await t.portal.firstRun.issueToken();
      const raw = Buffer.from(token, 'base64url');
      expect(raw.length * 8).toBeGreaterThanOrEqual(128);
      expect(raw.length).toBe(32);
      // The token is exactly the bytes the CSPRNG gave, nothing derived from time or a counter.
      expect(drawn.bytes.some((d) => d.value.equals(raw))).toBe(true);
      tokens.add(token);
    }
    expect(tokens.size).toBe(20);
  });
});
