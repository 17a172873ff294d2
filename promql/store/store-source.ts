/**
 * The store as a PromQL SeriesSource: the catalog's series that match and
 * that the caller may see, each read from the rollup that stands for its
 * samples (rollup.ts). Measures still waiting for aggregation are folded
 * first for the series read, as Gnocchi's `refresh` does, so that a query
 * sees what was written before it.
 */
import type { Engine } from '../../tsdb/engine.js';
import { emptySeries } from '../../tsdb/series.js';
import type { LabelMatcher, Series, SeriesSource } from '../series-source.js';
import { compileMatchers } from '../label-matchers.js';
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
    // every series into one buffer (views of it handed out once it stops growing): no arrays per series
    const buffer = emptySeries(Math.min(live.length * 64, 1 << 20));
    const spans: { labels: CatalogSeries['labels']; first: number; length: number }[] = [];
    for (const s of live) {
      signal?.throwIfAborted();
      const agg = rawAggregation(this.engine.policyOf(s.metricId), startMs, endMs, now);
      if (agg === null) continue;
      const first = this.engine.appendPoints(s.metricId, agg.method, agg.granularity, startMs * 1000, endMs * 1000 + 1, buffer);
      if (buffer.length > first) spans.push({ labels: s.labels, first, length: buffer.length - first });
    }
    const ts = buffer.ts;
    // stored in µs, PromQL's in ms
    for (let i = 0; i < buffer.length; i++) ts[i] /= 1000;
    const out: Series[] = [];
    for (const { labels, first, length } of spans) {
      out.push({ labels, timestamps: ts.subarray(first, first + length), values: buffer.values.subarray(first, first + length) });
    }
    return out;
  }
}
