import { Filter } from 'ldapts';

/**
 * Escaping for the two LDAP string syntaxes. The connector builds filters from ldapts Filter
 * objects (encoded in BER, so a value is never parsed as filter text) and takes every DN from
 * AD's own answers; these are for the places a string must be built, and they are what a
 * reviewer should find whenever a value meets a filter or a DN.
 */

/**
 * RFC 4515 filter value: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`;
 * a Buffer is escaped byte by byte. ldapts's own implementation (Filter.escape) does exactly this.
 */
export function escapeFilterValue(value: string | Buffer): string {
  return Filter.escape(value);
}

const DN_SPECIAL = new Set(['"', '+', ',', ';', '<', '>', '\\', '=']);

/**
 * RFC 4514 attribute value of an RDN. ldapts's RDN escaping is not used: it wraps values with a
 * leading or trailing space in quotes (RFC 2253 only, rejected by RFC 4514 parsers) and leaves
 * NUL and control characters as they are.
 *
 * Escaped: `"` `+` `,` `;` `<` `>` `\` `=` anywhere (as `\c`), a leading `#` or space, a
 * trailing space, and NUL / control characters as `\hh`.
 */
export function escapeDnValue(value: string): string {
  const chars = [...value];
  return chars
    .map((c, i) => {
      const code = c.codePointAt(0)!;
      if (code < 0x20 || code === 0x7f) return `\\${code.toString(16).padStart(2, '0')}`;
      if (DN_SPECIAL.has(c)) return `\\${c}`;
      if (i === 0 && (c === '#' || c === ' ')) return `\\${c}`;
      if (i === chars.length - 1 && c === ' ') return '\\ ';
      return c;
    })
    .join('');
}

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/** One RDN, `attribute=escaped value`; the attribute must be a plain descriptor (`CN`, `OU`). */
export function rdn(attribute: string, value: string): string {
  if (!ATTRIBUTE_NAME.test(attribute)) throw new TypeError(`not an attribute name: ${JSON.stringify(attribute)}`);
  return `${attribute}=${escapeDnValue(value)}`;
}
