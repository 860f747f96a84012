/** userAccountControl (and msDS-User-Account-Control-Computed) bits the connector and the sync read (MS-ADTS 2.2.16). */
export const UF_ACCOUNTDISABLE = 0x2;
export const UF_DONT_EXPIRE_PASSWD = 0x10000;
export const UF_LOCKOUT = 0x10;
export const UF_PASSWORD_EXPIRED = 0x800000;
