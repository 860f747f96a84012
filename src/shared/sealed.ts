import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Field encryption at rest (AES-256-GCM): contact details and TOTP secrets are stored as
 * `v1.<iv>.<ciphertext+tag>` so a copied database alone reveals nothing usable. The
 * associated data binds a value to its place (e.g. "method:<id>:email"), so a ciphertext
 * copied into another row or column fails to open instead of being silently accepted.
 */
export interface FieldCipher {
  seal(plaintext: string, associatedData: string): string;
  open(sealed: string, associatedData: string): string;
}

const VERSION = 'v1';

export function createFieldCipher(key: Buffer): FieldCipher {
  if (key.length !== 32) throw new Error('field encryption needs a 32-byte key');
  return {
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, associatedData) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || !ivText || !bodyText) throw new Error('not a sealed value');
      const body = Buffer.from(bodyText, 'base64url');
      if (body.length < 16) throw new Error('sealed value is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    },
  };
}
