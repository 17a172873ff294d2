/**
 * Python's conversions of JSON values where definition files (and the
 * agent's exporter labels) rely on them: truth, len(), str() for text
 * traits, int() and float() for typed traits. JSON numbers
 * carry no int/float distinction here, so a whole float prints as an int
 * (Python would print 5.0).
 */
import { isObject } from '../../tsdb/json-object.js';
import { pyRepr, pyStr } from '../../tsdb/python-repr.js';

export { pyRepr, pyStr };

export class ConversionError extends Error {}

/** A JSON object (what Ceilometer's code tests with isinstance(v, dict)). */
export const isMapping = isObject;

/** Python's len(): strings, lists, dicts. */
export function pyLen(v: unknown): number | null {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isMapping(v)) return Object.keys(v).length;
  return null;
}

/** Python's truth value: None, False, 0, '' and empty lists and dicts are false; NaN is true. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  const n = pyLen(v);
  return n === null || n > 0;
}

/** Python's int(); ConversionError where it raises. */
export function pyInt(v: unknown): number {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ConversionError(`cannot convert float ${v} to integer`);
    return Math.trunc(v);
  }
  if (typeof v === 'string' && /^\s*[-+]?\d+(_\d+)*\s*$/.test(v)) return Number(v.replace(/_/g, ''));
  throw new ConversionError(`invalid literal for int() with base 10: ${pyRepr(v)}`);
}

/** Python's float(); ConversionError where it raises. */
export function pyFloat(v: unknown): number {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase().replace(/_/g, '');
    if (/^[-+]?(inf|infinity)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[-+]?nan$/.test(s)) return NaN;
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(s)) return Number(s);
  }
  throw new ConversionError(`could not convert to float: ${pyRepr(v)}`);
}
