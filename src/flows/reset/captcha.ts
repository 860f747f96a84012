import { createChallenge, verifySolution } from 'altcha-lib/v1';
import type { Store } from '../../store/database.js';
import type { Clock } from '../../shared/clock.js';
import { hashToken } from '../../shared/crypto.js';

export interface CaptchaChallenge {
  algorithm: string;
  challenge: string;
  maxnumber?: number;
  salt: string;
  signature: string;
}

const MAX_PAYLOAD = 2048;
const CHALLENGE_MS = 10 * 60_000;

/**
 * The proof-of-work CAPTCHA (ALTCHA): works offline, asks no third party and shows no puzzle.
 * The browser searches for the number that hashes to the challenge; the server checks the
 * answer with altcha-lib (HMAC-signed challenge with an expiry in its salt) and keeps the
 * signature of every solution it accepted until it expires, so one solution buys one request.
 */
export class Captcha {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly hmacKey: string,
    /** The difficulty in force (a stored setting, read for each challenge). */
    private readonly maxNumber: () => number,
  ) {}

  async challenge(): Promise<CaptchaChallenge> {
    // altcha-lib compares the expiry with the wall clock, so the expiry is wall-clock time too.
    return createChallenge({ hmacKey: this.hmacKey, maxNumber: this.maxNumber(), expires: new Date(Date.now() + CHALLENGE_MS), algorithm: 'SHA-256' });
  }

  /** True once per solved, unexpired challenge of ours; anything else (malformed, forged, replayed) is false. */
  async verify(payload: unknown): Promise<boolean> {
    if (typeof payload !== 'string' || payload.length === 0 || payload.length > MAX_PAYLOAD) return false;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
    } catch {
      return false;
    }
    if (typeof decoded !== 'object' || decoded === null) return false;
    const p = decoded as Record<string, unknown>;
    if (typeof p['signature'] !== 'string' || typeof p['salt'] !== 'string' || typeof p['challenge'] !== 'string' || typeof p['number'] !== 'number' || p['algorithm'] !== 'SHA-256') return false;
    let valid = false;
    try {
      valid = await verifySolution(payload, this.hmacKey, true);
    } catch {
      return false;
    }
    if (!valid) return false;
    const now = this.clock.now();
    await this.store.db.deleteFrom('captcha_solutions').where('expires_at', '<', now).execute();
    try {
      await this.store.db
        .insertInto('captcha_solutions')
        .values({ signature_hash: hashToken(p['signature']), expires_at: now + CHALLENGE_MS })
        .execute();
    } catch {
      // Already used: a replayed solution.
      return false;
    }
    return true;
  }
}
