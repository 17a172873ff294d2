/**
 * JSON written the way Gnocchi's Python server writes it (json.dumps defaults):
 * ", " and ": " separators and non-ASCII characters escaped as \uXXXX. Clients
 * do not care; Gnocchi's test suites and some scripts match on the text.
 */
export function pythonJson(value: unknown, floats = false): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
      // a fraction is a Python float whatever the mode: 1e-05, not 0.00001
      return floats || !Number.isInteger(value) ? pythonFloat(value) : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return asciiString(value);
    case 'object': {
      if (value instanceof MeasureRows) return value.json();
      if (value instanceof PythonFloats) return pythonJson(value.value, true);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ', ' : '') + pythonJson(value[i], floats);
        return `${out}]`;
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return pythonJson((value as { toJSON(): unknown }).toJSON(), floats);
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined) parts.push(`${asciiString(k)}: ${pythonJson(v, floats)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return 'null';
  }
}

function asciiString(s: string): string {
  const json = JSON.stringify(s);
  // eslint-disable-next-line no-control-regex
  // ensure_ascii: everything outside space..tilde that JSON.stringify leaves raw, DEL included
  return /[^\x00-\x7e]/.test(json) ? json.replace(/[^\x00-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/**
 * Marks a value whose numbers are Python floats (measures, granularities):
 * Gnocchi prints them 60.0, 1e-05, 1e+16 where JavaScript would print 60,
 * 0.00001, 10000000000000000.
 */
export class PythonFloats<T = unknown> {
  constructor(readonly value: T) {}
  toJSON(): T {
    return this.value;
  }
}

/** Python's repr() of a float: the shortest round-trip digits, in exponent form below 1e-4 and from 1e16. */
export function pythonFloat(n: number): string {
  // the common cases without toExponential(), which is slow
  const a = Math.abs(n);
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  if (a < 1e16 && a >= 1e-4) return Number.isInteger(n) ? `${n}.0` : String(n);
  const [mantissa, exp] = n.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 16) {
    const fixed = String(n);
    return Number.isInteger(n) ? `${fixed}.0` : fixed;
  }
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/**
 * [timestamp, granularity, value] rows, the shape of every measures answer:
 * written by a plain loop, since they are most of what the API sends
 * (timestamps are ISO text, ASCII; the granularity may be a calendar unit).
 */
export class MeasureRows extends PythonFloats<[string, number | string, number][]> {
  json(): string {
    const rows = this.value;
    let out = '[';
    for (let i = 0; i < rows.length; i++) {
      const [t, g, v] = rows[i];
      out += `${i ? ', ' : ''}["${t}", ${typeof g === 'number' ? pythonFloat(g) : `"${g}"`}, ${pythonJson(v, true)}]`;
    }
    return `${out}]`;
  }
}
