/**
 * Time constraints (Aodh's within_time_constraint): an alarm with
 * constraints is evaluated only while one of them is active, i.e. `now` is
 * within `duration` seconds after the latest start its cron expression gives
 * in its time zone (a start in the current minute counts).
 */
import { CronExpressionParser } from 'cron-parser';
import type { TimeConstraint } from '../model.js';

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The error message for an invalid cron expression, or null when it is valid. */
export function cronError(expression: string): string | null {
  try {
    CronExpressionParser.parse(expression);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** True when there are no constraints or one is active at `now` (ms). */
export function withinTimeConstraints(constraints: readonly TimeConstraint[], now: number): boolean {
  if (constraints.length === 0) return true;
  for (const tc of constraints) {
    const tz = tc.timezone || 'UTC';
    // the latest start at or before now, minute precision as croniter's exact match
    const at = new Date(Math.floor(now / 60_000) * 60_000 + 59_999);
    const latest = CronExpressionParser.parse(tc.start, { currentDate: at, tz }).prev().getTime();
    if (latest <= now && now <= latest + Math.max(tc.duration * 1000, 59_999)) return true;
  }
  return false;
}
