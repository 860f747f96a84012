import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { safeNext } from './context.js';
import { clientIp } from './middleware/client-ip.js';
import { translator, type MessageKey } from '../i18n/index.js';
import { en } from '../i18n/en.js';
import { generatePassword } from '../shared/crypto.js';

describe('helpers', () => {
  it('safeNext keeps local paths and drops everything else', () => {
    expect(safeNext('/admin/users?q=a')).toBe('/admin/users?q=a');
    for (const bad of ['//x.example', 'https://x.example', '/\\x.example', 'x', '', '/\nx', 42, null, '/'.padEnd(600, 'a')]) expect(safeNext(bad)).toBe('/account');
  });

  it('believes X-Forwarded-For only from a configured proxy, and only its right-most untrusted hop', async () => {
    const app = new Hono();
    let trusted: string[] = [];
    app.get('/', (c) => c.text(clientIp(c, trusted)));
    const env = { incoming: { socket: { remoteAddress: '10.0.0.5', remotePort: 1, remoteFamily: 'IPv4' } } };
    const ask = async () => (await app.request('/', { headers: { 'x-forwarded-for': '1.2.3.4, 203.0.113.9' } }, env)).text();
    expect(await ask()).toBe('10.0.0.5');
    trusted = ['10.0.0.5'];
    expect(await ask()).toBe('203.0.113.9');
    trusted = ['10.0.0.5', '203.0.113.9'];
    expect(await ask()).toBe('1.2.3.4');
  });

  it('fills placeholders, and an unknown language falls back to English', () => {
    const t = translator('en');
    expect(t('signIn.locked', { minutes: '2 minutes' })).toBe('Too many sign-in attempts. Wait 2 minutes and try again.');
    expect(translator('xx')('signIn.title')).toBe('Sign in');
  });

  it('every message key has text: the translator gives each key words of its own, never the key or blanks', () => {
    const t = translator('en');
    const keys = Object.keys(en) as MessageKey[];
    expect(keys.length).toBeGreaterThan(100);
    const without = keys.filter((key) => {
      const text = t(key);
      return typeof en[key] !== 'string' || text !== en[key] || text.trim() === '' || text === String(key) || /^[a-z]+(\.[A-Za-z0-9_-]+)+$/.test(text.trim());
    });
    expect(without).toEqual([]);
  });

  it('generates passwords of the asked length from the unambiguous alphabet, never the same twice', () => {
    const a = generatePassword();
    expect(a).toHaveLength(20);
    expect(a).toMatch(/^[A-HJ-NP-Za-km-z2-9]+$/);
    expect(generatePassword()).not.toBe(a);
  });
});
