/**
 * Security identifiers (objectSid): AD's binary form ↔ the `S-1-5-21-…` string. Needed to
 * recognise the protected groups, which are known by SID (their names can be localised or renamed).
 */

/** `S-R-A-S1-S2…` of a binary SID: revision, sub-authority count, 48-bit big-endian authority, 32-bit little-endian sub-authorities. */
export function sidFromBytes(bytes: Buffer): string {
  if (bytes.length < 8) throw new TypeError('a SID has at least 8 bytes');
  const revision = bytes.readUInt8(0);
  const count = bytes.readUInt8(1);
  if (bytes.length !== 8 + 4 * count) throw new TypeError('SID length does not match its sub-authority count');
  const authority = bytes.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(bytes.readUInt32LE(8 + 4 * i));
  return ['S', revision, authority, ...subs].join('-');
}

const SID_PATTERN = /^S-1-\d{1,15}(-\d{1,10}){0,15}$/;

/** The binary form of a SID string (throws on anything that is not one). */
export function sidToBytes(sid: string): Buffer {
  if (!SID_PATTERN.test(sid)) throw new TypeError('not a SID');
  const [, revision, authority, ...subs] = sid.split('-');
  const b = Buffer.alloc(8 + 4 * subs.length);
  b.writeUInt8(Number(revision), 0);
  b.writeUInt8(subs.length, 1);
  b.writeUIntBE(Number(authority), 2, 6);
  subs.forEach((s, i) => {
    const n = Number(s);
    if (n > 0xffffffff) throw new TypeError('SID sub-authority out of range');
    b.writeUInt32LE(n, 8 + 4 * i);
  });
  return b;
}
