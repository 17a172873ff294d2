/**
 * Python's view of a JSON-like value, as Ceilometer's exporter sees a
 * sample's fields and metadata: what `str(value)` makes of it
 * (prometheus_client turns every label value into a string with str()).
 * Its truth is collector/definitions/python-values.ts's pyTruthy.
 */
import { isMapping, pyTruthy } from '../../collector/definitions/python-values.js';

/** A plain object (Python dict), or undefined. */
export function dict(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return isMapping(value) ? value : undefined;
}

/**
 * Python's truth of a value, a dict's without listing its keys (pyTruthy
 * makes an array of them): the exporter asks it of every sample's metadata.
 */
export function truthy(value: unknown): boolean {
  if (!isMapping(value)) return pyTruthy(value);
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/**
 * Python's str() of a scalar: strings as they are, None, True, False, and
 * numbers as Python prints an int (JSON does not tell 2 from 2.0; an
 * integral number is taken for an int). Lists and dicts, which no label of
 * the exporter reads in practice, come out as JSON.
 */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return `${value}`;
  }
  return JSON.stringify(value) ?? '';
}
