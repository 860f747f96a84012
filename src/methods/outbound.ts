import type { SendResult } from '../delivery/delivery.js';

// The refusals are delivery's own catalogue, not a second copy of it.
export type { SendResult };

/**
 * What the methods need from message delivery, and nothing more. The delivery feature's
 * Delivery satisfies it; tests may pass the real one over an SMTP sink or loopback provider.
 */
export interface Outbound {
  email(m: { to: string; subject: string; text: string; html: string; kind: string; userId?: string | null }): Promise<SendResult>;
  sms(m: { to: string; text: string; kind: string; userId?: string | null }): Promise<SendResult>;
  voice(m: { to: string; say: string; kind: string; userId?: string | null }): Promise<SendResult>;
  /** Whether the channel's latest send failed (delivery down): a reset tells a decoy the same as a real user then. */
  channelFailing?(channel: 'email' | 'sms' | 'voice'): Promise<boolean>;
}

export interface EmailContent {
  title: string;
  paragraphs: string[];
  code?: string;
  action?: { label: string; url: string };
  report?: { lead: string; label: string; url: string };
}

export type RenderEmail = (content: EmailContent) => { subject: string; text: string; html: string };
