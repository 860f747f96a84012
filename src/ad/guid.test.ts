import { describe, expect, it } from 'vitest';
import { guidFilterValue, guidFromBytes, guidToBytes, parseGuid } from './guid.js';

// Bytes of an objectGUID as a Samba DC returned them, and the string samba-tool shows for it.
const bytes = Buffer.from('98d2508d1316f845883004aeb71c74a4', 'hex');
const text = '8d50d298-1613-45f8-8830-04aeb71c74a4';

describe('objectGUID', () => {
  it('reads AD\'s mixed-endian bytes as the usual string', () => {
    expect(guidFromBytes(bytes)).toBe(text);
  });

  it('writes the string back to the same bytes', () => {
    expect(guidToBytes(text).equals(bytes)).toBe(true);
    expect(guidToBytes(text.toUpperCase()).equals(bytes)).toBe(true);
  });

  it('round-trips random GUIDs', () => {
    for (let i = 0; i < 50; i++) {
      const g = crypto.randomUUID();
      expect(guidFromBytes(guidToBytes(g))).toBe(g);
    }
  });

  it('gives the filter form with every byte escaped', () => {
    expect(guidFilterValue(text)).toBe('\\98\\d2\\50\\8d\\13\\16\\f8\\45\\88\\30\\04\\ae\\b7\\1c\\74\\a4');
  });

  it('accepts only the canonical 36-character form, in lower case', () => {
    expect(parseGuid(text.toUpperCase())).toBe(text);
    for (const bad of [
      '',
      '*',
      `${text}*`,
      `${text.slice(0, 35)}*`,
      `(${text.slice(1)}`,
      `${text.slice(0, 35)})`,
      `${text.slice(0, 35)}\\`,
      `${text.slice(0, 35)}\0`,
      `{${text}}`,
      text.replaceAll('-', ''),
      `${text} `,
      '8d50d298-1613-45f8-8830-04aeb71c74a4)(objectClass=*',
      null,
      42,
      { guid: text },
    ]) {
      expect(parseGuid(bad)).toBeNull();
    }
    expect(() => guidToBytes('*)(uid=*')).toThrow(TypeError);
  });

  it('refuses objectGUID values that are not 16 bytes', () => {
    expect(() => guidFromBytes(Buffer.alloc(15))).toThrow(TypeError);
  });
});
