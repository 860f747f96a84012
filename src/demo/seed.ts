import type { DirectoryService } from '../directory/directory-service.js';
import type { GroupStore } from '../directory/groups.js';
import type { Role } from '../directory/names.js';
import type { UserStore } from '../directory/users.js';
import { generatePassword } from '../shared/crypto.js';

export interface DemoAccount {
  username: string;
  displayName: string;
  roles: Role[];
  password: string;
  groups: string[];
}

export const demoUsers: Array<Omit<DemoAccount, 'password'>> = [
  { username: 'alice', displayName: 'Alice Andersen', roles: ['user'], groups: ['SSPR pilot'] },
  { username: 'bob', displayName: 'Bob Brown (helpdesk)', roles: ['password_administrator'], groups: ['Helpdesk'] },
  { username: 'carol', displayName: 'Carol Clark', roles: ['user'], groups: ['Staff'] },
];

export const demoGroups = [
  { name: 'Staff', description: 'Everyone (demo). Contains the pilot and helpdesk groups.' },
  { name: 'SSPR pilot', description: 'Pilot users for self-service password reset (demo).' },
  { name: 'Helpdesk', description: 'Service desk staff (demo).' },
];

export interface DemoSeedDeps {
  users: Pick<UserStore, 'byUsername'>;
  groups: Pick<GroupStore, 'byName' | 'addMember'>;
  directory: Pick<DirectoryService, 'createGroup' | 'createUser' | 'setPassword'>;
}

/**
 * `sspr start --demo`: a few users and nested groups to click through. There are no fixed
 * passwords: each run gives the demo users fresh random ones and prints them.
 */
export async function seedDemo(deps: DemoSeedDeps): Promise<DemoAccount[]> {
  const actor = { id: null, name: 'demo seed' };
  for (const g of demoGroups) {
    if (!(await deps.groups.byName(g.name))) await deps.directory.createGroup(actor, g);
  }
  const staff = (await deps.groups.byName('Staff'))!;
  for (const child of ['SSPR pilot', 'Helpdesk']) {
    const group = (await deps.groups.byName(child))!;
    await deps.groups.addMember(staff.id, { type: 'group', id: group.id });
  }
  const accounts: DemoAccount[] = [];
  for (const u of demoUsers) {
    const password = generatePassword();
    let user = await deps.users.byUsername(u.username);
    if (!user) {
      const created = await deps.directory.createUser(actor, { username: u.username, displayName: u.displayName, email: `${u.username}@demo.invalid`, roles: u.roles, password });
      if (!created.ok) throw new Error(`demo user ${u.username} could not be created`);
      user = created.value;
    } else if (user.source === 'cloud') {
      await deps.directory.setPassword(actor, user.id, { password });
    } else continue;
    for (const name of u.groups) {
      const group = (await deps.groups.byName(name))!;
      await deps.groups.addMember(group.id, { type: 'user', id: user.id });
    }
    accounts.push({ ...u, password });
  }
  return accounts;
}
