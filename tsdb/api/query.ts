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

