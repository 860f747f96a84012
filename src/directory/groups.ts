import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/crypto.js';
import { nameKey } from './names.js';

export interface Group {
  id: string;
  name: string;
  description: string;
  source: 'cloud' | 'onprem';
  createdAt: number;
}

export interface Member {
  type: 'user' | 'group';
  id: string;
  name: string;
  displayName: string;
}

type Db = Kysely<Database>;

/**
 * Groups and nested membership. Membership is resolved transitively level by level with a
 * visited set, so a cycle (A ∈ B ∈ A) ends the walk instead of looping.
 */
export class GroupStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async create(input: { name: string; description?: string; source?: 'cloud' | 'onprem'; anchor?: string | null }): Promise<Group> {
    const id = newId();
    const now = this.clock.now();
    await this.db
      .insertInto('groups')
      .values({
        id,
        name: input.name,
        name_key: nameKey(input.name),
        description: input.description ?? '',
        source: input.source ?? 'cloud',
        anchor: input.anchor ?? null,
        created_at: now,
      })
      .execute();
    return { id, name: input.name, description: input.description ?? '', source: input.source ?? 'cloud', createdAt: now };
  }

  async byId(id: string): Promise<Group | null> {
    const r = await this.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? { id: r.id, name: r.name, description: r.description, source: r.source, createdAt: r.created_at } : null;
  }

  async byName(name: string): Promise<Group | null> {
    const r = await this.db.selectFrom('groups').selectAll().where('name_key', '=', nameKey(name)).executeTakeFirst();
    return r ? { id: r.id, name: r.name, description: r.description, source: r.source, createdAt: r.created_at } : null;
  }

  async list(): Promise<Array<Group & { directMembers: number }>> {
    const rows = await this.db
      .selectFrom('groups')
      .leftJoin('group_members', 'group_members.group_id', 'groups.id')
      .select(['groups.id', 'groups.name', 'groups.description', 'groups.source', 'groups.created_at'])
      .select((eb) => eb.fn.count<number>('group_members.member_id').as('n'))
      .groupBy(['groups.id', 'groups.name', 'groups.description', 'groups.source', 'groups.created_at'])
      .orderBy('groups.name')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, description: r.description, source: r.source, createdAt: r.created_at, directMembers: Number(r.n) }));
  }

  async rename(id: string, name: string): Promise<void> {
    await this.db.updateTable('groups').set({ name, name_key: nameKey(name) }).where('id', '=', id).execute();
  }

  /** Deletes the group with its members and its own memberships in other groups, in one transaction. */
  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('group_members').where('group_id', '=', id).execute();
      await tx.deleteFrom('group_members').where('member_type', '=', 'group').where('member_id', '=', id).execute();
      await tx.deleteFrom('groups').where('id', '=', id).execute();
    });
  }

  /** Adds a member; returns false when it was already a direct member. */
  async addMember(groupId: string, member: { type: 'user' | 'group'; id: string }): Promise<boolean> {
    const r = await this.db
      .insertInto('group_members')
      .values({ group_id: groupId, member_type: member.type, member_id: member.id, added_at: this.clock.now() })
      .onConflict((oc) => oc.columns(['group_id', 'member_type', 'member_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async removeMember(groupId: string, member: { type: 'user' | 'group'; id: string }): Promise<boolean> {
    const r = await this.db
      .deleteFrom('group_members')
      .where('group_id', '=', groupId)
      .where('member_type', '=', member.type)
      .where('member_id', '=', member.id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async directMembers(groupId: string): Promise<Member[]> {
    const users = await this.db
      .selectFrom('group_members')
      .innerJoin('users', 'users.id', 'group_members.member_id')
      .where('group_members.group_id', '=', groupId)
      .where('group_members.member_type', '=', 'user')
      .select(['users.id', 'users.username', 'users.display_name'])
      .orderBy('users.username_key')
      .execute();
    const groups = await this.db
      .selectFrom('group_members')
      .innerJoin('groups', 'groups.id', 'group_members.member_id')
      .where('group_members.group_id', '=', groupId)
      .where('group_members.member_type', '=', 'group')
      .select(['groups.id', 'groups.name'])
      .orderBy('groups.name_key')
      .execute();
    return [
      ...groups.map((g) => ({ type: 'group' as const, id: g.id, name: g.name, displayName: g.name })),
      ...users.map((u) => ({ type: 'user' as const, id: u.id, name: u.username, displayName: u.display_name })),
    ];
  }

  /** Every group the user belongs to, directly or through nested groups. */
  async groupIdsOfUser(userId: string): Promise<Set<string>> {
    const direct = await this.db
      .selectFrom('group_members')
      .select('group_id')
      .where('member_type', '=', 'user')
      .where('member_id', '=', userId)
      .execute();
    return this.expandUpwards(direct.map((r) => r.group_id));
  }

  async isMember(userId: string, groupId: string): Promise<boolean> {
    return (await this.groupIdsOfUser(userId)).has(groupId);
  }

  private async expandUpwards(start: string[]): Promise<Set<string>> {
    const seen = new Set<string>(start);
    let frontier = [...seen];
    while (frontier.length > 0) {
      const parents = await this.db
        .selectFrom('group_members')
        .select('group_id')
        .where('member_type', '=', 'group')
        .where('member_id', 'in', frontier)
        .execute();
      frontier = [];
      for (const p of parents) {
        if (!seen.has(p.group_id)) {
          seen.add(p.group_id);
          frontier.push(p.group_id);
        }
      }
    }
    return seen;
  }

  /** Ids of all groups nested inside this one (including itself). */
  async nestedGroupIds(groupId: string): Promise<Set<string>> {
    const seen = new Set<string>([groupId]);
    let frontier = [groupId];
    while (frontier.length > 0) {
      const children = await this.db
        .selectFrom('group_members')
        .select('member_id')
        .where('member_type', '=', 'group')
        .where('group_id', 'in', frontier)
        .execute();
      frontier = [];
      for (const c of children) {
        if (!seen.has(c.member_id)) {
          seen.add(c.member_id);
          frontier.push(c.member_id);
        }
      }
    }
    return seen;
  }

  /** Ids of every user in the group, directly or through nested groups. */
  async transitiveUserIds(groupId: string): Promise<Set<string>> {
    const groups = [...(await this.nestedGroupIds(groupId))];
    const rows = await this.db
      .selectFrom('group_members')
      .select('member_id')
      .distinct()
      .where('member_type', '=', 'user')
      .where('group_id', 'in', groups)
      .execute();
    return new Set(rows.map((r) => r.member_id));
  }

  async groupsOfUser(userId: string): Promise<Array<Group & { direct: boolean }>> {
    const all = await this.groupIdsOfUser(userId);
    if (all.size === 0) return [];
    const direct = new Set(
      (
        await this.db.selectFrom('group_members').select('group_id').where('member_type', '=', 'user').where('member_id', '=', userId).execute()
      ).map((r) => r.group_id),
    );
    const rows = await this.db.selectFrom('groups').selectAll().where('id', 'in', [...all]).orderBy('name_key').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, description: r.description, source: r.source, createdAt: r.created_at, direct: direct.has(r.id) }));
  }
}
