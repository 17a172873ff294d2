/**
 * Python's conversions of JSON values where definition files rely on them:
 * str() for text traits, int() and float() for typed traits. JSON numbers
 * carry no int/float distinction here, so a whole float prints as an int
 * (Python would print 5.0).
 */
import { pythonFloat } from '../../tsdb/api/python-json.js';

export class ConversionError extends Error {}

/** A JSON object (what Ceilometer's code tests with isinstance(v, dict)). */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function pyNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? String(n) : pythonFloat(n);
}

/** Python's repr() of a JSON value. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return reprString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`)
    .join(', ')}}`;
}

/** Python's str() of a JSON value. */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
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
