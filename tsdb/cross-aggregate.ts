/**
 * Cross-metric aggregation, the core of Gnocchi's /v1/aggregates: read the
 * same method from several metrics, line their points up on a common time
 * grid per granularity, check how much they overlap (or fill the gaps), then
 * evaluate an operations tree over the grid.
 */
import type { Engine } from './engine.js';
import { AggregationNotFoundError, UnaggregableSeriesError } from './errors.js';
import { type Grid, type LookupKey, type OperationNode, evaluate } from './operations.js';
import type { Series } from './series.js';
import { lowerBound } from './series.js';
import { type Micros, US_PER_SECOND } from './time.js';

/** One series taking part: which metric, which method, and how the operations tree names it. */
export interface SeriesRef {
  readonly metricId: string;
  readonly method: string;
  /** the name the result is keyed by; the metric id when absent */
  readonly name?: string;
  /** the name ["metric", name, method] nodes use, when not `name` (a resource metric's wildcard) */
  readonly lookup?: string;
  /** when set, results are grouped by resource then metric name */
  readonly resourceId?: string;
}

/** null: series must overlap; a number: fill gaps with it; 'null': keep gaps as NaN; 'dropna': drop them from the output. */
export type Fill = null | number | 'null' | 'dropna';

export interface CrossOptions {
  readonly from?: Micros | null;
  readonly to?: Micros | null;
  /** restrict to these granularities; default: every granularity all metrics share */
  readonly granularities?: readonly Micros[] | null;
  /** percent of timestamps where every series has a point; default 100 */
  readonly neededOverlap?: number;
  readonly fill?: Fill;
}

/** [timestamp µs, granularity µs, value] */
export type Point = [Micros, Micros, number];

export type CrossResult =
  | { readonly kind: 'aggregated'; readonly points: Point[] }
  | { readonly kind: 'metrics'; readonly series: Map<string, Map<string, Point[]>> }
  | { readonly kind: 'resources'; readonly series: Map<string, Map<string, Map<string, Point[]>>> };

function keyOf(ref: SeriesRef): LookupKey {
  return [ref.lookup ?? ref.name ?? ref.metricId, ref.method];
}

export interface RefSeries {
  readonly ref: SeriesRef;
  readonly granularity: Micros;
  readonly series: Series;
}

/** Reads every (ref, granularity) series and aggregates them (Gnocchi's processor.get_measures). */
export function aggregateAcross(engine: Engine, refs: readonly SeriesRef[], operations: OperationNode, options: CrossOptions = {}): CrossResult {
  let granularities = options.granularities ?? null;
  if (granularities === null) {
    const counts = new Map<Micros, number>();
    for (const ref of refs) for (const d of engine.policyOf(ref.metricId).definition) counts.set(d.granularity, (counts.get(d.granularity) ?? 0) + 1);
    granularities = [...counts].filter(([, n]) => n === refs.length).map(([g]) => g);
    if (granularities.length === 0) throw new UnaggregableSeriesError(refs.map(keyOf), 'No granularity match');
  }
  const missing: unknown[][] = [];
  for (const ref of refs) {
    const policy = engine.policyOf(ref.metricId);
    if (!policy.aggregationMethods.includes(ref.method)) {
      throw new AggregationNotFoundError(ref.metricId, ref.method, policy.definition[0].granularity / US_PER_SECOND);
    }
    const have = new Set(policy.definition.map((d) => d.granularity));
    const g = granularities.find((x) => !have.has(x));
    if (g !== undefined) missing.push([...keyOf(ref), g / US_PER_SECOND]);
  }
  if (missing.length > 0) throw new UnaggregableSeriesError(missing, 'Granularities are missing');
  const parts: RefSeries[] = [];
  for (const ref of refs) {
    for (const g of granularities) {
      parts.push({ ref, granularity: g, series: engine.read(ref.metricId, { method: ref.method, granularity: g, from: options.from, to: options.to }) });
    }
  }
  return aggregateSeries(parts, operations, options);
}

/** Lines series up and evaluates `operations` (Gnocchi's processor.aggregated). */
export function aggregateSeries(parts: readonly RefSeries[], operations: OperationNode, options: CrossOptions = {}): CrossResult {
  const from = options.from ?? null;
  const to = options.to ?? null;
  const needed = options.neededOverlap ?? 100;
  const fill = options.fill ?? null;
  const bySampling = new Map<Micros, RefSeries[]>();
  for (const p of parts) {
    const list = bySampling.get(p.granularity) ?? [];
    list.push(p);
    bySampling.set(p.granularity, list);
  }
  const samplings = [...bySampling.keys()].sort((a, b) => b - a);
  const results: { granularity: Micros; times: Float64Array; values: Grid; refs: RefSeries[] }[] = [];
  let isAggregated = false;
  for (const sampling of samplings) {
    const list = bySampling.get(sampling)!;
    const sliced = list.map(({ series }) => {
      const lo = from === null ? 0 : lowerBound(series.ts, series.length, Math.floor(from / sampling) * sampling);
      const hi = to === null ? series.length : lowerBound(series.ts, series.length, to);
      return { ts: series.ts.subarray(lo, Math.max(lo, hi)), values: series.values.subarray(lo, Math.max(lo, hi)) };
    });
    const all = new Set<number>();
    for (const s of sliced) for (const t of s.ts) all.add(t);
    let times = Float64Array.from(all).sort();
    const cols = sliced.length;
    const filler = fill === null || fill === 'null' || fill === 'dropna' ? NaN : fill;
    let data = new Float64Array(times.length * cols).fill(filler);
    sliced.forEach((s, c) => {
      let r = 0;
      for (let i = 0; i < s.ts.length; i++) {
        while (times[r] !== s.ts[i]) r++;
        data[r * cols + c] = s.values[i];
      }
    });
    let rows = times.length;
    const lookupKeys = list.map((p) => keyOf(p.ref));
    if (fill === null) {
      const overlap: number[] = [];
      for (let r = 0; r < rows; r++) {
        let full = true;
        for (let c = 0; c < cols; c++) if (Number.isNaN(data[r * cols + c])) { full = false; break; }
        if (full) overlap.push(r);
      }
      if (overlap.length === 0 && needed > 0) throw new UnaggregableSeriesError(lookupKeys, 'No overlap');
      if (rows > 0) {
        let first = 0;
        let last = rows;
        if (to === null && overlap.length > 0) last = overlap[overlap.length - 1] + 1;
        if (from === null && overlap.length > 0) first = overlap[0];
        times = times.subarray(first, last);
        data = data.subarray(first * cols, last * cols);
        rows = last - first;
        const percent = (overlap.length * 100.0) / rows;
        if (percent < needed) {
          throw new UnaggregableSeriesError(
            lookupKeys,
            `Less than ${needed.toFixed(6)}% of datapoints overlap in this timespan (${percent.toFixed(2)}%)`,
          );
        }
      }
    }
    const r = evaluate(operations, sampling, times, { initial: { rows, cols, data }, references: lookupKeys });
    if (typeof r.values === 'number') throw new UnaggregableSeriesError(lookupKeys, 'the operations evaluate to a number, not a series');
    isAggregated = r.isAggregated;
    results.push({ granularity: r.granularity, times: r.times, values: r.values, refs: list });
  }

  const column = (granularity: Micros, times: Float64Array, g: Grid, c: number): Point[] => {
    const out: Point[] = [];
    for (let r = 0; r < g.rows; r++) {
      const v = g.data[r * g.cols + c];
      if (fill === 'dropna' && !Number.isFinite(v)) continue;
      out.push([times[r], granularity, v]);
    }
    return out;
  };

  if (isAggregated) {
    const points: Point[] = [];
    for (const r of results) points.push(...column(r.granularity, r.times, r.values, 0));
    return { kind: 'aggregated', points };
  }
  const byResource = new Map<string, Map<string, Map<string, Point[]>>>();
  const byMetric = new Map<string, Map<string, Point[]>>();
  for (const r of results) {
    r.refs.forEach((p, c) => {
      if (c >= r.values.cols) return; // the tree selected fewer series than were read
      const pts = column(r.granularity, r.times, r.values, c);
      let target: Map<string, Point[]>;
      if (p.ref.resourceId !== undefined) {
        const res = byResource.get(p.ref.resourceId) ?? new Map<string, Map<string, Point[]>>();
        byResource.set(p.ref.resourceId, res);
        const name = p.ref.name ?? p.ref.metricId;
        target = res.get(name) ?? new Map<string, Point[]>();
        res.set(name, target);
      } else {
        const name = p.ref.name ?? p.ref.metricId;
        target = byMetric.get(name) ?? new Map<string, Point[]>();
        byMetric.set(name, target);
      }
      const existing = target.get(p.ref.method) ?? [];
      existing.push(...pts);
      target.set(p.ref.method, existing);
    });
  }
  return byResource.size > 0 ? { kind: 'resources', series: byResource } : { kind: 'metrics', series: byMetric };
}
