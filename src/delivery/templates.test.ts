import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { renderEmail } from './templates.js';

const branding = (b: Record<string, unknown> = {}) => configSchema.parse({ branding: b }).branding;

/** Every address the HTML would make a mail client fetch or open. */
function references(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href|background|action|poster)\s*=\s*"([^"]*)"/gi), ...html.matchAll(/url\(([^)]*)\)/gi)].map((m) => m[1]!);
}

describe('email templates', () => {
  it('escapes every interpolated value in the HTML', () => {
    const mail = renderEmail(branding({ productName: 'Acme <SSPR>', organisationName: 'Acme & Sons', helpdesk: '"Desk" <desk@acme.test>' }), {
      title: 'Hi <b>there</b>',
      paragraphs: ['<script>alert(1)</script>', 'Tom & Jerry\'s "quote"'],
      code: '<img src=x onerror=alert(1)>',
      action: { label: '<i>Go</i>', url: 'https://portal.acme.test/reset?a=1&b="2"' },
    });
    expect(mail.html).not.toMatch(/<script|<b>|<i>|<img src=x|<SSPR>/);
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('Tom &amp; Jerry&#39;s &quot;quote&quot;');
    expect(mail.html).toContain('Hi &lt;b&gt;there&lt;/b&gt;');
    expect(mail.html).toContain('Acme &lt;SSPR&gt;');
    expect(mail.html).toContain('href="https://portal.acme.test/reset?a=1&amp;b=%222%22"');
    expect(mail.html).toContain('&quot;Desk&quot; &lt;desk@acme.test&gt;');
    // the plain-text part is plain: nothing escaped there
    expect(mail.text).toContain('<script>alert(1)</script>');
  });

  it('loads nothing from elsewhere except the configured logo: no tracking, no remote fonts or images', () => {
    const content = { title: 'Your code', paragraphs: ['Hello.'], code: '12345678', action: { label: 'Open', url: 'https://portal.example.test/x' } };
    const plain = renderEmail(branding(), content);
    expect(references(plain.html)).toEqual(['https://portal.example.test/x']);
    expect(plain.html).not.toMatch(/<img|<link|@import|<script|<iframe/i);

    const logo = renderEmail(branding({ logoUrl: 'https://cdn.example.test/logo.png' }), content);
    expect(references(logo.html).sort()).toEqual(['https://cdn.example.test/logo.png', 'https://portal.example.test/x']);
    // The logo is the organisation's: its name is the alternative text.
    expect(logo.html).toContain('<img src="https://cdn.example.test/logo.png" alt="Example Organisation"');
  });

  it('has a plain-text part with the code, the action address and the footer; the subject names the product, never the code', () => {
    const mail = renderEmail(branding({ productName: 'Acme Reset', organisationName: 'Acme', helpdesk: 'x1234' }), {
      title: 'Your verification code',
      paragraphs: ['Use this code to verify it is you.', 'It is valid for 5 minutes.'],
      code: '48213907',
      action: { label: 'Open the portal', url: 'https://reset.acme.test/' },
    });
    expect(mail.subject).toBe('Your verification code · Acme Reset');
    expect(mail.subject).not.toContain('48213907');
    expect(mail.text).toBe(
      [
        'Your verification code',
        '',
        'Use this code to verify it is you.',
        '',
        'It is valid for 5 minutes.',
        '',
        'Your code: 48213907',
        '',
        'Open the portal:',
        'https://reset.acme.test/',
        '',
        '-- ',
        'Sent automatically by Acme Reset, the self-service password portal of Acme. Replies to this address are not read.',
        'Need help? Contact x1234.',
        '',
      ].join('\n'),
    );
    // the code is shown large in the HTML
    expect(mail.html).toMatch(/font-size:32px[^>]*>48213907</);
  });

  it('uses the primary colour from the configuration', () => {
    const mail = renderEmail(branding({ primaryColour: '#aa3300' }), { title: 'T', paragraphs: [], action: { label: 'Go', url: 'https://x.test/' } });
    expect(mail.html).toContain('border-top:4px solid #aa3300');
    expect(mail.html).toContain('background:#aa3300');
    expect(mail.html).not.toContain('#0b5cad');
  });

  it('keeps the subject on one line and refuses an action that is not an http(s) address', () => {
    expect(renderEmail(branding(), { title: 'Hello\r\nBcc: victim@example.com', paragraphs: [] }).subject).toBe('Hello Bcc: victim@example.com · OpenSSPR');
    expect(() => renderEmail(branding(), { title: 'T', paragraphs: [], action: { label: 'x', url: 'javascript:alert(1)' } })).toThrow(/http/);
    expect(() => renderEmail(branding(), { title: 'T', paragraphs: [], action: { label: 'x', url: '/relative' } })).toThrow(/http/);
  });

  it('a "this wasn\'t me" block comes after the main button, with its link escaped in the HTML and written out in the text', () => {
    const mail = renderEmail(branding(), {
      title: 'Your password was changed',
      paragraphs: ['The password of alice was just changed.'],
      action: { label: 'Sign in', url: 'https://portal.acme.test/sign-in' },
      report: { lead: 'Was this not you? <Report> it.', label: 'This was not me', url: 'https://portal.acme.test/not-me?token=abc_DEF-123&x="1"' },
    });
    expect(mail.text).toContain('Was this not you? <Report> it.\n\nThis was not me:\nhttps://portal.acme.test/not-me?token=abc_DEF-123&x=%221%22\n');
    expect(mail.text.indexOf('Sign in:')).toBeLessThan(mail.text.indexOf('This was not me:'));
    expect(mail.html).toContain('Was this not you? &lt;Report&gt; it.');
    expect(mail.html).toContain('href="https://portal.acme.test/not-me?token=abc_DEF-123&amp;x=%221%22"');
    expect(mail.html.indexOf('Sign in')).toBeLessThan(mail.html.indexOf('This was not me'));
    expect(() => renderEmail(branding(), { title: 't', paragraphs: [], report: { lead: 'l', label: 'x', url: 'javascript:alert(1)' } })).toThrow(/absolute http/);
  });
});
