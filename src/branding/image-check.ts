import { fail, ok, type Result } from '../shared/result.js';

/** What an uploaded logo may be: its real header decides, never the file name or the browser's type. */
export const LOGO_MAX_BYTES = 256 * 1024;
export const LOGO_MAX_PIXELS = 1024;

export type LogoKind = 'png' | 'jpg' | 'webp' | 'svg';
export const logoContentTypes: Record<LogoKind, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp', svg: 'image/svg+xml' };

export interface CheckedImage {
  kind: LogoKind;
  contentType: string;
  /** Null for an SVG without width and height (it scales). */
  width: number | null;
  height: number | null;
}

export type ImageRefusal = 'empty' | 'tooLarge' | 'notImage' | 'tooManyPixels' | 'svgActive';
export type ImageCheck = Result<CheckedImage, ImageRefusal>;

function ascii(b: Uint8Array, from: number, length: number): string {
  return String.fromCharCode(...b.subarray(from, from + length));
}

function png(b: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 33 || !sig.every((v, i) => b[i] === v) || ascii(b, 12, 4) !== 'IHDR') return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

function jpeg(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = v.getUint16(i + 2);
    // SOF0…SOF15 carry the size; C4 (huffman), C8 and CC (arithmetic) are not frames.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { height: v.getUint16(i + 5), width: v.getUint16(i + 7) };
    if (marker === 0xd9 || marker === 0xda) return null;
    i += 2 + length;
  }
  return null;
}

function webp(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < 30 || ascii(b, 0, 4) !== 'RIFF' || ascii(b, 8, 4) !== 'WEBP') return null;
  const chunk = ascii(b, 12, 4);
  const u24 = (i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
  if (chunk === 'VP8X') return { width: u24(24) + 1, height: u24(27) + 1 };
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const [b0, b1, b2, b3] = [b[21]!, b[22]!, b[23]!, b[24]!];
    return { width: 1 + (b0 | ((b1 & 0x3f) << 8)), height: 1 + ((b1 >> 6) | (b2 << 2) | ((b3 & 0x0f) << 10)) };
  }
  if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) return { width: (b[26]! | (b[27]! << 8)) & 0x3fff, height: (b[28]! | (b[29]! << 8)) & 0x3fff };
  return null;
}

/**
 * Anything in an SVG that could run or load something: scripts, event handlers, embedded HTML,
 * entities (billion laughs, external entities), links and references to anything but the
 * document itself, style imports. The logo is also served with a CSP that blocks scripts and
 * only ever shown through <img>, so this is the first of two walls, not the only one.
 */
const SVG_ACTIVE = [/<script/i, /\son[a-z]+\s*=/i, /<foreignObject/i, /<!ENTITY/i, /<!DOCTYPE/i, /javascript:/i, /@import/i, /<iframe|<embed|<object/i, /(?:href|src)\s*=\s*["']\s*(?!#)/i, /url\(\s*["']?\s*(?!#)/i];

function svgLength(tag: string, name: string): number | null {
  const m = new RegExp(`\\s${name}\\s*=\\s*["']\\s*([0-9.]+)\\s*(px)?\\s*["']`, 'i').exec(tag);
  return m ? Math.ceil(Number(m[1])) : null;
}

function svg(b: Uint8Array): { text: string; width: number | null; height: number | null } | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return null;
  }
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (!/^(<\?xml|<!--|<!DOCTYPE|<svg[\s>])/i.test(start) || !/<svg[\s>]/i.test(start)) return null;
  const tag = /<svg[^>]*>/i.exec(start)?.[0] ?? '';
  return { text, width: svgLength(tag, 'width'), height: svgLength(tag, 'height') };
}

/** Checks an uploaded logo by its bytes: a PNG, JPEG, WebP or inert SVG of at most 256 KiB and 1024×1024 px. */
export function checkLogo(bytes: Uint8Array): ImageCheck {
  if (bytes.length === 0) return fail('empty');
  if (bytes.length > LOGO_MAX_BYTES) return fail('tooLarge');
  const sized = (kind: LogoKind, size: { width: number | null; height: number | null }): ImageCheck => {
    if ((size.width ?? 0) > LOGO_MAX_PIXELS || (size.height ?? 0) > LOGO_MAX_PIXELS) return fail('tooManyPixels');
    if (size.width === 0 || size.height === 0) return fail('notImage');
    return ok({ kind, contentType: logoContentTypes[kind], width: size.width, height: size.height });
  };
  const raster = [['png', png(bytes)], ['jpg', jpeg(bytes)], ['webp', webp(bytes)]] as const;
  for (const [kind, size] of raster) if (size) return sized(kind, size);
  const vector = svg(bytes);
  if (!vector) return fail('notImage');
  if (SVG_ACTIVE.some((re) => re.test(vector.text))) return fail('svgActive');
  return sized('svg', vector);
}
