import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { solidPng } from '../../test/helpers/images.js';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { EXIT } from './context.js';

/** `sspr brand show|set|logo|history` in-process over a real SQLite file: the same BrandService and checks as the console and the API. */

const sb = useCliSandbox('sspr-brand-cli-');

describe('sspr brand', () => {
  it('set changes the fields given in one new version, logo sets and removes the logo, history lists each version, show prints it', async () => {
    expect(await sb.ok(['brand', 'show'])).toContain('# brand: version 0 (the configuration file)');
    const out = await sb.ok(['brand', 'set', 'organisationName=Contoso Ltd', 'primaryColour=#1d4f91', 'helpdesk=help@contoso.example', 'footerLink=Privacy|https://contoso.example/privacy']);
    expect(out).toBe('brand: saved as version 1.\n');
    const file = join(sb.dir, 'logo.png');
    writeFileSync(file, solidPng(48, 48));
    expect(await sb.ok(['brand', 'logo', file])).toBe('brand: saved as version 2.\n');
    const shown = await sb.ok(['brand', 'show']);
    expect(shown).toMatch(/^organisationName = Contoso Ltd$/m);
    expect(shown).toMatch(/^footerLinks\.0 = Privacy <https:\/\/contoso\.example\/privacy>$/m);
    expect(shown).toMatch(/^logo = \/brand\/logo\/[0-9a-f]{64}\.png$/m);
    expect(await sb.ok(['brand', 'set', 'organisationName=Contoso Ltd'])).toBe('brand: nothing changed (already so).\n');
    expect(await sb.ok(['brand', 'logo', 'none'])).toBe('brand: saved as version 3.\n');
    const history = (await sb.ok(['brand', 'history'])).split('\n');
    expect(history[0]).toMatch(/^3\t\d{4}-[^\t]+\tcli\tContoso Ltd$/);
    expect(history).toHaveLength(5);
    const json = JSON.parse(await sb.ok(['brand', 'show', '--json']));
    expect(json).toMatchObject({ version: 3, changedBy: 'cli', brand: { organisationName: 'Contoso Ltd', logo: null, helpdesk: 'help@contoso.example' } });
    await sb.withPortal(async (p) => expect((await p.brand.refresh()).brand.primaryColour).toBe('#1d4f91'));
  });

  it('refuses in words and changes nothing: a pale colour (with one that passes), an unknown field, a file that is not an image, a stale version', async () => {
    const pale = await sb.run(['brand', 'set', 'primaryColour=#9ec5fe']);
    expect(pale.code).toBe(EXIT.usage);
    expect(pale.stderr).toMatch(/^error: primaryColour: The contrast of #9ec5fe with white text is [\d.]+ to 1; at least 4\.5 to 1 is needed\. Try a darker colour, for example #[0-9a-f]{6}\.\n$/);
    const field = await sb.run(['brand', 'set', 'colour=red']);
    expect(field.code).toBe(EXIT.usage);
    expect(field.stderr).toContain('colour=red: expected field=value');
    const text = join(sb.dir, 'logo.png');
    writeFileSync(text, 'not an image');
    const notImage = await sb.run(['brand', 'logo', text]);
    expect(notImage.code).toBe(EXIT.usage);
    expect(notImage.stderr).toContain('The file is not a PNG, JPEG, WebP or SVG image.');
    const missing = await sb.run(['brand', 'logo', join(sb.dir, 'nothing.png')]);
    expect(missing.stderr).toContain('cannot be read (ENOENT)');
    expect(await sb.ok(['brand', 'set', 'organisationName=Fabrikam'])).toBe('brand: saved as version 1.\n');
    const stale = await sb.run(['brand', 'set', 'organisationName=Northwind', '--expected-version', '0']);
    expect(stale.code).toBe(EXIT.refused);
    expect(stale.stderr).toContain('saved by someone else');
    await sb.withPortal(async (p) => expect((await p.brand.refresh()).brand.organisationName).toBe('Fabrikam'));
  });
});
