/**
 * The portal–agent boundary: everything that travels between the portal and an on-premises
 * agent, and nothing else. Both sides import it; it imports nothing of the project but shared/.
 *
 * - messages.ts: the WebSocket messages each way, parsed and validated
 * - jobs.ts: a password job and the agent's verdict
 * - verdicts.ts: the one catalogue of refusals, from AD to the page
 * - sync-pages.ts: what the agent reads from AD for the portal's directory
 * - page-split.ts: sync pages cut to fit one message
 * - sealing.ts: passwords sealed to one agent for one job; the agent's signed answer
 */
export * from './messages.js';
export * from './jobs.js';
export * from './verdicts.js';
export * from './sync-pages.js';
export * from './page-split.js';
export * from './sealing.js';
