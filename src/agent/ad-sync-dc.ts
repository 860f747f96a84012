import { AndFilter, ResultCodeError, type Client } from 'ldapts';
import type { ServiceSession } from '../ad/ad-connection.js';
import { first } from '../ad/domain-policy.js';
import { guidFromBytes } from '../ad/guid.js';
import type { SyncCursor } from '../agent-protocol/index.js';
import { ResultCodeErrorUnreadable, usnFilter, values } from './ad-sync-entries.js';

/** What a read needs to know about the DC it reads from: its cursor, naming contexts and controls, and whether a cursor is too old for a delta. */

/** AD's default when tombstoneLifetime is not set on CN=Directory Service (forests created before 2003 SP1). */
const DEFAULT_TOMBSTONE_LIFETIME_DAYS = 60;
/** Tombstones are collected every 12 hours once older than the lifetime: a day of margin. */
const TOMBSTONE_MARGIN_MS = 86_400_000;

export interface DcState {
  cursor: SyncCursor;
  usn: bigint;
  defaultNamingContext: string;
  configurationNamingContext: string;
  supportedControl: string[];
}

/** The rootDSE read now (the pooled session's copy is from when it connected) and the DC's invocationId. */
export async function readDcState(s: ServiceSession, timeLimit: number): Promise<DcState> {
  const { searchEntries } = await s.client.search('', {
    timeLimit: timeLimit,
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['highestCommittedUSN', 'dsServiceName', 'dnsHostName', 'defaultNamingContext', 'configurationNamingContext'],
  });
  const root = searchEntries[0];
  const usnText = root === undefined ? null : first(root, 'highestCommittedUSN');
  const dsServiceName = root === undefined ? null : first(root, 'dsServiceName');
  if (root === undefined || usnText === null || !/^\d{1,20}$/.test(usnText) || dsServiceName === null) {
    throw new ResultCodeErrorUnreadable('the rootDSE has no highestCommittedUSN or dsServiceName');
  }
  const { searchEntries: ntds } = await s.client.search(dsServiceName, { timeLimit: timeLimit, scope: 'base', filter: '(objectClass=*)', attributes: ['invocationId'], explicitBufferAttributes: ['invocationId'] });
  const [id] = ntds[0] === undefined ? [] : values(ntds[0], 'invocationId');
  if (!Buffer.isBuffer(id) || id.length !== 16) throw new ResultCodeErrorUnreadable(`the invocationId of ${dsServiceName} cannot be read`);
  return {
    cursor: { invocationId: guidFromBytes(id), usn: usnText, dc: first(root, 'dnsHostName') || new URL(s.url).hostname },
    usn: BigInt(usnText),
    defaultNamingContext: first(root, 'defaultNamingContext') ?? '',
    configurationNamingContext: first(root, 'configurationNamingContext') ?? '',
    supportedControl: s.rootDse.supportedControl,
  };
}

/**
 * Whether deletions since `sinceUsn` may already be forgotten: AD removes tombstones after the
 * tombstone lifetime. A USN carries no time, so the time of the newest change at or before it
 * (whenChanged of the object with the highest uSNChanged ≤ the cursor) stands in — never later
 * than when the cursor was taken, so the answer errs towards a full import, which is always right.
 */
export async function cursorTooOld(client: Client, dc: DcState, sinceUsn: bigint, now: number, timeLimit: number): Promise<boolean> {
  const lifetimeMs = await tombstoneLifetimeMs(client, dc, timeLimit);
  let changedAt: number | null = null;
  for (const window of [64n, 4096n, 262_144n]) {
    const low = sinceUsn - window + 1n;
    const filter = new AndFilter({ filters: [usnFilter('uSNChanged', '>=', low < 0n ? 0n : low), usnFilter('uSNChanged', '<=', sinceUsn)] });
    let best: bigint | null = null;
    for await (const result of client.searchPaginated(dc.defaultNamingContext, { scope: 'sub', filter, attributes: ['uSNChanged', 'whenChanged'], paged: { pageSize: 1000 }, timeLimit: timeLimit })) {
      for (const e of result.searchEntries) {
        const usnText = first(e, 'uSNChanged');
        if (usnText === null || !/^\d+$/.test(usnText)) continue;
        const usn = BigInt(usnText);
        if (best === null || usn > best) {
          best = usn;
          changedAt = parseGeneralizedTime(first(e, 'whenChanged'));
        }
      }
    }
    if (best !== null) break;
    if (low <= 0n) break;
  }
  if (changedAt === null) return true;
  return now - changedAt > lifetimeMs - TOMBSTONE_MARGIN_MS;
}

/** tombstoneLifetime (and, with the Recycle Bin, msDS-DeletedObjectLifetime if shorter) from CN=Directory Service. */
async function tombstoneLifetimeMs(client: Client, dc: DcState, timeLimit: number): Promise<number> {
  let days = DEFAULT_TOMBSTONE_LIFETIME_DAYS;
  try {
    const { searchEntries } = await client.search(`CN=Directory Service,CN=Windows NT,CN=Services,${dc.configurationNamingContext}`, {
      timeLimit: timeLimit,
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['tombstoneLifetime', 'msDS-DeletedObjectLifetime'],
    });
    const e = searchEntries[0];
    const t = Number(e === undefined ? NaN : (first(e, 'tombstoneLifetime') ?? NaN));
    if (Number.isInteger(t) && t > 0) days = t;
    const d = Number(e === undefined ? NaN : (first(e, 'msDS-DeletedObjectLifetime') ?? NaN));
    if (Number.isInteger(d) && d > 0) days = Math.min(days, d);
  } catch (err) {
    if (!(err instanceof ResultCodeError)) throw err;
    // Not readable: AD's default.
  }
  return days * 86_400_000;
}

function parseGeneralizedTime(value: string | null): number | null {
  const m = value === null ? null : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/.exec(value);
  if (m === null) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}
