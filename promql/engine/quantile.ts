/**
 * Quantiles as Prometheus computes them: of a set of values (quantile(),
 * quantile_over_time) and of classic histogram buckets (histogram_quantile).
 */

/** Ascending with NaN first, the order Prometheus's value heap sorts into. */
function nanFirstAscending(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : -1;
  if (b !== b) return 1;
  return a - b;
}

/** The φ-quantile of values (sorted in place), interpolating between neighbours. */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort(nanFirstAscending);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower] * (1 - weight) + values[upper] * weight;
}

export interface Bucket {
  upperBound: number;
  count: number;
}

/**
 * The φ-quantile from cumulative buckets (sorted here): linear within the
 * bucket, the second-highest bound when it falls in the +Inf bucket, NaN
 * without a +Inf bucket or observations; counts are made monotonic first.
 */
export function bucketQuantile(q: number, buckets: Bucket[]): number {
  if (q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
  if (buckets[buckets.length - 1].upperBound !== Infinity) return NaN;
  // merge buckets with the same bound
  let w = 0;
  for (let r = 1; r < buckets.length; r++) {
    if (buckets[r].upperBound === buckets[w].upperBound) buckets[w] = { upperBound: buckets[w].upperBound, count: buckets[w].count + buckets[r].count };
    else buckets[++w] = buckets[r];
  }
  buckets.length = w + 1;
  let max = buckets[0].count;
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i].count > max) max = buckets[i].count;
    else if (buckets[i].count < max) buckets[i] = { upperBound: buckets[i].upperBound, count: max };
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1].count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // first bucket (among all but the last) whose count reaches the rank
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (buckets[mid].count >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === buckets.length - 1) return buckets[buckets.length - 2].upperBound;
  if (b === 0 && buckets[0].upperBound <= 0) return buckets[0].upperBound;
  let start = 0;
  const end = buckets[b].upperBound;
  let count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upperBound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}
