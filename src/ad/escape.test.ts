import { describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue, rdn } from './escape.js';
import { sidFromBytes, sidToBytes } from './sid.js';

describe('RFC 4515 filter values', () => {
  it('escapes the filter metacharacters and NUL', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
    expect(escapeFilterValue('*)(objectClass=*')).toBe('\\2a\\29\\28objectClass=\\2a');
  });

  it('leaves other characters, Unicode included, as they are', () => {
    expect(escapeFilterValue('Zoë O\'Brien, Jr.')).toBe('Zoë O\'Brien, Jr.');
  });

  it('escapes binary values byte by byte', () => {
    expect(escapeFilterValue(Buffer.from([0x00, 0x2a, 0xff]))).toBe('\\00\\2a\\ff');
  });
});

describe('RFC 4514 DN values', () => {
  it('escapes the special characters anywhere', () => {
    expect(escapeDnValue('Smith, John')).toBe('Smith\\, John');
    expect(escapeDnValue('a+b;c<d>e"f\\g=h')).toBe('a\\+b\\;c\\<d\\>e\\"f\\\\g\\=h');
  });

  it('escapes a leading # or space and a trailing space, not inner ones', () => {
    expect(escapeDnValue('#admins')).toBe('\\#admins');
    expect(escapeDnValue(' lead')).toBe('\\ lead');
    expect(escapeDnValue('trail ')).toBe('trail\\ ');
    expect(escapeDnValue('in # side')).toBe('in # side');
  });

  it('writes NUL and control characters as hex', () => {
    expect(escapeDnValue('a\0b\nc')).toBe('a\\00b\\0ac');
  });

  it('builds an RDN only with a plain attribute name', () => {
    expect(rdn('CN', 'Smith, John')).toBe('CN=Smith\\, John');
    expect(() => rdn('CN=x,OU', 'y')).toThrow(TypeError);
  });
});

describe('SIDs', () => {
  it('round-trips the binary form', () => {
    for (const sid of ['S-1-5-32-544', 'S-1-5-21-2328889154-2846861658-3874088482-512', 'S-1-1-0']) {
      expect(sidFromBytes(sidToBytes(sid))).toBe(sid);
    }
  });

  it('reads a known binary SID (BUILTIN\\Administrators)', () => {
    expect(sidFromBytes(Buffer.from('01020000000000052000000020020000', 'hex'))).toBe('S-1-5-32-544');
  });

  it('refuses anything else', () => {
    expect(() => sidToBytes('S-1-5-*')).toThrow(TypeError);
  });
});
