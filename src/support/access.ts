import type { MessageKey } from '../i18n/index.js';
import type { User, UserStore } from '../directory/users.js';
import type { AppContext } from '../http/context.js';

/**
 * Who is looking: a console user (helpdesk or administrator), or an API token / the CLI, which
 * act as an administrator (`{ id: null, roles: ['administrator'] }`).
 */
export interface Viewer {
  id: string | null;
  roles: readonly string[];
}

export const ADMIN_VIEWER: Viewer = { id: null, roles: ['administrator'] };

/** The signed-in console user as a Viewer (no one signed in: a viewer who sees no one). */
export function viewerOf(c: AppContext): Viewer {
  const user = c.get('user');
  return user ? { id: user.id, roles: user.roles } : { id: null, roles: [] };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Which users a viewer may see and act on, in one place for the console, the API and the CLI.
 * Outside a helpdesk user's scope a user does not exist for them (`find` gives null: 404, never
 * 403); inside it, the helpdesk still never acts on administrators or other helpdesk users
 * (`refusal`).
 */
export interface SupportAccess {
  /** The user named by `key` (a username, or a user id) as the viewer may see them; null when unknown to the viewer. */
  find(viewer: Viewer, key: string): Promise<User | null>;
  /** Null when the viewer may act on the target; otherwise the message key that says why not. */
  refusal(viewer: Viewer, target: User): Promise<MessageKey | null>;
}

/** Administrators see and act on everyone. The helpdesk's scope (scope.ts) narrows this. */
export class DirectoryAccess implements SupportAccess {
  constructor(private readonly users: Pick<UserStore, 'byId' | 'byUsername'>) {}

  async find(_viewer: Viewer, key: string): Promise<User | null> {
    if (key.length === 0 || key.length > 256) return null;
    return (UUID.test(key) ? await this.users.byId(key) : null) ?? (await this.users.byUsername(key));
  }

  refusal(): Promise<MessageKey | null> {
    return Promise.resolve(null);
  }
}
