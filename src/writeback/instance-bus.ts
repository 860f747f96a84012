import { z } from 'zod';
import type { StoreEvents } from '../store/events.js';
import { jobSchema, parseMessage, verdictSchema, type Job } from '../agent-protocol/index.js';
import type { JobEvent } from './agent-connections.js';

/** One channel for the writeback notices between portal instances on one PostgreSQL database. */
const CHANNEL = 'sspr_writeback';

const instanceId = z.string().min(1).max(40);

/**
 * An offer: instance `from` created the job and asks instance `to`, which holds the agent's
 * connection, to send it there. The password in it is sealed for that agent and that job
 * (agent-protocol/sealing.ts): no instance and nothing in PostgreSQL can open it, and it is in
 * no table — a notice lives only until the listeners have read it.
 */
const offerSchema = z.strictObject({ t: z.literal('offer'), to: instanceId, from: instanceId, agentId: z.string().min(1).max(64), job: jobSchema });

/**
 * The answers: `accepted` at once (the agent's connection is here and the job was sent on it),
 * then AD's verdict as the agent sent it, or that the connection went or time ran out first.
 */
const answerSchema = z.strictObject({
  t: z.literal('answer'),
  to: instanceId,
  id: z.string().min(1).max(64),
  event: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('accepted') }),
    z.strictObject({ type: z.literal('result'), verdict: verdictSchema }),
    z.strictObject({ type: z.literal('gone') }),
    z.strictObject({ type: z.literal('timeout') }),
  ]),
});

const noticeSchema = z.discriminatedUnion('t', [offerSchema, answerSchema]);
export type Offer = z.output<typeof offerSchema>;
export type RemoteEvent = JobEvent | { type: 'timeout' };

/** How long an offer waits for `accepted`: an instance that stopped without removing its presence answers nothing. */
const ACCEPT_MS = 2_000;

/**
 * Hands a job to the instance holding an agent and carries the answer back. The job's row in the
 * store stays the truth (claimed by compare-and-swap, expiry checked at the claim): a lost
 * notice costs time — the job expires unapplied, or the waiting side reads the verdict from the
 * row — never a second application.
 */
export class InstanceBus {
  private readonly waiting = new Map<string, (event: RemoteEvent | { type: 'accepted' }) => void>();
  /** Listening once, however many callers start it at the same time (two listeners would deliver every offer twice). */
  private listening: Promise<() => void> | null = null;

  constructor(
    private readonly events: StoreEvents,
    readonly instanceId: string,
    /** Sends an offered job on this instance's connection of the agent (`sent` once it went) and waits for its end. */
    private readonly deliver: (agentId: string, job: Job, sent: () => void) => Promise<RemoteEvent>,
  ) {}

  async start(): Promise<void> {
    this.listening ??= this.events.listen(CHANNEL, (payload) => void this.receive(payload)).catch((err: unknown) => {
      // Not listening after all: the next start tries again.
      this.listening = null;
      throw err;
    });
    await this.listening;
  }

  close(): void {
    void this.listening?.then((stop) => stop()).catch(() => undefined);
    this.listening = null;
    for (const w of this.waiting.values()) w({ type: 'gone' });
    this.waiting.clear();
  }

  /**
   * Offers the job to instance `to` for `agentId` and waits for its answer, at most `waitMs`
   * (the job's expiry plus the grace for AD's answer); `gone` when nobody answers.
   */
  async offer(to: string, agentId: string, job: Job, waitMs: number): Promise<RemoteEvent> {
    await this.start();
    return new Promise((resolve) => {
      const timer = setTimeout(() => done({ type: 'timeout' }), waitMs);
      const notAccepted = setTimeout(() => done({ type: 'gone' }), Math.min(ACCEPT_MS, waitMs));
      const done = (event: RemoteEvent) => {
        clearTimeout(timer);
        clearTimeout(notAccepted);
        this.waiting.delete(job.id);
        resolve(event);
      };
      this.waiting.set(job.id, (event) => (event.type === 'accepted' ? clearTimeout(notAccepted) : done(event)));
      this.events.notify(CHANNEL, JSON.stringify({ t: 'offer', to, from: this.instanceId, agentId, job } satisfies Offer)).catch(() => done({ type: 'gone' }));
    });
  }

  private async receive(payload: string): Promise<void> {
    const notice = parseMessage(noticeSchema, payload);
    if (!notice || notice.to !== this.instanceId) return;
    if (notice.t === 'answer') return this.waiting.get(notice.id)?.(notice.event);
    const answer = (event: z.output<typeof answerSchema>['event']) => this.events.notify(CHANNEL, JSON.stringify({ t: 'answer', to: notice.from, id: notice.job.id, event })).catch(() => undefined);
    const event = await this.deliver(notice.agentId, notice.job, () => void answer({ type: 'accepted' })).catch((): RemoteEvent => ({ type: 'gone' }));
    await answer(event);
  }
}
