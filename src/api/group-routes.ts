import type { Hono } from 'hono';
import type { DirectoryService } from '../directory/directory-service.js';
import type { GroupStore } from '../directory/groups.js';
import type { UserStore } from '../directory/users.js';
import { requireWrite, type ApiEnv } from './auth.js';
import { apiError, t } from './errors.js';
import { groupJson, groupMemberBody, newGroupBody, renameGroupBody } from './schemas.js';
import type { ApiHelpers } from './support-action-routes.js';

export interface GroupApiDeps {
  groups: Pick<GroupStore, 'byName' | 'byId' | 'directMembers'>;
  users: Pick<UserStore, 'byUsername'>;
  directory: Pick<DirectoryService, 'createGroup' | 'renameGroup' | 'deleteGroup' | 'addMember' | 'removeMember'>;
}

/**
 * Groups over the API: create, read with members, rename, delete, add and remove members. Each
 * write goes through DirectoryService, so the console's rules hold here too (unique names, a group
 * never its own member, synced groups changed in AD only, groups the policy uses kept) and each
 * change is audited with the token as the actor.
 */
export function groupApi(app: Hono<ApiEnv>, deps: GroupApiDeps, h: ApiHelpers): void {
  const detail = async (id: string) => {
    const group = (await deps.groups.byId(id))!;
    const members = await deps.groups.directMembers(group.id);
    return { ...groupJson({ ...group, directMembers: members.length }), members: members.map((m) => ({ type: m.type, name: m.name, displayName: m.displayName })) };
  };
  const location = (name: string) => ({ Location: `/api/v1/groups/${encodeURIComponent(name)}` });

  app.post('/groups', requireWrite, async (c) => {
    const body = await h.jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = h.validate(c, newGroupBody, body.value);
    if (!parsed.ok) return parsed.res;
    const r = await deps.directory.createGroup(c.get('actor'), { name: parsed.value.name, description: parsed.value.description ?? '' });
    if (!r.ok) return h.refusal(c, r);
    return c.json(await detail(r.value.id), 201, location(r.value.name));
  });

  app.get('/groups/:name', async (c) => {
    const group = await deps.groups.byName(c.req.param('name'));
    if (!group) return apiError(c, 'not_found', t('groups.notFound'));
    return c.json(await detail(group.id));
  });

  app.patch('/groups/:name', requireWrite, async (c) => {
    const group = await deps.groups.byName(c.req.param('name'));
    if (!group) return apiError(c, 'not_found', t('groups.notFound'));
    const body = await h.jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = h.validate(c, renameGroupBody, body.value);
    if (!parsed.ok) return parsed.res;
    const r = await deps.directory.renameGroup(c.get('actor'), group.id, parsed.value);
    if (!r.ok) return h.refusal(c, r);
    return c.json(await detail(r.value.id), 200, location(r.value.name));
  });

  app.delete('/groups/:name', requireWrite, async (c) => {
    const group = await deps.groups.byName(c.req.param('name'));
    if (!group) return apiError(c, 'not_found', t('groups.notFound'));
    const r = await deps.directory.deleteGroup(c.get('actor'), group.id);
    if (!r.ok) return h.refusal(c, r);
    return c.body(null, 204);
  });

  app.post('/groups/:name/members', requireWrite, async (c) => {
    const group = await deps.groups.byName(c.req.param('name'));
    if (!group) return apiError(c, 'not_found', t('groups.notFound'));
    const body = await h.jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = h.validate(c, groupMemberBody, body.value);
    if (!parsed.ok) return parsed.res;
    const r = await deps.directory.addMember(c.get('actor'), group.id, parsed.value);
    if (!r.ok) return h.refusal(c, r);
    return c.json(await detail(group.id));
  });

  app.delete('/groups/:name/members/:type/:member', requireWrite, async (c) => {
    const group = await deps.groups.byName(c.req.param('name'));
    if (!group) return apiError(c, 'not_found', t('groups.notFound'));
    const type = c.req.param('type');
    if (type !== 'user' && type !== 'group') return apiError(c, 'not_found', t('api.error.notFound'));
    const member = type === 'user' ? await deps.users.byUsername(c.req.param('member')) : await deps.groups.byName(c.req.param('member'));
    if (!member) return apiError(c, 'not_found', t('groups.refuse.noSuchMember'));
    const r = await deps.directory.removeMember(c.get('actor'), group.id, { type, id: member.id });
    if (!r.ok) return h.refusal(c, r);
    return c.json(await detail(group.id));
  });
}
