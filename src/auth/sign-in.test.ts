import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';

describe('sign-in', () => {
  let tp: TestPortal;
  beforeEach(async () => {
    tp = await createTestPortal();
    await makeUser(tp.portal, { username: 'alice', password: 'correct horse battery', displayName: 'Alice' });
  });
  afterEach(() => tp.cleanup());

  it('signs in with the right password and reaches the account page', async () => {
    const client = new TestClient(tp.app);
    const r = await client.signIn('alice', 'correct horse battery');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/account');
    const page = await client.get('/account');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Signed in as Alice (alice)');
  });
});
