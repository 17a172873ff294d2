/**
 * Time inside the store is an integer number of microseconds since the Unix
 * epoch, held in a float64 (exact up to 2^53 µs, year 2255). Gnocchi keeps
 * nanoseconds; microseconds are enough for every client we know and keep all
 * arithmetic in plain doubles.
 */
import { InvalidInputError } from './errors.js';

export type Micros = number;

export const US_PER_SECOND = 1_000_000;

/** floor(ts / g) * g, the start of the bucket holding ts. */
export function floorTo(ts: Micros, granularity: Micros): Micros {
  return Math.floor(ts / granularity) * granularity;
}

export function secondsToMicros(seconds: number): Micros {
  return Math.round(seconds * US_PER_SECOND);
}

/** Seconds as Python prints a float ("60.0", "0.5"): Gnocchi's messages quote granularities so. */
export function pythonSeconds(us: Micros): string {
  const s = us / US_PER_SECOND;
  return Number.isInteger(s) ? `${s}.0` : String(s);
}

const UNITS: Record<string, number> = {
  us: 1e-6, usec: 1e-6, microsecond: 1e-6, microseconds: 1e-6,
  ms: 1e-3, msec: 1e-3, millisecond: 1e-3, milliseconds: 1e-3,
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, wk: 604800, week: 604800, weeks: 604800,
};

/**
 * Parses a timespan the way Gnocchi accepts them: a number of seconds, or
 * text such as "5 minutes", "1h30m", "2 days", "-10 seconds". Returns seconds.
 */
export function parseTimespanSeconds(field: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError(field, 'Unable to parse timespan');
    return value;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidInputError(field, 'Unable to parse timespan');
  }
  const text = value.trim();
  const asNumber = Number(text);
  if (Number.isFinite(asNumber)) return asNumber;
  // "HH:MM:SS" as in Python's str(timedelta), optionally preceded by "N day(s), "
  const clock = /^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (clock) {
    return Number(clock[1] ?? 0) * 86400 + Number(clock[2]) * 3600 + Number(clock[3]) * 60 + Number(clock[4]);
  }
  let sign = 1;
  let rest = text;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1).trim();
  }
  const part = /\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = part.exec(rest)) !== null) {
    const unit = UNITS[m[2].toLowerCase()];
    if (unit === undefined) throw new InvalidInputError(field, 'Unable to parse timespan');
    total += Number(m[1]) * unit;
    matched = part.lastIndex;
  }
  if (matched === 0 || matched !== rest.length) {
    throw new InvalidInputError(field, 'Unable to parse timespan');
  }
  return sign * total;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a timestamp as Gnocchi does: seconds since the epoch (number or
 * numeric string), an ISO 8601 date-time (UTC unless an offset is given),
 * or a timespan relative to now ("-5 minutes"). Returns microseconds.
 */
export function parseTimestamp(field: string, value: unknown, now: () => number = Date.now): Micros {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError(field, `invalid timestamp ${value}`);
    return secondsToMicros(value);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidInputError(field, `unable to parse timestamp ${JSON.stringify(value)}`);
  }
  const text = value.trim();
  const asNumber = Number(text);
  if (Number.isFinite(asNumber)) return secondsToMicros(asNumber);
  // numpy.datetime64's words: the current second, the current day
  if (text === 'now') return Math.floor(now() / 1000) * US_PER_SECOND;
  if (text === 'today') return Math.floor(now() / 86_400_000) * 86_400 * US_PER_SECOND;
  const m = ISO.exec(text);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
    const month = Number(mo);
    const day = Number(d);
    if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
      throw new InvalidInputError(field, `unable to parse timestamp ${JSON.stringify(value)}`);
    }
    let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
    if (tz && tz.toUpperCase() !== 'Z') {
      const t = tz.replace(':', '');
      const offsetMin = (t[0] === '-' ? -1 : 1) * (Number(t.slice(1, 3)) * 60 + Number(t.slice(3, 5)));
      ms -= offsetMin * 60_000;
    }
    const micros = frac === '' ? 0 : Math.floor(Number((frac + '000000').slice(0, 6)));
    return ms * 1000 + micros;
  }
  try {
    return Math.round(now() * 1000 + parseTimespanSeconds(field, text) * US_PER_SECOND);
  } catch {
    throw new InvalidInputError(field, `unable to parse timestamp ${JSON.stringify(value)}`);
  }
}

/** ISO 8601 with offset, as Gnocchi prints timestamps: 2024-01-01T00:00:00+00:00 */
export function formatTimestamp(us: Micros): string {
  const day = Math.floor(us / DAY_US);
  // series are read in order: the date part is the same for runs of points
  if (day !== lastDay) {
    lastDay = day;
    lastDate = new Date(day * 86_400_000).toISOString().slice(0, 11); // 2024-01-01T
  }
  let rest = us - day * DAY_US;
  const h = Math.floor(rest / 3_600_000_000);
  rest -= h * 3_600_000_000;
  const m = Math.floor(rest / 60_000_000);
  rest -= m * 60_000_000;
  const s = Math.floor(rest / US_PER_SECOND);
  const frac = rest - s * US_PER_SECOND;
  const clock = `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}`;
  return frac === 0 ? `${lastDate}${clock}+00:00` : `${lastDate}${clock}.${String(frac).padStart(6, '0')}+00:00`;
}

/** Python's isoformat() of a naive UTC datetime, as Panko and Aodh print times: 2024-01-01T00:00:00 */
export function formatNaiveTimestamp(us: Micros): string {
  return formatTimestamp(us).slice(0, -'+00:00'.length);
}

const DAY_US = 86_400 * US_PER_SECOND;
let lastDay = NaN;
let lastDate = '';
