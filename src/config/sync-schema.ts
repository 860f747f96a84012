import { z } from 'zod';

/** `sync`: also a stored section (src/settings/): the file's values are where the console starts. */
export const syncSchema = z
  .strictObject({
    /** How often the portal asks an agent for the changes in AD (a delta; a full import when needed). */
    intervalMinutes: z.number().int().min(0).max(24 * 60).default(30).describe('0 = only on demand'),
    /**
     * Use the mail and mobile synced from AD as verification methods. Off by default: it trusts
     * whoever can edit those attributes in AD.
     */
    useContactInfo: z.boolean().default(false),
    /** The portal username of a synced user: its userPrincipalName (default), sAMAccountName or mail; the UPN, then the sAMAccountName, when that is empty. */
    usernameFrom: z.enum(['userPrincipalName', 'sAMAccountName', 'mail']).default('userPrincipalName'),
    /**
     * Where the agent reads users and groups: OUs within what its own configuration allows
     * (agent.sync.baseDns, else agent.ad.baseDn); empty = all of that. A change means a full import.
     */
    baseDns: z
      .array(z.string().trim().min(3).max(500).regex(/^[^=,]+=[^,]+(,[^=,]+=[^,]+)*$/, 'must be a distinguished name like OU=Staff,DC=corp,DC=example'))
      .max(50)
      .default([]),
    /** An extra LDAP filter users must match, on top of the agent's own; empty = none. */
    userFilter: z
      .string()
      .trim()
      .max(2000)
      .refine((f) => f === '' || ldapFilterShape(f), 'must be an LDAP filter in parentheses, like (department=Sales)')
      .default(''),
  });

/** An LDAP filter's outer shape: in parentheses, balanced (the agent parses it fully and says what is wrong). */
function ldapFilterShape(f: string): boolean {
  if (!f.startsWith('(') || !f.endsWith(')')) return false;
  let depth = 0;
  for (const ch of f) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}
