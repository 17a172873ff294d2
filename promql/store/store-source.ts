/**
 * The store as a PromQL SeriesSource: the catalog's series that match and
 * that the caller may see, each read from the rollup that stands for its
 * samples (rollup.ts). Measures still waiting for aggregation are folded
 * first for the series read, as Gnocchi's `refresh` does, so that a query
 * sees what was written before it.
 */
import type { Engine } from '../../tsdb/engine.js';
import type { LabelMatcher, Series, SeriesSource } from '../series-source.js';
import { compileMatchers } from './match.js';
import { rawAggregation } from './rollup.js';
import type { CatalogSeries, SeriesCatalog } from './series-catalog.js';

/** Who asks: an admin sees every series, anyone else those of its project or created by it. */
export interface Viewer {
  readonly isAdmin: boolean;
  readonly projectId: string;
  readonly creator: string;
}

export function visibleTo(viewer: Viewer, s: CatalogSeries): boolean {
  if (viewer.isAdmin || s.creator === viewer.creator) return true;
  if (viewer.projectId === '') return false;
  return s.projectId === viewer.projectId || s.creator.slice(s.creator.indexOf(':') + 1) === viewer.projectId;
}

export class StoreSource implements SeriesSource {
  constructor(
    private readonly engine: Engine,
    private readonly catalog: SeriesCatalog,
    private readonly viewer: Viewer,
  ) {}

  /** The label sets of the matching series the viewer may see (the series and labels endpoints). */
  async labelSets(matchers: readonly LabelMatcher[]): Promise<CatalogSeries[]> {
    const matches = compileMatchers(matchers);
    return (await this.catalog.series()).filter((s) => matches(s.labels) && visibleTo(this.viewer, s));
  }

  async select(matchers: readonly LabelMatcher[], startMs: number, endMs: number, signal?: AbortSignal): Promise<readonly Series[]> {
    const chosen = await this.labelSets(matchers);
    const live = chosen.filter((s) => this.engine.hasMetric(s.metricId));
    // one count first: with nothing pending anywhere (the usual case between writes) no series is looked up
    const pending = this.engine.pendingEntries() === 0 ? [] : live.filter((s) => this.engine.hasPending(s.metricId)).map((s) => s.metricId);
    if (pending.length > 0) this.engine.processMetrics(pending);
    const now = Date.now();
    const out: Series[] = [];
    for (const s of live) {
      signal?.throwIfAborted();
      const agg = rawAggregation(this.engine.policyOf(s.metricId), startMs, endMs, now);
      if (agg === null) continue;
      const points = this.engine.read(s.metricId, { method: agg.method, granularity: agg.granularity, from: startMs * 1000, to: endMs * 1000 + 1 });
      if (points.length === 0) continue;
      // the read's arrays are this call's own copies: µs become ms in place
      const timestamps = points.ts.subarray(0, points.length);
      for (let i = 0; i < timestamps.length; i++) timestamps[i] /= 1000;
      out.push({ labels: s.labels, timestamps, values: points.values.subarray(0, points.length) });
    }
    return out;
  }
}
