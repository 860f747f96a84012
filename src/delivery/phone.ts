import type { Config } from '../config/schema.js';
import { SendFailure } from './attempt.js';

type PhoneConfig = Config['delivery']['phone'];

export interface PhoneSender {
  readonly provider: 'twilio' | 'webhook';
  /** `idempotencyKey` is the same for every try of one message, so a provider can drop a repeat after a timeout. */
  sms(to: string, text: string, kind: string, idempotencyKey: string): Promise<void>;
  /** `language`: a code of src/i18n/languages.ts, spoken in the provider's voice for it. */
  voice(to: string, say: string, kind: string, idempotencyKey: string, language: string): Promise<void>;
}

/** Twilio's `<Say language>` for each language the portal speaks (its standard and Polly voices). */
const SPOKEN: Record<string, string> = { en: 'en-US', de: 'de-DE', fr: 'fr-FR', es: 'es-ES', nl: 'nl-NL', 'pt-BR': 'pt-BR', ja: 'ja-JP', ar: 'arb' };

export function spokenLanguage(language: string): string {
  return SPOKEN[language] ?? 'en-US';
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]!);
}

/** The call's script: the text read twice, in the recipient's language, with a pause between, so the listener can catch what they missed. */
export function twiml(say: string, language = 'en'): string {
  const s = escapeXml(say);
  const say1 = `<Say language="${spokenLanguage(language)}">${s}</Say>`;
  return `<Response>${say1}<Pause length="1"/>${say1}</Response>`;
}

/** SMS and voice over a Twilio-compatible REST API or a JSON webhook. */
export function phoneSender(config: PhoneConfig, fetchFn: typeof fetch): PhoneSender | null {
  if (config.provider === 'twilio' && config.twilio) {
    const tw = config.twilio;
    const base = `${tw.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(tw.accountSid)}`;
    const auth = `Basic ${Buffer.from(`${tw.accountSid}:${tw.authToken}`, 'utf8').toString('base64')}`;
    const post = (path: string, form: Record<string, string>, idempotencyKey: string) =>
      send(fetchFn, `${base}/${path}`, config.timeoutMs, {
        authorization: auth,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'i-twilio-idempotency-token': idempotencyKey,
      }, new URLSearchParams(form).toString());
    return {
      provider: 'twilio',
      sms: (to, text, _kind, key) => post('Messages.json', { To: to, From: tw.from, Body: text }, key),
      voice: (to, say, _kind, key, language) => post('Calls.json', { To: to, From: tw.from, Twiml: twiml(say, language) }, key),
    };
  }
  if (config.provider === 'webhook' && config.webhook) {
    const hook = config.webhook;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (hook.token) headers['authorization'] = `Bearer ${hook.token}`;
    return {
      provider: 'webhook',
      sms: (to, text, kind, key) => send(fetchFn, hook.url, config.timeoutMs, { ...headers, 'idempotency-key': key }, JSON.stringify({ channel: 'sms', to, text, kind })),
      voice: (to, say, kind, key, language) => send(fetchFn, hook.url, config.timeoutMs, { ...headers, 'idempotency-key': key }, JSON.stringify({ channel: 'voice', to, say, kind, language })),
    };
  }
  return null;
}

async function send(fetchFn: typeof fetch, url: string, timeoutMs: number, headers: Record<string, string>, body: string): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    // Redirects are not followed: credentials go to the configured address only.
    res = await fetchFn(url, { method: 'POST', headers: { 'user-agent': 'OpenSSPR', ...headers }, body, signal, redirect: 'manual' });
  } catch (err) {
    throw networkFailure(err, timeoutMs);
  }
  let text = '';
  try {
    text = await res.text();
  } catch (err) {
    if (res.ok) return; // accepted; only the answer's body was lost
    throw networkFailure(err, timeoutMs);
  }
  if (res.status >= 200 && res.status < 300) return;
  const transient = res.status >= 500 || res.status === 429 || res.status === 408;
  throw new SendFailure(`HTTP ${res.status}${providerCode(text)}`, transient);
}

function networkFailure(err: unknown, timeoutMs: number): SendFailure {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new SendFailure(`timed out after ${timeoutMs} ms`, true);
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new SendFailure(`network error: ${cause}`, true);
}

/** Twilio answers errors as JSON with a numeric `code` (21211: invalid To number); that much helps an administrator. */
function providerCode(body: string): string {
  try {
    const parsed = JSON.parse(body) as { code?: unknown };
    if (typeof parsed.code === 'number' && Number.isInteger(parsed.code)) return ` (provider code ${parsed.code})`;
  } catch {
    // not JSON: say nothing about it; provider texts may echo the number or message
  }
  return '';
}
