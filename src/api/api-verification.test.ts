import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { lastMessageTo, messagesTo } from '../../test/helpers/outbox.js';
import { codeIn } from '../../test/helpers/codes.js';
import { createApiSandbox, expectError, type ApiSandbox } from '../../test/helpers/api-sandbox.js';

/** Caller verification over the JSON API: start (a code to a registered method) and check; write scope. */
describe('JSON API: caller verification', () => {
  let sandbox: ApiSandbox;
  let tp: TestPortal;
  let emailId: string;
  const ADDRESS = 'alice.home@mail.test';

  beforeEach(async () => {
    sandbox = await createApiSandbox();
    tp = sandbox.tp;
    const alice = (await tp.portal.users.byUsername('alice'))!;
    const m = await tp.portal.methods.addContact(alice.id, 'email', ADDRESS);
    await tp.portal.methods.confirm(alice.id, m.id);
    emailId = m.id;
  });
  afterEach(() => tp.cleanup());

  it('starts with a code to the registered address, answers only a masked address, and checks the code read out', async () => {
    const { call, writeToken } = sandbox;
    const started = await call('POST', '/users/alice/verification', { token: writeToken, body: { methodId: emailId } });
    expect(started.status, started.text).toBe(200);
    expect(started.json).toEqual({ id: expect.any(String), methodType: 'email', sentTo: expect.stringContaining('•'), expiresAt: expect.any(String) });
    // The helpdesk never sees a full address.
    expect(started.text).not.toContain(ADDRESS);
    expect(started.text).not.toContain('alice.home');

    const code = codeIn((await lastMessageTo(tp.portal, ADDRESS))!.body!);
    const wrong = await call('POST', `/users/alice/verification/${started.json.id}/check`, { token: writeToken, body: { code: code === '00000000' ? '11111111' : '00000000' } });
    expect(wrong.status).toBe(200);
    expect(wrong.json).toEqual({ verified: false, verifiedUntil: null, message: expect.stringMatching(/not right/) });

    const right = await call('POST', `/users/alice/verification/${started.json.id}/check`, { token: writeToken, body: { code } });
    expect(right.status).toBe(200);
    expect(right.json.verified).toBe(true);
    expect(Date.parse(right.json.verifiedUntil)).toBe(tp.clock.now() + 10 * 60_000);
    expect(await tp.portal.callerVerifications.verifiedUntil('api:ci-sync', (await tp.portal.users.byUsername('alice'))!.id)).toBe(Date.parse(right.json.verifiedUntil));
  });

  it('needs the write scope, a known user and a usable method; bad bodies change nothing', async () => {
    const { call, writeToken, readToken } = sandbox;
    expectError(await call('POST', '/users/alice/verification', { token: readToken, body: { methodId: emailId } }), 403, 'forbidden');
    expectError(await call('POST', '/users/nobody/verification', { token: writeToken, body: { methodId: emailId } }), 404, 'not_found');
    expectError(await call('POST', '/users/alice/verification', { token: writeToken, body: { methodId: 'x'.repeat(65) } }), 400, 'invalid_input');
    expectError(await call('POST', '/users/alice/verification', { token: writeToken, body: { methodId: emailId, extra: 1 } }), 400, 'invalid_input');
    expectError(await call('POST', '/users/alice/verification', { token: writeToken, body: { methodId: 'not-a-method' } }), 422, 'refused');
    expectError(await call('POST', '/users/alice/verification/unknown/check', { token: writeToken, body: { code: '123456' } }), 404, 'not_found');
    expectError(await call('POST', '/users/alice/verification/unknown/check', { token: writeToken, body: { code: ['1'] } }), 400, 'invalid_input');
    expect(await messagesTo(tp.portal, ADDRESS)).toEqual([]);
  });

  it('an attempt started by one token cannot be checked by another', async () => {
    const { call, writeToken, token } = sandbox;
    const other = await token('second-desk', 'write');
    const started = await call('POST', '/users/alice/verification', { token: writeToken, body: { methodId: emailId } });
    const code = codeIn((await lastMessageTo(tp.portal, ADDRESS))!.body!);
    expectError(await call('POST', `/users/alice/verification/${started.json.id}/check`, { token: other, body: { code } }), 404, 'not_found');
  });
});
