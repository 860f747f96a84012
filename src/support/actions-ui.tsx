import type { AppContext } from '../http/context.js';
import type { SupportView } from './types.js';

/**
 * The support page's actions (unblock, clear the sign-in lockout, unlock in AD, remove a method,
 * require re-registration, end all sessions, send a reset link): each a confirmed form with a
 * typed reason. Placeholder until the actions land: renders nothing.
 */
export function SupportActions(_props: { c: AppContext; view: SupportView }) {
  return null;
}
