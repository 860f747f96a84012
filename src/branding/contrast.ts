/**
 * WCAG 2.x contrast (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio): the brand's colours are
 * refused below AA for normal text, 4.5:1, and the refusal suggests the nearest colour that
 * passes, so the administrator is not left guessing.
 */
export const AA_NORMAL_TEXT = 4.5;

const HEX = /^#[0-9a-f]{6}$/i;

export function isHexColour(s: string): boolean {
  return HEX.test(s);
}

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function toHex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

/** Relative luminance of an sRGB colour like #0b5cad. */
export function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The ratio as people read it: rounded down to one decimal, so 4.49 never shows as "4.5". */
export function formatRatio(ratio: number): string {
  return (Math.floor(ratio * 10) / 10).toFixed(1);
}

/** Mixes `hex` toward black (darker) or white (lighter) by `amount` (0…1). */
export function mix(hex: string, toward: 'darker' | 'lighter', amount: number): string {
  const target = toward === 'darker' ? 0 : 255;
  return toHex(channels(hex).map((v) => v + (target - v) * amount) as [number, number, number]);
}

/**
 * The colour closest to `colour` (mixed toward black or white) that reaches `min` against
 * `against`; which way is the one that can reach it (darker first when both can).
 */
export function suggestColour(colour: string, against: string, min = AA_NORMAL_TEXT): { colour: string; direction: 'darker' | 'lighter' } {
  const direction: 'darker' | 'lighter' = contrastRatio('#000000', against) >= min && luminance(colour) <= luminance(against) + 0.2 ? 'darker' : contrastRatio('#ffffff', against) >= min ? 'lighter' : 'darker';
  for (let step = 1; step <= 100; step++) {
    const candidate = mix(colour, direction, step / 100);
    if (contrastRatio(candidate, against) >= min) return { colour: candidate, direction };
  }
  return { colour: direction === 'darker' ? '#000000' : '#ffffff', direction };
}
