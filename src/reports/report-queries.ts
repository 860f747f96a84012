import { z } from 'zod';
import type { Store } from '../store/database.js';
import { effectiveFor, type GateType, type Policy } from '../policy/policy.js';
import { isoUtc } from '../i18n/dates.js';

/**
 * The numbers behind /admin/reports: who is in scope and registered, and what the reset, unlock
 * and change flows did over a period. Everything here runs unchanged on SQLite and PostgreSQL:
 * the queries are plain selects and group-bys, and the grouping by day and by the JSON `details`
 * happens here in code (JSON functions and date arithmetic differ between the two dialects).
 */

export const DAY = 86_400_000;

export const periodChoices = [7, 30, 90] as const;
export type PeriodDays = (typeof periodChoices)[number];
export const DEFAULT_PERIOD: PeriodDays = 30;

/** `?days=` from the query string; anything else (missing, malformed, 365) is the default, never an error page. */
export const periodQuerySchema = z.object({
  days: z
    .enum(['7', '30', '90'])
    .catch(String(DEFAULT_PERIOD) as '30')
    .transform((v) => Number(v) as PeriodDays),
});

export interface Period {
  days: PeriodDays;
  /** Start of the first day (UTC midnight), inclusive. */
  from: number;
  /** Start of the day after today (UTC midnight), exclusive. */
  to: number;
}

/** The last `days` UTC days, today included. */
export function periodEnding(now: number, days: PeriodDays): Period {
  const today = Math.floor(now / DAY) * DAY;
  return { days, from: today - (days - 1) * DAY, to: today + DAY };
}

/** "2026-01-31" for the UTC day that starts at `start`. */
export function dayLabel(start: number): string {
  return isoUtc(start, 'day');
}

// ---------------------------------------------------------------------------------------------
// Registration coverage

/** Method types in the order the reports show them; 'questions' counts as one method. */
export const gateTypes: readonly GateType[] = ['email', 'mobile', 'office', 'totp', 'passkey', 'questions', 'recovery_code'];

export interface Coverage {
  /** Enabled users for whom self-service reset is on (administrators always are). */
  inScope: number;
  /** In scope and holding as many usable methods as their policy requires. */
  registered: number;
  notRegistered: number;
  /** Users in scope with at least one confirmed method of the type (questions: all answers registered). */
  byMethod: Record<GateType, number>;
}

/** What coverage needs of the directory: nested group membership, resolved by the group store. */
export interface GroupMembership {
  transitiveUserIds(groupId: string): Promise<Set<string>>;
}

/**
 * Counts with one query per table instead of asking inScope() and registrationStatus() for
 * every user: a directory of tens of thousands of users still answers in a handful of queries.
 * The rules are the same as theirs: disabled users are out of scope, administrators are always
 * in and need two methods that are not security questions.
 */
export async function registrationCoverage(store: Store, groups: GroupMembership, policy: Policy): Promise<Coverage> {
  const db = store.db;
  const enabled = (await db.selectFrom('users').select('id').where('enabled', '=', 1).execute()).map((r) => r.id);
  const admins = new Set((await db.selectFrom('user_roles').select('user_id').where('role', '=', 'administrator').execute()).map((r) => r.user_id));

  let members: Set<string> | null = null;
  if (policy.enabledFor === 'selected') {
    members = new Set<string>();
    for (const g of policy.groups) for (const id of await groups.transitiveUserIds(g)) members.add(id);
  }
  const inScope = enabled.filter((id) => admins.has(id) || policy.enabledFor === 'all' || (members !== null && members.has(id)));

  const methodsOf = new Map<string, Set<GateType>>();
  const rows = await db.selectFrom('auth_methods').select(['user_id', 'type']).distinct().where('confirmed_at', 'is not', null).execute();
  for (const r of rows) {
    let set = methodsOf.get(r.user_id);
    if (!set) methodsOf.set(r.user_id, (set = new Set()));
    set.add(r.type);
  }
  // A user "has questions" only with every answer the policy asks for registered.
  const withQuestions = new Set(
    (
      await db
        .selectFrom('security_answers')
        .select('user_id')
        .groupBy('user_id')
        .having((eb) => eb.fn.count('question_id'), '>=', policy.questions.toRegister)
        .execute()
    ).map((r) => r.user_id),
  );

  const userPolicy = effectiveFor(policy, { roles: [] });
  const adminPolicy = effectiveFor(policy, { roles: ['administrator'] });
  const byMethod = Object.fromEntries(gateTypes.map((g) => [g, 0])) as Record<GateType, number>;
  let registered = 0;
  for (const id of inScope) {
    const types = new Set<GateType>(methodsOf.get(id) ?? []);
    if (withQuestions.has(id)) types.add('questions');
    for (const t of types) byMethod[t] += 1;
    const eff = admins.has(id) ? adminPolicy : userPolicy;
    // Distinct method types, not rows: two email addresses are still one gate of a two-gate reset.
    const usable = [...types].filter((t) => eff.gates.has(t)).length;
    if (usable >= eff.required) registered += 1;
  }
  return { inScope: inScope.length, registered, notRegistered: inScope.length - registered, byMethod };
}

// ---------------------------------------------------------------------------------------------
// Activity

export const activityKinds = ['reset', 'unlock', 'change'] as const;
export type ActivityKind = (typeof activityKinds)[number];

/** The audit events the activity report counts, and what each one is. */
export const activityEvents: Readonly<Record<string, ActivityKind>> = {
  password_reset: 'reset',
  account_unlock: 'unlock',
  password_change: 'change',
  // A cloud user's successful change is recorded by the directory as password_changed (the
  // change flow itself records failures, and hybrid users' outcomes, as password_change).
  password_changed: 'change',
};

export const activityOutcomes = ['success', 'failure', 'blocked'] as const;
export type ActivityOutcome = (typeof activityOutcomes)[number];

/** Failed or blocked events of these kinds feed "top failure reasons". */
const reasonEvents = [...Object.keys(activityEvents), 'method_verified'];

/** A failed event without a recorded reason. */
export const UNSPECIFIED_REASON = 'unspecified';

export type OutcomeCounts = Record<ActivityOutcome, number>;
export type KindCounts = Record<ActivityKind, OutcomeCounts>;

export interface DayActivity {
  /** UTC midnight. */
  start: number;
  /** "2026-01-31". */
  day: string;
  counts: KindCounts;
}

export interface MethodUse {
  /** A gate type, or whatever else a flow wrote into details.method. */
  method: string;
  reset: number;
  unlock: number;
}

export interface FailureReason {
  reason: string;
  count: number;
  /** Which events failed for this reason, most frequent first. */
  events: string[];
}

export interface ActivityReport {
  period: Period;
  days: DayActivity[];
  totals: KindCounts;
  /** Successful resets and unlocks per method type used; known types always listed, in order. */
  byMethod: MethodUse[];
  /** Most frequent first; at most `topReasons`. */
  failureReasons: FailureReason[];
}

function emptyKindCounts(): KindCounts {
  return { reset: { success: 0, failure: 0, blocked: 0 }, unlock: { success: 0, failure: 0, blocked: 0 }, change: { success: 0, failure: 0, blocked: 0 } };
}

function isActivityOutcome(o: string): o is ActivityOutcome {
  return (activityOutcomes as readonly string[]).includes(o);
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    // an unreadable details column counts as empty rather than breaking the report
    return {};
  }
}

const PAGE = 2000;

/**
 * One pass over the period's audit rows of interest, read in pages so a busy log never sits in
 * memory whole; the period (at most 90 days, on the `at` index) bounds the scan.
 * Successful method checks are left out in the query: every MFA sign-in writes one.
 */
export async function activityReport(store: Store, period: Period, options: { topReasons?: number; pageSize?: number } = {}): Promise<ActivityReport> {
  const days: DayActivity[] = [];
  for (let i = 0; i < period.days; i++) {
    const start = period.from + i * DAY;
    days.push({ start, day: dayLabel(start), counts: emptyKindCounts() });
  }
  const totals = emptyKindCounts();
  const methodUse = new Map<string, MethodUse>(gateTypes.map((g) => [g, { method: g, reset: 0, unlock: 0 }]));
  const reasons = new Map<string, { count: number; events: Map<string, number> }>();

  // Keyset paging in (at, id) order, so every page is a range read on the `at` index.
  const pageSize = options.pageSize ?? PAGE;
  let after: { at: number; id: number } | null = null;
  for (;;) {
    let q = store.db
      .selectFrom('audit_events')
      .select(['id', 'at', 'event', 'outcome', 'details'])
      .where('at', '>=', period.from)
      .where('at', '<', period.to)
      .where((eb) =>
        eb.or([eb('event', 'in', Object.keys(activityEvents)), eb.and([eb('event', '=', 'method_verified'), eb('outcome', 'in', ['failure', 'blocked'])])]),
      );
    if (after) {
      const last = after;
      q = q.where((eb) => eb.or([eb('at', '>', last.at), eb.and([eb('at', '=', last.at), eb('id', '>', last.id)])]));
    }
    const rows = await q.orderBy('at').orderBy('id').limit(pageSize).execute();
    for (const r of rows) {
      if (!isActivityOutcome(r.outcome)) continue;
      const kind = activityEvents[r.event];
      const details = parseDetails(r.details);
      if (kind) {
        const day = days[Math.floor((Number(r.at) - period.from) / DAY)];
        if (day) day.counts[kind][r.outcome] += 1;
        totals[kind][r.outcome] += 1;
        if (r.outcome === 'success' && (kind === 'reset' || kind === 'unlock') && typeof details['method'] === 'string') {
          const used = new Set(
            details['method']
              .split(',')
              .map((m) => m.trim())
              .filter((m) => m.length > 0 && m.length <= 64),
          );
          for (const m of used) {
            let u = methodUse.get(m);
            if (!u) methodUse.set(m, (u = { method: m, reset: 0, unlock: 0 }));
            u[kind] += 1;
          }
        }
      }
      if (r.outcome !== 'success' && reasonEvents.includes(r.event)) {
        const given = typeof details['reason'] === 'string' ? details['reason'].trim().slice(0, 64) : '';
        const reason = given || (r.outcome === 'blocked' ? 'blocked' : UNSPECIFIED_REASON);
        let entry = reasons.get(reason);
        if (!entry) reasons.set(reason, (entry = { count: 0, events: new Map() }));
        entry.count += 1;
        entry.events.set(r.event, (entry.events.get(r.event) ?? 0) + 1);
      }
    }
    if (rows.length < pageSize) break;
    const last = rows.at(-1)!;
    after = { at: Number(last.at), id: Number(last.id) };
  }

  const known = gateTypes.map((g) => methodUse.get(g)!);
  const others = [...methodUse.values()].filter((u) => !gateTypes.includes(u.method as GateType)).sort((a, b) => b.reset + b.unlock - (a.reset + a.unlock) || a.method.localeCompare(b.method));
  const failureReasons = [...reasons.entries()]
    .map(([reason, e]) => ({ reason, count: e.count, events: [...e.events.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([ev]) => ev) }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
    .slice(0, options.topReasons ?? 10);
  return { period, days, totals, byMethod: [...known, ...others], failureReasons };
}

/** Column names of the activity CSV, after "date": reset_success, reset_failure, … change_blocked. */
/** What the reports page reads, bound to a store and the group store by the composition root. */
export interface ReportQueries {
  coverage(policy: Policy): Promise<Coverage>;
  activity(period: Period): Promise<ActivityReport>;
}

export function reportQueries(store: Store, groups: GroupMembership): ReportQueries {
  return { coverage: (policy) => registrationCoverage(store, groups, policy), activity: (period) => activityReport(store, period) };
}

export const activityCsvColumns = activityKinds.flatMap((k) => activityOutcomes.map((o) => `${k}_${o}`));
