/**
 * Calendar buckets for resampling (`resample=Y|H|Q|M|W`), in UTC as
 * Gnocchi's calendar.py groups them: year, half-year, quarter, month, and
 * weeks starting on Sunday.
 */
import type { Micros } from './time.js';

export type CalendarUnit = 'Y' | 'H' | 'Q' | 'M' | 'W';

export const isCalendarUnit = (s: string): s is CalendarUnit => s === 'Y' || s === 'H' || s === 'Q' || s === 'M' || s === 'W';

const DAY = 86_400_000_000;
const MONTHS: Record<Exclude<CalendarUnit, 'W'>, number> = { Y: 12, H: 6, Q: 3, M: 1 };

/** Start of the bucket holding `t`. */
export function calendarFloor(t: Micros, unit: CalendarUnit): Micros {
  if (unit === 'W') {
    // numpy counts weeks from the epoch's Thursday; shifting by 4 days makes them start on Sunday
    const day = Math.floor(t / DAY);
    return (Math.floor((day + 4) / 7) * 7 - 4) * DAY;
  }
  const d = new Date(Math.floor(t / 1000));
  const months = MONTHS[unit];
  return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / months) * months, 1) * 1000;
}

/** Start of the bucket after the one starting at `bucket`. */
export function calendarNext(bucket: Micros, unit: CalendarUnit): Micros {
  if (unit === 'W') return bucket + 7 * DAY;
  const d = new Date(bucket / 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + MONTHS[unit], 1) * 1000;
}
