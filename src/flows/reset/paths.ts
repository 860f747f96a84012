import type { Intent } from './reset-flow.js';

export const startPath = (intent: Intent) => (intent === 'unlock' ? '/unlock' : '/reset');
export const verifyPath = (flow: string) => `/reset/verify?flow=${encodeURIComponent(flow)}`;
/** Where an expired or unknown flow sends the user: a new start, with a message. */
export const EXPIRED_PATH = '/reset?m=expired';
/** The list of ways to prove it is you ("Try another way"): shown without changing the flow. */
export const waysPath = (flow: string) => `/reset/verify?flow=${encodeURIComponent(flow)}&ways=1`;
