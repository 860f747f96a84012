import { describe, expect, it } from 'vitest';
import { parseSddlAce } from '../sddl.js';
import { RIGHT } from '../security-descriptor.js';
import { AD_GUID, delegationFor, effectiveOn, evaluateRight, inheritedBy, shellQuote, type PlacedAce, type RightQuery } from './index.js';

/**
 * The access decision of the rights check without a DC: DACL order, deny before allow, inheritance
 * flags (CI, IO, NP, inherited object type), property sets. check.test.ts checks the same
 * decisions against what a real Samba DC then allows.
 */

const DOMAIN = 'S-1-5-21-1-2-3';
const SVC = `${DOMAIN}-1105`;
const HELPDESK = `${DOMAIN}-1200`;
const token = new Set([SVC, HELPDESK, 'S-1-1-0', 'S-1-5-11']);
const aces = (...sddl: string[]) => sddl.map((s) => parseSddlAce(s, { domainSid: DOMAIN }));
const U = AD_GUID.userClass;

const reset: RightQuery = { bit: RIGHT.CONTROL_ACCESS, objectType: AD_GUID.resetPassword, objectClass: U };
const pwdLastSet: RightQuery = { bit: RIGHT.WRITE_PROPERTY, objectType: AD_GUID.pwdLastSet, propertySet: AD_GUID.accountRestrictions, objectClass: U };
const lockout: RightQuery = { bit: RIGHT.WRITE_PROPERTY, objectType: AD_GUID.lockoutTime, propertySet: null, objectClass: U };

const onUsers = (...sddl: string[]): PlacedAce[] => inheritedBy(aces(...sddl), U, 'on the base');

describe('inheritance to user objects', () => {
  it('CIIO ACEs for user objects reach users, not the base itself', () => {
    const base = aces(`(OA;CIIO;CR;${AD_GUID.resetPassword};${U};${SVC})`);
    expect(evaluateRight(inheritedBy(base, U, 'x'), token, reset).held).toBe(true);
    expect(evaluateRight(effectiveOn(base, 'x'), token, reset).held).toBe(false);
  });

  it('an inherited object type of another class (computer) does not reach users; OI alone does not either', () => {
    expect(evaluateRight(onUsers(`(OA;CIIO;CR;${AD_GUID.resetPassword};bf967a86-0de6-11d0-a285-00aa003049e2;${SVC})`), token, reset).held).toBe(false);
    expect(evaluateRight(onUsers(`(OA;OIIO;CR;${AD_GUID.resetPassword};${U};${SVC})`), token, reset).held).toBe(false);
  });

  it('NP ACEs reach the children but stop there', () => {
    const [child] = onUsers(`(OA;CINPIO;CR;${AD_GUID.resetPassword};${U};${SVC})`);
    expect(child!.ace.flags).toBe(0x10); // INHERITED only: no further inheritance, effective on the child
    expect(child!.original.flags).toBe(0x02 | 0x04 | 0x08);
  });
});

describe('the access decision', () => {
  it('a deny before the allow wins; after it, the allow wins (DACL order decides)', () => {
    const allow = `(OA;CIIO;CR;${AD_GUID.resetPassword};${U};${SVC})`;
    const deny = `(OD;CIIO;CR;${AD_GUID.resetPassword};${U};${SVC})`;
    const denied = evaluateRight(onUsers(deny, allow), token, reset);
    expect(denied.held).toBe(false);
    expect(denied.by?.original.kind).toBe('deny');
    expect(evaluateRight(onUsers(allow, deny), token, reset).held).toBe(true);
  });

  it('grants and denies through any SID of the token (groups, Everyone)', () => {
    expect(evaluateRight(onUsers(`(OA;CIIO;CR;${AD_GUID.resetPassword};${U};${HELPDESK})`), token, reset).held).toBe(true);
    expect(evaluateRight(onUsers(`(OD;CIIO;CR;${AD_GUID.resetPassword};${U};WD)`, `(OA;CIIO;CR;${AD_GUID.resetPassword};${U};${SVC})`), token, reset).held).toBe(false);
    expect(evaluateRight(onUsers(`(OA;CIIO;CR;${AD_GUID.resetPassword};${U};${DOMAIN}-9999)`), token, reset).held).toBe(false);
  });

  it('an ACE without object type, GenericAll or full control covers every right', () => {
    expect(evaluateRight(onUsers(`(A;CI;CR;;;${SVC})`), token, reset).held).toBe(true);
    expect(evaluateRight(onUsers(`(A;CI;GA;;;${SVC})`), token, pwdLastSet).held).toBe(true);
    expect(evaluateRight(onUsers(`(A;CI;RPWPCRCCDCLCLORCWOWDSDDTSW;;;${SVC})`), token, lockout).held).toBe(true);
    expect(evaluateRight(onUsers(`(A;CI;GW;;;${SVC})`), token, lockout).held).toBe(true);
  });

  it('a property set covers its properties only; another property does not', () => {
    expect(evaluateRight(onUsers(`(OA;CIIO;WP;${AD_GUID.accountRestrictions};${U};${SVC})`), token, pwdLastSet).held).toBe(true);
    expect(evaluateRight(onUsers(`(OA;CIIO;WP;${AD_GUID.accountRestrictions};${U};${SVC})`), token, lockout).held).toBe(false);
    expect(evaluateRight(onUsers(`(OA;CIIO;WP;${AD_GUID.pwdLastSet};${U};${SVC})`), token, lockout).held).toBe(false);
    // WP is not CR, and Change Password is not Reset Password.
    expect(evaluateRight(onUsers(`(OA;CIIO;WP;${AD_GUID.resetPassword};${U};${SVC})`), token, reset).held).toBe(false);
    expect(evaluateRight(onUsers(`(OA;CIIO;CR;${AD_GUID.changePassword};${U};${SVC})`), token, reset).held).toBe(false);
  });

  it('a deny on the property set beats an allow on the property that comes later', () => {
    const r = evaluateRight(onUsers(`(OD;CIIO;WP;${AD_GUID.accountRestrictions};${U};${SVC})`, `(OA;CIIO;WP;${AD_GUID.pwdLastSet};${U};${SVC})`), token, pwdLastSet);
    expect(r.held).toBe(false);
  });
});

describe('the delegation', () => {
  it('three CIIO object ACEs for user objects with the SID, and the commands that apply them', () => {
    const d = delegationFor(SVC, "OU=Staff's,DC=corp,DC=example,DC=com");
    expect(d.sddl).toEqual([
      `(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;${SVC})`,
      `(OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;${SVC})`,
      `(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;${SVC})`,
    ]);
    expect(d.sambaTool[0]).toBe(`samba-tool dsacl set --objectdn='OU=Staff'\\''s,DC=corp,DC=example,DC=com' --sddl='${d.sddl[0]}'`);
    expect(d.dsacls).toEqual([
      `dsacls "OU=Staff's,DC=corp,DC=example,DC=com" /I:S /G "${SVC}:CA;Reset Password;user"`,
      `dsacls "OU=Staff's,DC=corp,DC=example,DC=com" /I:S /G "${SVC}:WP;lockoutTime;user"`,
      `dsacls "OU=Staff's,DC=corp,DC=example,DC=com" /I:S /G "${SVC}:WP;pwdLastSet;user"`,
    ]);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});
