/**
 * The aggregation kernel: groups a sorted series into fixed-width buckets
 * (timestamp floored to the granularity) and reduces each bucket with one
 * method. Semantics follow Gnocchi's carbonara (GroupedTimeSeries), including
 * its floating-point order of operations, so results agree to the last bits.
 */
import { type CalendarUnit, calendarFloor, calendarNext } from './calendar.js';
import type { ParsedMethod } from './archive-policy.js';
import { type Series, lowerBound, reserve } from './series.js';
import type { Micros } from './time.js';

let scratch = new Float64Array(1024);
let derivedTs = new Float64Array(1024);
let derivedValues = new Float64Array(1024);

function sortedCopy(values: Float64Array, from: number, to: number): Float64Array {
  const n = to - from;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  const s = scratch.subarray(0, n);
  s.set(values.subarray(from, to));
  s.sort();
  return s;
}

/**
 * Aggregates points [start, n) of (ts, values) — or, for rate methods, the
 * differences between consecutive points — into buckets of `granularity`, and
 * appends one point per bucket to `out`.
 *
 * `start` is the first bucket to compute (null: from the first point). For
 * rates, the point before a bucket's first point is used if it is no older than
 * `start - granularity`, as Gnocchi does.
 */
export function aggregateInto(
  ts: Float64Array,
  values: Float64Array,
  n: number,
  start: Micros | null,
  granularity: Micros,
  method: ParsedMethod,
  out: Series,
  calendar: CalendarUnit | null = null,
): void {
  let t = ts;
  let v = values;
  let from = start === null ? 0 : lowerBound(ts, n, start);
  let to = n;
  if (method.rate) {
    const d0 = start === null ? 0 : lowerBound(ts, n, start - granularity);
    const m = n - d0 - 1;
    if (m <= 0) return;
    if (derivedTs.length < m) {
      derivedTs = new Float64Array(Math.max(m, derivedTs.length * 2));
      derivedValues = new Float64Array(derivedTs.length);
    }
    for (let i = 0; i < m; i++) {
      derivedTs[i] = ts[d0 + i + 1];
      derivedValues[i] = values[d0 + i + 1] - values[d0 + i];
    }
    t = derivedTs;
    v = derivedValues;
    to = m;
    from = start === null ? 0 : lowerBound(t, m, start);
  }
  if (from >= to) return;
  reserve(out, to - from);
  const base = from; // positions in the grouped series, as numpy sees them
  const q = method.q / 100;
  let i = from;
  while (i < to) {
    const bucket = calendar === null ? Math.floor(t[i] / granularity) * granularity : calendarFloor(t[i], calendar);
    const end = calendar === null ? bucket + granularity : calendarNext(bucket, calendar);
    let j = i + 1;
    while (j < to && t[j] < end) j++;
    const count = j - i;
    let r: number;
    switch (method.base) {
      case 'count':
        r = count;
        break;
      case 'first':
        r = v[i];
        break;
      case 'last':
        r = v[j - 1];
        break;
      case 'sum': {
        let s = 0;
        for (let k = i; k < j; k++) s += v[k];
        r = s;
        break;
      }
      case 'mean': {
        let s = 0;
        for (let k = i; k < j; k++) s += v[k];
        r = s / count;
        break;
      }
      case 'min': {
        let m = v[i];
        for (let k = i + 1; k < j; k++) if (v[k] < m) m = v[k];
        r = m;
        break;
      }
      case 'max': {
        let m = v[i];
        for (let k = i + 1; k < j; k++) if (v[k] > m) m = v[k];
        r = m;
        break;
      }
      case 'std': {
        if (count < 2) { i = j; continue; } // sample std needs two points
        let s = 0;
        for (let k = i; k < j; k++) s += v[k];
        const mean = s / count;
        let ss = 0;
        for (let k = i; k < j; k++) { const d = v[k] - mean; ss += d * d; }
        r = Math.sqrt(ss / (count - 1));
        break;
      }
      case 'median': {
        const s = sortedCopy(v, i, j);
        const lo = count - 1 - (count >> 1);
        const hi = lo + ((count & 1) === 1 ? 0 : 1);
        r = (s[lo] + s[hi]) / 2.0;
        break;
      }
      case 'quantile': {
        const s = sortedCopy(v, i, j);
        // numpy indexes the whole grouped series; keep its offsets for identical rounding
        const offset = i - base;
        const real = offset + (count - 1) * q;
        const fl = Math.floor(real);
        const ce = Math.ceil(real);
        r = fl === ce ? s[fl - offset] : s[fl - offset] * (ce - real) + s[ce - offset] * (real - fl);
        break;
      }
    }
    out.ts[out.length] = bucket;
    out.values[out.length] = r;
    out.length++;
    i = j;
  }
}
