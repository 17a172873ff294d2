/**
 * Time constraints (Aodh's within_time_constraint): an alarm with
 * constraints is evaluated only while one of them is active, i.e. `now` is
 * within `duration` seconds after the latest start its cron expression gives
 * in its time zone, or less than a minute before the next one.
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

/**
 * The expression as cron-parser reads it. Aodh's croniter takes the seconds
 * as a sixth field at the end ("0 9 * * * 30" is 09:00:30); cron-parser
 * wants them first.
 */
function cronParserExpression(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  return fields.length === 6 ? [fields[5], ...fields.slice(0, 5)].join(' ') : expression;
}

/** The error message for an invalid cron expression, or null when it is valid. */
export function cronError(expression: string): string | null {
  try {
    CronExpressionParser.parse(cronParserExpression(expression));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * True when there are no constraints or one is active at `now` (ms), as
 * Aodh's within_time_constraint decides: the latest start before now is at
 * most `duration` seconds ago, or (croniter's "exact match") the start that
 * follows it is less than a minute away, so a constraint is active from a
 * minute before each start.
 */
export function withinTimeConstraints(constraints: readonly TimeConstraint[], now: number): boolean {
  if (constraints.length === 0) return true;
  for (const tc of constraints) {
    const tz = tc.timezone || 'UTC';
    const start = cronParserExpression(tc.start);
    // strictly before now, as croniter's get_prev
    const latest = CronExpressionParser.parse(start, { currentDate: new Date(now), tz }).prev().getTime();
    if (now <= latest + tc.duration * 1000) return true;
    // the start after `latest` is at or after now: less than a minute away when the latest start
    // before now + 1 min is not before now (prev() only: cron-parser's next() gives up across
    // some DST changes, e.g. Lord Howe's half hour)
    const soon = CronExpressionParser.parse(start, { currentDate: new Date(now + 60_000), tz }).prev().getTime();
    if (soon >= now) return true;
  }
  return false;
}
