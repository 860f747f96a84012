import { describe, expect, it } from 'vitest';
import { AA_NORMAL_TEXT, contrastRatio, formatRatio, luminance, suggestColour } from './contrast.js';

describe('contrast (WCAG 2.x)', () => {
  it('black on white is 21:1 and a colour against itself 1:1', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#0b5cad', '#0b5cad')).toBeCloseTo(1, 5);
  });

  it('matches published values: #767676 on white is 4.54:1 (the lightest grey that passes AA), #777777 fails', () => {
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
    expect(contrastRatio('#777777', '#ffffff')).toBeLessThan(AA_NORMAL_TEXT);
    expect(luminance('#ffffff')).toBeCloseTo(1, 5);
  });

  it('rounds the shown ratio down, so a failing 4.49 never reads as 4.5', () => {
    expect(formatRatio(4.499)).toBe('4.4');
    expect(formatRatio(21)).toBe('21.0');
  });

  it('suggests a darker colour for white text on a pale brand colour, and it passes', () => {
    const s = suggestColour('#7fb2e5', '#ffffff');
    expect(s.direction).toBe('darker');
    expect(contrastRatio(s.colour, '#ffffff')).toBeGreaterThanOrEqual(AA_NORMAL_TEXT);
    // The nearest one: one step lighter would fail again.
    expect(contrastRatio(s.colour, '#ffffff')).toBeLessThan(5.2);
  });

  it('suggests a lighter colour against a dark one', () => {
    const s = suggestColour('#333333', '#1b1f24');
    expect(s.direction).toBe('lighter');
    expect(contrastRatio(s.colour, '#1b1f24')).toBeGreaterThanOrEqual(AA_NORMAL_TEXT);
  });
});
