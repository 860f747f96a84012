import { afterEach, beforeEach, expect } from 'vitest';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { createTestPortal, type TestPortal } from './test-portal.js';
import { TestClient, makeUser } from './http-client.js';
import { SoftAuthenticator } from './soft-authenticator.js';
import type { User } from '../../src/directory/users.js';

export const PW = 'correct horse battery';
export const BASE = '/account/security-info';
export const ORIGIN = 'http://portal.test';
export const RP_ID = 'portal.test';
export const MINUTE = 60_000;

/** POSTs JSON the way /assets/passkey.js does: CSRF token in x-csrf-token, same Origin. */
export async function postJson(client: TestClient, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await client.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', origin: client.origin, 'x-csrf-token': client.csrf, ...headers } });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // an HTML page (CSRF refusal); json stays empty
  }
  return { status: res.status, json, res };
}

export interface PasskeyHttpFixture {
  /** A fresh portal (manual time) with alice, replaced before each test. */
  tp: TestPortal;
  alice: User;
  signedIn(): Promise<TestClient>;
  /** Registers a passkey through the JSON endpoints, as the script does. */
  registerOverHttp(client: TestClient, name: string, authenticator: SoftAuthenticator): ReturnType<typeof postJson>;
  /** Password step of a sign-in; returns the client (on the second-factor page) and the flow id. */
  passwordStep(): Promise<{ client: TestClient; flow: string; page: string }>;
  signInOptions(client: TestClient, flow: string): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** Alice signs in and registers "Work laptop"; returns its authenticator. */
  withPasskey(): Promise<SoftAuthenticator>;
}

/** The set-up of the passkey tests that go through HTTP; registers its own beforeEach and afterEach. */
export function passkeyHttpFixture(): PasskeyHttpFixture {
  const fx = {
    async signedIn() {
      const client = new TestClient(fx.tp.app);
      await client.signIn('alice', PW);
      await client.get(BASE);
      return client;
    },
    async registerOverHttp(client: TestClient, name: string, authenticator: SoftAuthenticator) {
      await client.get(`${BASE}/add/passkey`);
      const options = await postJson(client, `${BASE}/passkeys/options`, { name });
      expect(options.status, JSON.stringify(options.json)).toBe(200);
      return postJson(client, `${BASE}/passkeys/verify`, { flow: options.json['flow'], response: authenticator.register(options.json['options'] as PublicKeyCredentialCreationOptionsJSON) });
    },
    async passwordStep() {
      const client = new TestClient(fx.tp.app);
      const r = await client.signIn('alice', PW);
      const location = r.res.headers.get('location')!;
      expect(location).toMatch(/^\/sign-in\/verify\?flow=/);
      const flow = decodeURIComponent(location.split('flow=')[1]!);
      const page = await client.get(location);
      return { client, flow, page: page.body };
    },
    async signInOptions(client: TestClient, flow: string) {
      const r = await postJson(client, '/sign-in/passkey/options', { flow });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json['options'] as PublicKeyCredentialRequestOptionsJSON;
    },
    async withPasskey() {
      const client = await fx.signedIn();
      const soft = new SoftAuthenticator(RP_ID, ORIGIN);
      const r = await fx.registerOverHttp(client, 'Work laptop', soft);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return soft;
    },
  } as PasskeyHttpFixture;
  beforeEach(async () => {
    fx.tp = await createTestPortal({ manualTime: true });
    fx.alice = await makeUser(fx.tp.portal, { username: 'alice', password: PW });
  });
  afterEach(() => fx.tp.cleanup());
  return fx;
}
