import { ConstraintViolationError, InsufficientAccessError, InvalidCredentialsError, UnwillingToPerformError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { bindFailureReason, bindSubCode, win32ErrorCode } from './sub-codes.js';
import { DcUnreachableError, failureFromError, isConnectionError } from './verdicts.js';

const bindMessage = (code: string) => `80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${code}, v1db1`;

describe('AD bind sub-codes', () => {
  it('reads the data sub-code of a failed bind', () => {
    expect(bindSubCode(bindMessage('52e'))).toBe('52e');
    expect(bindSubCode(bindMessage('775'))).toBe('775');
    expect(bindSubCode('80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 773, v4563')).toBe('773');
    expect(bindSubCode('no sub-code here')).toBeNull();
  });

  it('turns each sub-code into an action', () => {
    const cases: Record<string, string> = {
      '52e': 'wrong_password',
      '525': 'not_found',
      '530': 'logon_hours',
      '531': 'logon_hours',
      '532': 'expired',
      '533': 'disabled',
      '701': 'account_expired',
      '773': 'must_change',
      '775': 'locked',
    };
    for (const [code, reason] of Object.entries(cases)) expect(bindFailureReason(bindSubCode(bindMessage(code)))).toBe(reason);
    expect(bindFailureReason(null)).toBe('wrong_password');
  });

  it('reads the Win32 code at the start of a write error', () => {
    expect(win32ErrorCode('0000052D: Constraint violation - check_password_restrictions: the password is too short.')).toBe('0000052D');
    expect(win32ErrorCode('00000056: AtrErr: DSID-03191083, #1:')).toBe('00000056');
    expect(win32ErrorCode('the password is too short')).toBeNull();
  });
});

describe('LDAP results as verdicts (decided on the result code)', () => {
  it('maps result codes, never message text', () => {
    expect(failureFromError(new InsufficientAccessError('anything')).reason).toBe('insufficient_rights');
    expect(failureFromError(new ConstraintViolationError('00000056: wrong old password')).reason).toBe('wrong_password');
    // A message that merely talks about a wrong password does not make it one.
    expect(failureFromError(new ConstraintViolationError('0000052D: the old password is wrong')).reason).toBe('policy');
    expect(failureFromError(new UnwillingToPerformError('0000001F: SvcErr')).reason).toBe('policy');
    expect(failureFromError(new InvalidCredentialsError(bindMessage('52e'))).reason).toBe('insufficient_rights');
  });

  it('treats socket, TLS and timeout failures as an unreachable DC', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new Error('ModifyRequest: Operation timed out'))).toBe(true);
    expect(isConnectionError(new DcUnreachableError('x'))).toBe(true);
    expect(isConnectionError(new InsufficientAccessError('x'))).toBe(false);
    expect(isConnectionError(new TypeError('a bug'))).toBe(false);
    expect(failureFromError(refused).reason).toBe('dc_unreachable');
    expect(() => failureFromError(new TypeError('a bug'))).toThrow(TypeError);
  });
});
