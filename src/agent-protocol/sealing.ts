import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { Sealed } from './jobs.js';

/**
 * The agent's two key pairs and what they are for:
 * - X25519 (sealing): the portal seals each new password to the agent's public key, with a
 *   fresh ephemeral key per job (ECIES: X25519 → HKDF-SHA256 → AES-256-GCM, the job id as
 *   associated data), so only that agent can open it and only for that job.
 * - Ed25519 (signing): the agent proves who it is by signing the portal's challenge.
 * Node's crypto does every primitive; this file only composes them.
 */

export interface AgentKeys {
  sealingPublic: string;
  sealingPrivate: string;
  signingPublic: string;
  signingPrivate: string;
}

/** `epk` in a Sealed is the portal's ephemeral X25519 public key (raw, base64url). */
export type { Sealed };

const INFO = Buffer.from('openssspr writeback v1');

function der(key: KeyObject, type: 'spki' | 'pkcs8'): string {
  return (type === 'spki' ? key.export({ format: 'der', type: 'spki' }) : key.export({ format: 'der', type: 'pkcs8' })).toString('base64url');
}

export function newAgentKeys(): AgentKeys {
  const sealing = generateKeyPairSync('x25519');
  const signing = generateKeyPairSync('ed25519');
  return {
    sealingPublic: der(sealing.publicKey, 'spki'),
    sealingPrivate: der(sealing.privateKey, 'pkcs8'),
    signingPublic: der(signing.publicKey, 'spki'),
    signingPrivate: der(signing.privateKey, 'pkcs8'),
  };
}

// Parsed keys are kept (a few per agent): parsing DER on every job cost more than the sealing itself.
const parsed = new Map<string, KeyObject>();
function cached(b64: string, make: () => KeyObject): KeyObject {
  let k = parsed.get(b64);
  if (!k) {
    k = make();
    if (parsed.size > 256) parsed.clear();
    parsed.set(b64, k);
  }
  return k;
}
const publicKey = (b64: string) => cached(`pub:${b64}`, () => createPublicKey({ key: Buffer.from(b64, 'base64url'), format: 'der', type: 'spki' }));
const privateKey = (b64: string) => cached(`priv:${b64}`, () => createPrivateKey({ key: Buffer.from(b64, 'base64url'), format: 'der', type: 'pkcs8' }));

/** A public key as the portal receives it at registration: checked to be of the right kind. */
export function isPublicKey(b64: unknown, kind: 'x25519' | 'ed25519'): boolean {
  if (typeof b64 !== 'string' || b64.length > 200) return false;
  try {
    return publicKey(b64).asymmetricKeyType === kind;
  } catch {
    return false;
  }
}

function keyFor(shared: Buffer, epk: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([epk, recipient]), INFO, 32));
}

/**
 * An X25519 public key in SPKI DER (what travels, RFC 8410) is this fixed prefix and the 32 raw
 * bytes. OpenSSL's DER encoder and decoder cost 0.2–0.3 ms per key; the raw key through JWK
 * costs a few µs, so the per-job ephemeral keys go that way (other encodings still parse).
 */
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function x25519Spki(key: KeyObject): Buffer {
  return Buffer.concat([X25519_SPKI_PREFIX, Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url')]);
}

function x25519FromSpki(der: Buffer): KeyObject {
  if (der.length === X25519_SPKI_PREFIX.length + 32 && der.subarray(0, X25519_SPKI_PREFIX.length).equals(X25519_SPKI_PREFIX)) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: der.subarray(X25519_SPKI_PREFIX.length).toString('base64url') }, format: 'jwk' });
  }
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/**
 * Seals a secret for one agent and one job. The recipient's key enters the key derivation as
 * the bytes it was registered with — the same bytes the agent uses when it opens the secret.
 */
export function seal(recipientSealingPublic: string, secret: string, jobId: string): Sealed {
  const recipient = publicKey(recipientSealingPublic);
  const eph = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
  const epkRaw = x25519Spki(eph.publicKey);
  const key = keyFor(shared, epkRaw, Buffer.from(recipientSealingPublic, 'base64url'));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`job:${jobId}`));
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return { epk: epkRaw.toString('base64url'), iv: iv.toString('base64url'), ct: ct.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
}

/** Opens a sealed secret; null when it was not sealed for this key and this job (or was tampered with). */
export function open(keys: Pick<AgentKeys, 'sealingPrivate' | 'sealingPublic'>, sealed: Sealed, jobId: string): string | null {
  try {
    const epk = Buffer.from(sealed.epk, 'base64url');
    const shared = diffieHellman({ privateKey: privateKey(keys.sealingPrivate), publicKey: x25519FromSpki(epk) });
    const key = keyFor(shared, epk, Buffer.from(keys.sealingPublic, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
    decipher.setAAD(Buffer.from(`job:${jobId}`));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** What the agent signs to answer the portal's challenge (bound to the agent id and the portal's URL). */
export function challengeText(nonce: string, agentId: string, portalUrl: string): Buffer {
  return Buffer.from(`openssspr-agent-auth:v1\n${portalUrl}\n${agentId}\n${nonce}`);
}

export function signChallenge(keys: Pick<AgentKeys, 'signingPrivate'>, text: Buffer): string {
  return sign(null, text, privateKey(keys.signingPrivate)).toString('base64url');
}

export function verifyChallenge(signingPublic: string, text: Buffer, signature: unknown): boolean {
  if (typeof signature !== 'string' || signature.length > 200) return false;
  try {
    return verify(null, text, publicKey(signingPublic), Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
