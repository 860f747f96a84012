import type { Intent } from './reset-flow.js';

export const startPath = (intent: Intent) => (intent === 'unlock' ? '/unlock' : '/reset');
export const verifyPath = (flow: string) => `/reset/verify?flow=${encodeURIComponent(flow)}`;
/** Where an expired or unknown flow sends the user: a new start, with a message. */
export const EXPIRED_PATH = '/reset?m=expired';
