/** Query-string arguments as Gnocchi parses and rejects them ("Argument value error"). */
import { type Micros, parseTimespanSeconds, parseTimestamp, secondsToMicros } from '../time.js';
import { HttpError } from './http-error.js';

export function argumentError(detail: string, reason: string): HttpError {
  return new HttpError(400, { cause: 'Argument value error', detail, reason });
}

export function queryTimestamp(name: string, value: unknown): Micros | null {
  if (value === undefined || value === null || value === '') return null;
  try {
    return parseTimestamp(name, value);
  } catch {
    throw argumentError(name, 'Must be a datetime or a timestamp');
  }
}

export function queryTimespan(name: string, value: unknown): Micros | null {
  if (value === undefined || value === null || value === '') return null;
  let seconds: number;
  try {
    seconds = parseTimespanSeconds(name, value);
  } catch {
    throw argumentError(name, 'Unable to parse timespan');
  }
  if (seconds <= 0) throw argumentError(name, 'Timespan must be positive');
  return secondsToMicros(seconds);
}


const TRUE = ['true', '1', 'yes', 'on', 'y'];
const FALSE = ['false', '0', 'no', 'off', 'n'];
/** Gnocchi's strtobool for query flags. */
export function boolParam(query: Record<string, unknown>, name: string): boolean {
  const raw = query[name];
  if (raw === undefined) return false;
  const v = String(Array.isArray(raw) ? raw[0] : raw).toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new HttpError(400, `Unable to parse \`${name}': invalid truth value '${v}'`);
}

/** A query argument that may repeat (`?sort=a&sort=b`), as a list. */
export const listParam = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
