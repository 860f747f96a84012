import { afterEach, beforeEach, expect } from 'vitest';
import { createTestPortal, type TestPortal } from './test-portal.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { makeUser } from './http-client.js';
import type { User } from '../../src/directory/users.js';

/** The set-up the JSON API's tests share: a portal with users, a group and two tokens, and how to call the API. */

export const PW = 'correct horse battery';
export const DAY = 86_400_000;
const BASE = 'http://portal.test/api/v1';
// What @hono/node-server would report as the peer; the API records it with every write.
export const PEER = '198.51.100.7';
const env = { incoming: { socket: { remoteAddress: PEER, remotePort: 40000, remoteFamily: 'IPv4' } } };

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
  res: Response;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiSandbox {
  tp: TestPortal;
  root: User;
  writeToken: string;
  readToken: string;
  token(name: string, scope: 'read' | 'write', expiresInDays?: number): Promise<string>;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** What an unwanted request could change: the policy, the users, the audit log, the tokens (their use times aside). */
  state(): Promise<string>;
}

/** A fresh sandbox for each test of the calling file (made before it, cleaned up after it), read through `current()`. */
export function useApiSandbox(): { current(): ApiSandbox; call: ApiSandbox['call'] } {
  let sandbox: ApiSandbox | undefined;
  beforeEach(async () => {
    sandbox = await createApiSandbox();
  });
  afterEach(async () => {
    await sandbox?.tp.cleanup();
    sandbox = undefined;
  });
  const current = (): ApiSandbox => {
    if (!sandbox) throw new Error('the API sandbox exists only while a test runs');
    return sandbox;
  };
  return { current, call: (...a) => current().call(...a) };
}

export async function createApiSandbox(options: { config?: ConfigInput } = {}): Promise<ApiSandbox> {
  const tp = await createTestPortal({ manualTime: true, config: options.config });
  const root = await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'], displayName: 'Root Admin' });
  const alice = await makeUser(tp.portal, { username: 'alice', password: PW, displayName: 'Alice Andersen', email: 'alice@example.com' });
  const bob = await makeUser(tp.portal, { username: 'bob', displayName: 'Bob Brown' });
  await tp.portal.directory.setEnabled({ id: null, name: 'test' }, bob.id, false);
  const staff = await tp.portal.directory.createGroup({ id: null, name: 'test' }, { name: 'Staff', description: 'Everyone' });
  if (!staff.ok) throw new Error('group');
  await tp.portal.directory.addMember({ id: null, name: 'test' }, staff.value.id, { type: 'user', name: alice.username });

  async function token(name: string, scope: 'read' | 'write', expiresInDays?: number): Promise<string> {
    const r = await tp.portal.apiTokens.create({ id: root.id, name: 'root' }, { name, scope, expiresInDays });
    if (!r.ok) throw new Error(JSON.stringify(r));
    return r.value.token;
  }

  async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers = new Headers(options.headers);
    if (options.token) headers.set('authorization', `Bearer ${options.token}`);
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      body = options.raw ?? JSON.stringify(options.body);
      headers.set('content-type', options.contentType ?? 'application/json');
    }
    const res = await tp.app.request(`${BASE}${path}`, { method, headers, body }, env);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, res };
  }

  async function state(): Promise<string> {
    const policy = await tp.portal.policy.refresh();
    const users = await tp.portal.users.list({ pageSize: 200 });
    const audit = await tp.store.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
    const tokens = await tp.store.db.selectFrom('api_tokens').select(['id', 'name', 'scope', 'expires_at', 'revoked_at']).orderBy('id').execute();
    const brand = await tp.store.db.selectFrom('brand_versions').selectAll().orderBy('version').execute();
    const settings = await tp.store.db.selectFrom('settings_versions').selectAll().orderBy('section').orderBy('version').execute();
    return JSON.stringify({ policy, users: users.items, audit, tokens, brand, settings });
  }

  const writeToken = await token('ci-sync', 'write');
  const readToken = await token('reporting', 'read');
  return { tp, root, writeToken, readToken, token, call, state };
}

export function expectError(a: Answer, status: number, code: string): void {
  expect(a.status, a.text).toBe(status);
  expect(a.res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(a.json)).toEqual(['error']);
  expect(a.json.error.code).toBe(code);
  expect(typeof a.json.error.message).toBe('string');
  expect(a.json.error.message.length).toBeGreaterThan(10);
  for (const k of Object.keys(a.json.error)) expect(['code', 'message', 'fields']).toContain(k);
}

/** Every write the API offers: refused requests must leave the state as it was. */
export const writes: Array<[string, string, unknown]> = [
  ['PATCH', '/policy', { policy: { methodsRequired: 2 } }],
  ['PUT', '/policy', { policy: { enabledFor: 'none' } }],
  ['POST', '/users', { username: 'mallory', displayName: 'Mallory' }],
  ['PATCH', '/users/alice', { displayName: 'Mallory was here' }],
  ['POST', '/users/alice/disable', undefined],
  ['POST', '/users/bob/enable', undefined],
  ['POST', '/users/alice/verification', { methodId: 'any-method' }],
  ['POST', '/users/alice/verification/any-attempt/check', { code: '12345678' }],
  ['POST', '/users/alice/unblock', { reason: 'caller asked' }],
  ['POST', '/users/alice/clear-lockout', { reason: 'caller asked' }],
  ['POST', '/users/alice/unlock', { reason: 'caller asked' }],
  ['POST', '/users/alice/require-registration', { reason: 'caller asked' }],
  ['POST', '/users/alice/require-change', { mustChange: true }],
  ['POST', '/users/alice/reset-password', { password: 'Fresh meadow lantern 42' }],
  ['DELETE', '/users/alice/methods/any-method', { reason: 'caller asked' }],
  ['DELETE', '/users/alice/sessions', { reason: 'caller asked' }],
  ['POST', '/users/alice/reset-link', { reason: 'caller asked', methodId: 'any-method' }],
  ['POST', '/groups', { name: 'Mallory team' }],
  ['PATCH', '/groups/Staff', { name: 'Renamed' }],
  ['DELETE', '/groups/Staff', undefined],
  ['POST', '/groups/Staff/members', { type: 'user', name: 'bob' }],
  ['DELETE', '/groups/Staff/members/user/alice', undefined],
  ['PATCH', '/settings/throttling', { settings: { blockHours: 2 } }],
  ['PUT', '/settings/delivery', { settings: { mode: 'outbox', limits: { globalPerHour: 50 } } }],
  ['PATCH', '/brand', { brand: { organisationName: 'Mallory Inc' } }],
  ['PUT', '/brand', { brand: { organisationName: 'Mallory Inc', primaryColour: '#1d4f91', backgroundColour: '#ffffff' }, logo: null }],
  ['POST', '/agents/registration-tokens', undefined],
  ['POST', '/agents/any-agent/test', undefined],
  ['DELETE', '/agents/any-agent', undefined],
  ['POST', '/sync/run', { full: true }],
];
