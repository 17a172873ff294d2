/**
 * Aggregated series are cut into splits of POINTS_PER_SPLIT buckets, keyed by
 * the split's first bucket (Gnocchi's SplitKey), so reads and rewrites touch
 * only the splits they need and retention drops whole splits.
 */
import type { Micros } from './time.js';

export const POINTS_PER_SPLIT = 3600;

export function splitKey(ts: Micros, granularity: Micros): Micros {
  const width = granularity * POINTS_PER_SPLIT;
  return Math.floor(ts / width) * width;
}
