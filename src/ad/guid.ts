/**
 * objectGUID, the anchor by which a user is found (never a DN or a name from a request).
 *
 * AD stores it as 16 bytes in Microsoft's GUID layout: the first three fields little-endian,
 * the last eight bytes in order. The string form everyone shows (`8d50d298-1613-45f8-…`) is
 * that struct printed field by field, so converting is not a plain hex dump.
 */

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The canonical lower-case string when `input` is a GUID string and nothing else; null otherwise. */
export function parseGuid(input: unknown): string | null {
  if (typeof input !== 'string' || input.length !== 36 || !GUID_PATTERN.test(input)) return null;
  return input.toLowerCase();
}

/** The 16 bytes AD stores for a GUID string (throws on anything that is not one). */
export function guidToBytes(guid: string): Buffer {
  const canonical = parseGuid(guid);
  if (canonical === null) throw new TypeError('not a GUID');
  const hex = canonical.replaceAll('-', '');
  const b = Buffer.from(hex, 'hex');
  // Data1 (4 bytes), Data2 and Data3 (2 bytes each) are little-endian in the binary form.
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

/** The GUID string of AD's 16 objectGUID bytes. */
export function guidFromBytes(bytes: Buffer): string {
  if (bytes.length !== 16) throw new TypeError(`an objectGUID has 16 bytes, not ${bytes.length}`);
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/**
 * The GUID as an RFC 4515 filter value (`\98\d2\50…`, every byte escaped), for the rare place a
 * filter must be a string. The connector itself sends the bytes in an EqualityFilter, which
 * is encoded in BER and never parsed as text.
 */
export function guidFilterValue(guid: string): string {
  return [...guidToBytes(guid)].map((byte) => `\\${byte.toString(16).padStart(2, '0')}`).join('');
}
