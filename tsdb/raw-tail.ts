/**
 * The raw tail of a metric: the unaggregated measures still needed to
 * recompute buckets when late measures arrive (Gnocchi's BoundTimeSerie).
 * It holds whole blocks of the coarsest granularity: the newest block plus
 * `backWindow` blocks behind it. Measures older than that are ignored.
 */
import { type Series, emptySeries, lowerBound } from './series.js';
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
 * which is what Gnocchi keeps. Returns a new series.
 */
export function sortBatch(ts: Float64Array, values: Float64Array, n: number): Series {
  const out = emptySeries(n);
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
  /** the tail after the batch, already truncated to whole blocks */
  readonly tail: Series;
  /** buckets from the one holding this timestamp on must be recomputed */
  readonly recomputeFrom: Micros;
  /** the merged series before truncation: what the recomputation reads */
  readonly merged: Series;
  /** the oldest-block timestamp before this batch (null for a new metric) */
  readonly previousFirstBlock: Micros | null;
  /** ... and after it */
  readonly firstBlock: Micros;
}

/**
 * Adds a sorted, de-duplicated batch to the tail. Batch points older than the
 * tail's oldest block are dropped; a batch point replaces a tail point with
 * the same timestamp.
 */
export function applyBatch(tail: Series, batch: Series, shape: TailShape): TailUpdate {
  let from = 0;
  let previousFirstBlock: Micros | null = null;
  if (tail.length > 0) {
    previousFirstBlock = firstBlockTimestamp(tail, shape);
    from = lowerBound(batch.ts, batch.length, previousFirstBlock);
  }
  const merged = emptySeries(tail.length + batch.length - from);
  const mt = merged.ts;
  const mv = merged.values;
  let i = 0;
  let j = from;
  let n = 0;
  while (i < tail.length && j < batch.length) {
    const a = tail.ts[i];
    const b = batch.ts[j];
    if (a < b) {
      mt[n] = a; mv[n++] = tail.values[i++];
    } else {
      mt[n] = b; mv[n++] = batch.values[j++];
      if (a === b) i++;
    }
  }
  while (i < tail.length) { mt[n] = tail.ts[i]; mv[n++] = tail.values[i++]; }
  while (j < batch.length) { mt[n] = batch.ts[j]; mv[n++] = batch.values[j++]; }
  merged.length = n;

  const recomputeFrom = Math.max(merged.ts[0], batch.ts[0]);
  const firstBlock = firstBlockTimestamp(merged, shape);
  const keepFrom = lowerBound(merged.ts, n, firstBlock);
  const truncated: Series = keepFrom === 0
    ? merged
    : { ts: merged.ts.subarray(keepFrom, n), values: merged.values.subarray(keepFrom, n), length: n - keepFrom };
  return { tail: truncated, recomputeFrom, merged, previousFirstBlock, firstBlock };
}
