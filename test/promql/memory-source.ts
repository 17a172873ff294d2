/** A SeriesSource over samples held in memory, matching selectors as Prometheus's storage does. */
import { compileMatchers } from '../../promql/label-matchers.js';
import type { LabelMatcher, Labels, Series, SeriesSource } from '../../promql/series-source.js';

export interface MemorySeries {
  readonly labels: Labels;
  readonly timestamps: ArrayLike<number>;
  /** a Float64Array keeps NaN bit patterns (stale markers) that a plain array may not */
  readonly values: ArrayLike<number>;
}

export class MemorySource implements SeriesSource {
  private readonly series: Series[];
  /** how many select() calls were made, for checking that a query fetches once per selector */
  selects = 0;

  constructor(series: readonly MemorySeries[]) {
    this.series = series.map((s) => ({
      labels: [...s.labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      timestamps: Float64Array.from(s.timestamps),
      values: s.values instanceof Float64Array ? s.values.slice() : Float64Array.from(s.values),
    }));
  }

  async select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): Promise<readonly Series[]> {
    this.selects++;
    const out: Series[] = [];
    const matches = compileMatchers(matchers);
    for (const s of this.series) {
      if (!matches(s.labels)) continue;
      let lo = 0;
      while (lo < s.timestamps.length && s.timestamps[lo] < startMs) lo++;
      let hi = lo;
      while (hi < s.timestamps.length && s.timestamps[hi] <= endMs) hi++;
      if (hi > lo) out.push({ labels: s.labels, timestamps: s.timestamps.subarray(lo, hi), values: s.values.subarray(lo, hi) });
    }
    return out;
  }
}
