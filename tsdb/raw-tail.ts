/**
 * The raw tail of a metric: the unaggregated measures still needed to
 * recompute buckets when late measures arrive (Gnocchi's BoundTimeSerie).
 * It holds whole blocks of the coarsest granularity: the newest block plus
 * `backWindow` blocks behind it. Measures older than that are ignored.
 */
import { type Series, lowerBound, mergeSeries, reserve } from './series.js';
import type { Micros } from './time.js';

export interface TailShape {
  /** the coarsest granularity of the policy */
  readonly blockSize: Micros;
  /** blocks kept behind the newest */
  readonly backWindow: number;
}

/** Start of the oldest block kept, judged from the newest point. */
export function firstBlockTimestamp(tail: Series, shape: TailShape): Micros {
  const last = tail.ts[tail.length - 1];
  return Math.floor(last / shape.blockSize) * shape.blockSize - shape.blockSize * shape.backWindow;
}

/**
 * Sorts a batch by timestamp, then value (numpy's structured sort), and keeps
 * one point per timestamp: the first after sorting, i.e. the smallest value,
 * which is what Gnocchi keeps. Writes into `out` (overwritten).
 */
export function sortBatch(ts: Float64Array, values: Float64Array, n: number, out: Series): Series {
  out.length = 0;
  reserve(out, n);
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (ts[i] <= ts[i - 1]) { sorted = false; break; }
  }
  if (sorted) {
    out.ts.set(ts.subarray(0, n));
    out.values.set(values.subarray(0, n));
    out.length = n;
    return out;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => ts[a] - ts[b] || values[a] - values[b]);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (m > 0 && out.ts[m - 1] === ts[i]) continue;
    out.ts[m] = ts[i];
    out.values[m] = values[i];
    m++;
  }
  out.length = m;
  return out;
}

export interface TailUpdate {
  /** buckets from the one holding this timestamp on must be recomputed */
  readonly recomputeFrom: Micros;
  /** the new tail is merged[keepFrom, merged.length): whole blocks only */
  readonly keepFrom: number;
}

/**
 * Adds a sorted, de-duplicated batch to the tail, writing the union into
 * `merged` (what the recomputation reads). Batch points older than the tail's
 * oldest block are dropped; a batch point replaces a tail point with the same
 * timestamp.
 */
export function applyBatch(tail: Series, batch: Series, shape: TailShape, merged: Series): TailUpdate {
  let from = 0;
  if (tail.length > 0) from = lowerBound(batch.ts, batch.length, firstBlockTimestamp(tail, shape));
  const accepted: Series = { ts: batch.ts.subarray(from), values: batch.values.subarray(from), length: batch.length - from };
  mergeSeries(tail, accepted, merged);
  const recomputeFrom = Math.max(merged.ts[0], batch.ts[0]);
  const keepFrom = lowerBound(merged.ts, merged.length, firstBlockTimestamp(merged, shape));
  return { recomputeFrom, keepFrom };
}
