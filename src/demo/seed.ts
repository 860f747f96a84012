import type { Portal } from '../app/portal.js';
import type { Role } from '../directory/names.js';
import { generatePassword } from '../shared/crypto.js';

export interface DemoAccount {
  username: string;
  displayName: string;
  roles: Role[];
  password: string;
  groups: string[];
}

const demoUsers: Array<Omit<DemoAccount, 'password'>> = [
  { username: 'alice', displayName: 'Alice Andersen', roles: ['user'], groups: ['SSPR pilot'] },
  { username: 'bob', displayName: 'Bob Brown (helpdesk)', roles: ['password_administrator'], groups: ['Helpdesk'] },
  { username: 'carol', displayName: 'Carol Clark', roles: ['user'], groups: ['Staff'] },
];

const demoGroups = [
  { name: 'Staff', description: 'Everyone (demo). Contains the pilot and helpdesk groups.' },
  { name: 'SSPR pilot', description: 'Pilot users for self-service password reset (demo).' },
  { name: 'Helpdesk', description: 'Service desk staff (demo).' },
];

/**
 * `sspr start --demo`: a few users and nested groups to click through. There are no fixed
 * passwords: each run gives the demo users fresh random ones and prints them.
 */
export async function seedDemo(portal: Portal): Promise<DemoAccount[]> {
  const actor = { id: null, name: 'demo seed' };
  for (const g of demoGroups) {
    if (!(await portal.groups.byName(g.name))) await portal.directory.createGroup(actor, g);
  }
  const staff = (await portal.groups.byName('Staff'))!;
  for (const child of ['SSPR pilot', 'Helpdesk']) {
    const group = (await portal.groups.byName(child))!;
    await portal.groups.addMember(staff.id, { type: 'group', id: group.id });
  }
  const accounts: DemoAccount[] = [];
  for (const u of demoUsers) {
    const password = generatePassword();
    let user = await portal.users.byUsername(u.username);
    if (!user) {
      const created = await portal.directory.createUser(actor, { username: u.username, displayName: u.displayName, email: `${u.username}@demo.invalid`, roles: u.roles, password });
      if (!created.ok) throw new Error(`demo user ${u.username} could not be created`);
      user = created.value;
    } else if (user.source === 'cloud') {
      await portal.directory.setPassword(actor, user.id, { password });
    } else continue;
    for (const name of u.groups) {
      const group = (await portal.groups.byName(name))!;
      await portal.groups.addMember(group.id, { type: 'user', id: user.id });
    }
    accounts.push({ ...u, password });
  }
  return accounts;
}
