/**
 * Which stored aggregation stands for a metric's raw samples when PromQL
 * reads it. The store keeps rollups, not samples: a point per granularity
 * bucket, stamped with the bucket's start. A rollup's timespan counts back
 * from the series' newest point, which a query's end (or now, if sooner)
 * stands for: for a query reading [fromMs, toMs], the finest granularity
 * whose timespan covers that reach serves; if none does, the one that
 * reaches furthest back. Of that granularity's
 * methods the first of RAW_METHODS the policy keeps is read: `last` is the
 * sample itself when the granularity is no coarser than the sampling
 * interval (and the latest value of the bucket otherwise, which is what
 * Prometheus's lookback would pick); else `mean` (Ceilometer's policies
 * keep only mean and rate:mean, so a counter reads as its bucket mean).
 */
import type { Aggregation, ArchivePolicy } from '../../tsdb/archive-policy.js';

export const RAW_METHODS: readonly string[] = ['last', 'mean', 'max', 'min', 'median', 'first', 'sum', 'count'];

/** The aggregation to read, or null when the policy keeps none that stands for a sample (only rates, say). */
export function rawAggregation(policy: ArchivePolicy, fromMs: number, toMs: number, nowMs: number): Aggregation | null {
  const method = RAW_METHODS.find((m) => policy.aggregationMethods.includes(m));
  if (method === undefined || policy.definition.length === 0) return null;
  const reach = Math.max(0, Math.min(toMs, nowMs) - fromMs) * 1000;
  const covering = policy.definition.find((d) => d.timespan === null || d.timespan >= reach);
  const chosen = covering ?? policy.definition.reduce((a, b) => ((b.timespan ?? Infinity) > (a.timespan ?? Infinity) ? b : a));
  return { method, granularity: chosen.granularity, timespan: chosen.timespan };
}
