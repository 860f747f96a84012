import { ACE_FLAG, FULL_CONTROL, RIGHT, type Ace } from '../security-descriptor.js';
import { AD_GUID, GUID_NAMES, TAKEOVER_PROPERTIES } from './schema-guids.js';

/**
 * Access evaluation on ACEs already read: which ACE decides a right (MS-DTYP 2.5.3.2), what a
 * child object inherits, and which granted rights are more than a reset portal needs. Pure: no
 * LDAP here, so every rule is tested on SDDL written by hand (evaluate.test.ts).
 */

/** An ACE as it applies to the object being evaluated, with where it came from. */
export interface PlacedAce {
  ace: Ace;
  /** The ACE as written where it lives (the base's inheritable ACE, not its inherited copy). */
  original: Ace;
  where: string;
}

export interface RightQuery {
  bit: number;
  objectType: string;
  /** The property set the property belongs to (attributeSecurityGUID). */
  propertySet?: string | null;
  /** The class of the object: an object ACE naming it applies to the whole object. */
  objectClass?: string | null;
}

function covers(ace: Ace, q: RightQuery): boolean {
  const generic = (ace.mask & RIGHT.GENERIC_ALL) !== 0 || (q.bit === RIGHT.WRITE_PROPERTY && (ace.mask & RIGHT.GENERIC_WRITE) !== 0);
  if ((ace.mask & q.bit) === 0 && !generic) return false;
  if (!ace.object || ace.objectType === null) return true;
  return ace.objectType === q.objectType || (q.propertySet != null && ace.objectType === q.propertySet) || (q.objectClass != null && ace.objectType === q.objectClass);
}

/**
 * MS-DTYP 2.5.3.2 for one right: the DACL in order, the first ACE of the token that covers the
 * right (its object type, the property set it belongs to, or no object type) decides.
 */
export function evaluateRight(acl: PlacedAce[], token: ReadonlySet<string>, q: RightQuery): { held: boolean; by: PlacedAce | null } {
  for (const p of acl) {
    const { ace } = p;
    if ((ace.kind !== 'allow' && ace.kind !== 'deny') || ace.sid === null || !token.has(ace.sid)) continue;
    if (!covers(ace, q)) continue;
    return { held: ace.kind === 'allow', by: p };
  }
  return { held: false, by: null };
}

/** The ACEs of an object's own DACL that apply to the object itself (not inherit-only). */
export function effectiveOn(aces: Ace[], where: string): PlacedAce[] {
  return aces.filter((a) => (a.flags & ACE_FLAG.INHERIT_ONLY) === 0).map((a) => ({ ace: a, original: a, where }));
}

/**
 * The ACEs a child of class `childClass` inherits from `aces` (MS-DTYP 2.5.3.4.5): container-inherit
 * ones (every directory object is a container) whose inherited object type is absent or the
 * child's class, now effective on the child. NP ones reach direct children only.
 */
export function inheritedBy(aces: Ace[], childClass: string, where: string): PlacedAce[] {
  return aces
    .filter((a) => (a.flags & ACE_FLAG.CONTAINER_INHERIT) !== 0 && (a.inheritedObjectType === null || a.inheritedObjectType === childClass))
    .map((a) => {
      const keep = (a.flags & ACE_FLAG.NO_PROPAGATE_INHERIT) !== 0 ? 0 : a.flags & (ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.OBJECT_INHERIT);
      return { ace: { ...a, flags: keep | ACE_FLAG.INHERITED }, original: a, where };
    });
}

/** The rights of one allow ACE that are more than a reset portal needs, and how bad each is. */
export function dangerousRights(ace: Ace, view: { objectClass: string | null; isDomainRoot: boolean }): Array<{ what: string; severity: 'critical' | 'warning' }> {
  const out: Array<{ what: string; severity: 'critical' | 'warning' }> = [];
  const m = ace.mask;
  const wholeObject = !ace.object || ace.objectType === null || (view.objectClass !== null && ace.objectType === view.objectClass);
  const named = ace.objectType === null ? '' : (GUID_NAMES[ace.objectType] ?? ace.objectType);
  if (wholeObject && ((m & RIGHT.GENERIC_ALL) !== 0 || (m & FULL_CONTROL) === FULL_CONTROL)) return [{ what: 'GenericAll (full control)', severity: 'critical' }];
  if (m & RIGHT.WRITE_DAC) out.push({ what: 'WriteDACL (can rewrite the permissions, so can grant itself anything)', severity: 'critical' });
  if (m & RIGHT.WRITE_OWNER) out.push({ what: 'WriteOwner (can take ownership, then rewrite the permissions)', severity: 'critical' });
  if (wholeObject && ((m & RIGHT.GENERIC_WRITE) !== 0 || (m & RIGHT.WRITE_PROPERTY) !== 0)) {
    out.push({ what: 'GenericWrite (write all properties: logon scripts, SPNs, key credentials …)', severity: 'critical' });
  } else if (!wholeObject && (m & RIGHT.WRITE_PROPERTY) !== 0 && ace.objectType !== AD_GUID.lockoutTime && ace.objectType !== AD_GUID.pwdLastSet) {
    out.push(TAKEOVER_PROPERTIES.has(ace.objectType!) ? { what: `write ${named} (takes over the account)`, severity: 'critical' } : { what: `write ${named}`, severity: 'warning' });
  }
  if (m & RIGHT.CONTROL_ACCESS) {
    if (wholeObject) {
      out.push(view.isDomainRoot ? { what: 'All extended rights on the domain object (DCSync included)', severity: 'critical' } : { what: 'All extended rights', severity: 'warning' });
    } else if (view.isDomainRoot && ace.objectType === AD_GUID.replicationGetChangesAll) {
      out.push({ what: 'Replicating Directory Changes All (DCSync: reads every password hash)', severity: 'critical' });
    }
  }
  if (m & (RIGHT.CREATE_CHILD | RIGHT.DELETE_CHILD | RIGHT.DELETE | RIGHT.DELETE_TREE)) out.push({ what: `create or delete objects${named === '' ? '' : ` (${named})`}`, severity: 'warning' });
  if (wholeObject && (m & RIGHT.SELF_WRITE) !== 0) out.push({ what: 'all validated writes', severity: 'warning' });
  return out;
}
