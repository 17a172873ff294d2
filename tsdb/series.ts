/**
 * A time series as two parallel typed arrays (timestamps in µs, values) plus a
 * length, so hot loops never allocate per point.
 */
import type { Micros } from './time.js';

export interface Series {
  ts: Float64Array;
  values: Float64Array;
  length: number;
}

export function emptySeries(capacity = 16): Series {
  return { ts: new Float64Array(capacity), values: new Float64Array(capacity), length: 0 };
}

export function seriesFrom(ts: ArrayLike<number>, values: ArrayLike<number>): Series {
  return { ts: Float64Array.from(ts), values: Float64Array.from(values), length: ts.length };
}

/** Makes room for `extra` more points, doubling so appends stay amortised O(1). */
export function reserve(s: Series, extra: number): void {
  const need = s.length + extra;
  if (need <= s.ts.length) return;
  let cap = Math.max(16, s.ts.length * 2);
  while (cap < need) cap *= 2;
  const ts = new Float64Array(cap);
  const values = new Float64Array(cap);
  ts.set(s.ts.subarray(0, s.length));
  values.set(s.values.subarray(0, s.length));
  s.ts = ts;
  s.values = values;
}

export function push(s: Series, t: Micros, v: number): void {
  if (s.length === s.ts.length) reserve(s, 1);
  s.ts[s.length] = t;
  s.values[s.length] = v;
  s.length++;
}

/** First index i in [lo, hi) with ts[i] >= t (numpy searchsorted, side left). */
export function lowerBound(ts: Float64Array, hi: number, t: Micros, lo = 0): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i in [lo, hi) with ts[i] > t (numpy searchsorted, side right). */
export function upperBound(ts: Float64Array, hi: number, t: Micros, lo = 0): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Union of two sorted series into `out` (overwritten); where both have a
 * timestamp, `newer` wins.
 */
export function mergeSeries(older: Series, newer: Series, out: Series): Series {
  out.length = 0;
  reserve(out, older.length + newer.length);
  let i = 0;
  let j = 0;
  let n = 0;
  const ot = out.ts;
  const ov = out.values;
  while (i < older.length && j < newer.length) {
    const a = older.ts[i];
    const b = newer.ts[j];
    if (a < b) {
      ot[n] = a; ov[n++] = older.values[i++];
    } else {
      ot[n] = b; ov[n++] = newer.values[j++];
      if (a === b) i++;
    }
  }
  while (i < older.length) { ot[n] = older.ts[i]; ov[n++] = older.values[i++]; }
  while (j < newer.length) { ot[n] = newer.ts[j]; ov[n++] = newer.values[j++]; }
  out.length = n;
  return out;
}
