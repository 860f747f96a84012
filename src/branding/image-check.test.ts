import { describe, expect, it } from 'vitest';
import { checkLogo, LOGO_MAX_BYTES } from './image-check.js';
import { solidPng } from '../../test/helpers/images.js';

function jpegHeader(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

function webpVp8x(width: number, height: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(22, 4);
  b.write('WEBP', 8, 'ascii');
  b.write('VP8X', 12, 'ascii');
  b.writeUInt32LE(10, 16);
  b.writeUIntLE(width - 1, 24, 3);
  b.writeUIntLE(height - 1, 27, 3);
  return b;
}

describe('logo check (real image headers, never the name or the declared type)', () => {
  it('accepts a PNG, JPEG and WebP within 1024×1024 and reads their size from the header', () => {
    expect(checkLogo(solidPng(120, 40))).toEqual({ ok: true, value: { kind: 'png', contentType: 'image/png', width: 120, height: 40 } });
    expect(checkLogo(jpegHeader(300, 100))).toMatchObject({ ok: true, value: { kind: 'jpg', width: 300, height: 100 } });
    expect(checkLogo(webpVp8x(512, 512))).toMatchObject({ ok: true, value: { kind: 'webp', width: 512, height: 512 } });
  });

  it('refuses images larger than 1024 px on a side, and files over 256 KiB', () => {
    expect(checkLogo(solidPng(1025, 10))).toEqual({ ok: false, reason: 'tooManyPixels' });
    expect(checkLogo(jpegHeader(200, 4000))).toEqual({ ok: false, reason: 'tooManyPixels' });
    expect(checkLogo(webpVp8x(2048, 16))).toEqual({ ok: false, reason: 'tooManyPixels' });
    const big = Buffer.concat([solidPng(10, 10), Buffer.alloc(LOGO_MAX_BYTES)]);
    expect(checkLogo(big)).toEqual({ ok: false, reason: 'tooLarge' });
  });

  it('refuses what is not an image, whatever it is called: text, HTML, a GIF, an empty file, a truncated PNG', () => {
    expect(checkLogo(Buffer.from('hello'))).toEqual({ ok: false, reason: 'notImage' });
    expect(checkLogo(Buffer.from('<html><body>hi</body></html>'))).toEqual({ ok: false, reason: 'notImage' });
    expect(checkLogo(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toEqual({ ok: false, reason: 'notImage' });
    expect(checkLogo(Buffer.alloc(0))).toEqual({ ok: false, reason: 'empty' });
    expect(checkLogo(solidPng(10, 10).subarray(0, 20))).toEqual({ ok: false, reason: 'notImage' });
  });

  it('accepts an inert SVG and refuses one that could run or load anything', () => {
    const plain = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" fill="#0b5cad"/><use href="#a"/></svg>';
    expect(checkLogo(Buffer.from(plain))).toMatchObject({ ok: true, value: { kind: 'svg', contentType: 'image/svg+xml', width: 64, height: 64 } });
    const active = [
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div>x</div></foreignObject></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/p.png"/></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x.example/a.css);</style></svg>',
      '<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    ];
    for (const s of active) expect(checkLogo(Buffer.from(s)), s).toEqual({ ok: false, reason: 'svgActive' });
    expect(checkLogo(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="10"></svg>'))).toEqual({ ok: false, reason: 'tooManyPixels' });
  });
});
