import { describe, expect, it } from 'vitest';
import { challengeText, isPublicKey, newAgentKeys, open, seal, signChallenge, verifyChallenge } from './sealing.js';

describe('sealing a password for one agent and one job', () => {
  const agent = newAgentKeys();

  it('opens only with the agent key it was sealed for', () => {
    const sealed = seal(agent.sealingPublic, 'Pässwörd-ünicode-🙂', 'job-1');
    expect(open(agent, sealed, 'job-1')).toBe('Pässwörd-ünicode-🙂');
    expect(open(newAgentKeys(), sealed, 'job-1')).toBeNull();
  });

  it('is bound to the job id: moved to another job it does not open', () => {
    const sealed = seal(agent.sealingPublic, 'secret', 'job-1');
    expect(open(agent, sealed, 'job-2')).toBeNull();
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = seal(agent.sealingPublic, 'secret', 'job-1');
    const ct = Buffer.from(sealed.ct, 'base64url');
    ct[0] = ct[0]! ^ 1;
    expect(open(agent, { ...sealed, ct: ct.toString('base64url') }, 'job-1')).toBeNull();
  });

  it('never contains the secret in clear and differs each time', () => {
    const a = seal(agent.sealingPublic, 'the-secret-password', 'job-1');
    const b = seal(agent.sealingPublic, 'the-secret-password', 'job-1');
    expect(JSON.stringify(a)).not.toContain('the-secret-password');
    expect(a.ct).not.toBe(b.ct);
    expect(a.epk).not.toBe(b.epk);
  });

  it('challenge signatures verify only for the right key and text', () => {
    const text = challengeText('nonce-1', 'agent-1', 'https://portal.test');
    const sig = signChallenge(agent, text);
    expect(verifyChallenge(agent.signingPublic, text, sig)).toBe(true);
    expect(verifyChallenge(agent.signingPublic, challengeText('nonce-2', 'agent-1', 'https://portal.test'), sig)).toBe(false);
    expect(verifyChallenge(newAgentKeys().signingPublic, text, sig)).toBe(false);
    expect(verifyChallenge(agent.signingPublic, text, 'not-a-signature')).toBe(false);
    expect(verifyChallenge(agent.signingPublic, text, 42)).toBe(false);
  });

  it('checks the kind of a public key given at registration', () => {
    expect(isPublicKey(agent.sealingPublic, 'x25519')).toBe(true);
    expect(isPublicKey(agent.signingPublic, 'ed25519')).toBe(true);
    expect(isPublicKey(agent.signingPublic, 'x25519')).toBe(false);
    expect(isPublicKey('garbage', 'x25519')).toBe(false);
    expect(isPublicKey({}, 'x25519')).toBe(false);
  });
});
