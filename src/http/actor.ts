import type { Actor } from '../directory/directory-service.js';
import type { AppContext } from './context.js';

export function actorOf(c: AppContext): Actor {
  const user = c.get('user');
  return { id: user?.id ?? null, name: user?.username ?? 'anonymous', ip: c.get('ip'), userAgent: c.get('userAgent') };
}
