import type { AppContext } from '../http/context.js';
import type { SupportView } from './types.js';

/**
 * "Verify the caller" on the support page: pick one of the caller's methods, send a code (or ask
 * for the app's code), type what the caller reads out. Placeholder until verification lands.
 */
export function CallerVerificationPanel(_props: { c: AppContext; view: SupportView }) {
  return null;
}
