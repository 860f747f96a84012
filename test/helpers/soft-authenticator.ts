import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

type CBOR = Parameters<typeof isoCBOR.encode>[0];

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const b64 = (data: Uint8Array) => isoBase64URL.fromBuffer(new Uint8Array(data));

export interface Tamper {
  /** Answer this challenge instead of the one in the options. */
  challenge?: string;
  origin?: string;
  rpId?: string;
  /** Report this signature counter (assertions); without it the counter goes up by one. */
  counter?: number;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
}

/**
 * A software WebAuthn authenticator for server-side tests: a real P-256 key, real CBOR, real
 * signatures (ES256, "none" attestation), so @simplewebauthn/server verifies its answers exactly
 * as it verifies a browser's. The browser tests use Chromium's virtual authenticator instead.
 */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  counter = 0;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(
    readonly rpId: string,
    readonly origin: string,
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** The credential id as the server stores it (base64url). */
  get id(): string {
    return b64(this.credentialId);
  }

  private coseKey(): Uint8Array {
    const jwk = this.publicKey.export({ format: 'jwk' });
    const key = new Map<number, CBOR>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
    ]);
    return isoCBOR.encode(key);
  }

  private authenticatorData(rpId: string, counter: number, attested: boolean): Buffer {
    const flags = 0x01 /* UP */ | 0x04 /* UV */ | (attested ? 0x40 /* AT */ : 0);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    const parts: Uint8Array[] = [sha256(rpId), Buffer.from([flags]), count];
    if (attested) {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(this.credentialId.length);
      parts.push(Buffer.alloc(16), length, this.credentialId, this.coseKey());
    }
    return Buffer.concat(parts);
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  /** Answers navigator.credentials.create() options. */
  register(options: { challenge: string }, tamper: Tamper = {}): RegistrationResponseJSON {
    const clientDataJSON = this.clientData('webauthn.create', tamper.challenge ?? options.challenge, tamper.origin ?? this.origin);
    const authData = this.authenticatorData(tamper.rpId ?? this.rpId, this.counter, true);
    const attestationObject = isoCBOR.encode(
      new Map<string, CBOR>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, CBOR>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64(clientDataJSON), attestationObject: b64(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
    };
  }

  /** Answers navigator.credentials.get() options. */
  assert(options: { challenge: string }, tamper: Tamper = {}): AuthenticationResponseJSON {
    if (tamper.counter === undefined) this.counter += 1;
    const counter = tamper.counter ?? this.counter;
    const authData = this.authenticatorData(tamper.rpId ?? this.rpId, counter, false);
    const clientDataJSON = this.clientData('webauthn.get', tamper.challenge ?? options.challenge, tamper.origin ?? this.origin);
    const signature = createSign('sha256').update(Buffer.concat([authData, sha256(clientDataJSON)])).sign(this.privateKey);
    if (tamper.badSignature) signature.writeUInt8(signature.readUInt8(signature.length - 1) ^ 0x01, signature.length - 1);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64(clientDataJSON), authenticatorData: b64(authData), signature: b64(signature) },
      clientExtensionResults: {},
    };
  }
}
