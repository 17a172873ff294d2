/**
 * Statistics read straight from the store (all-in-one mode): the same reads
 * Aodh makes over HTTP, without the HTTP. A batch resolves all its
 * (resource, metric name) pairs in one index query and all its resource
 * searches once each; the series come from the engine, which answers from
 * memory-mapped LMDB.
 */
import { pyRepr } from '../../tsdb/python-repr.js';
import { checkSearchFilter } from '../../tsdb/api/search-filter.js';
import { ALL_METHODS } from '../../tsdb/archive-policy.js';
import { type SeriesRef, aggregateAcross } from '../../tsdb/cross-aggregate.js';
import type { Engine } from '../../tsdb/engine.js';
import { AggregationNotFoundError, MetricNotFoundError, UnaggregableSeriesError } from '../../tsdb/errors.js';
import { fnmatch } from '../../tsdb/index/archive-policies.js';
import { NoSuchResourceType } from '../../tsdb/index/errors.js';
import type { Index } from '../../tsdb/index/index.js';
import { isUuid } from '../../tsdb/index/metrics.js';
import type { OperationNode } from '../../tsdb/operations.js';
import { StorePromql } from './promql-statistics.js';
import type { Datapoint, GnocchiRequest, StatisticsRequest, StatisticsResult, StatisticsSource } from './statistics-source.js';

/** Python's str.lstrip('rate:'): strips those characters, as Aodh does to name the per-metric method. */
export function lstripRate(method: string): string {
  let i = 0;
  while (i < method.length && 'rate:'.includes(method[i])) i++;
  return method.slice(i);
}

/**
 * The operations for an aggregate of one method across metrics. Aodh 15
 * sends one `["metric", id, method]` operand per metric, which Gnocchi 4.4
 * refuses when there are several (`aggregate` takes one operand): its
 * multi-metric alarms never leave insufficient data. tally sends Gnocchi's
 * form for several metrics, `["metric", [id, method], [id, method]…]`.
 */
export function aggregateOperations(method: string, metrics: readonly string[]): OperationNode {
  const per = lstripRate(method);
  const operand = metrics.length === 1 ? ['metric', metrics[0], per] : ['metric', ...metrics.map((m) => [m, per])];
  return ['aggregate', method, operand] as unknown as OperationNode;
}

const failed = (message: string): StatisticsResult => ({ ok: false, failure: { kind: 'error', message } });

export class InProcessSource implements StatisticsSource {
  private readonly promql: StorePromql;

  constructor(
    private readonly engine: Engine,
    private readonly index: Index,
  ) {
    this.promql = new StorePromql(engine, index);
  }

  async aggregationMethods(): Promise<readonly string[]> {
    return [...ALL_METHODS];
  }

  async read(requests: readonly StatisticsRequest[]): Promise<StatisticsResult[]> {
    const metricIds = await this.resolveResourceMetrics(requests);
    const searches = new Map<string, ReturnType<InProcessSource['search']>>();
    const out: StatisticsResult[] = [];
    for (const r of requests) {
      try {
        if (r.kind === 'promql') out.push(await this.promql.read(r));
        else if (r.kind === 'resource') out.push(this.readResource(r, metricIds));
        else if (r.kind === 'metrics') out.push(this.readAggregate(r, r.metrics.map((m) => ({ metricId: m.toLowerCase(), method: lstripRate(r.aggregation), name: m })), r.metrics));
        else {
          const key = `${r.resourceType}|${JSON.stringify(r.query)}`;
          let found = searches.get(key);
          if (!found) searches.set(key, (found = this.search(r.resourceType, r.query)));
          const metrics = await found;
          if (metrics instanceof Error) {
            out.push(failed(metrics.message));
            continue;
          }
          const refs: SeriesRef[] = [];
          for (const m of metrics) {
            if (fnmatch(m.name, r.metric)) refs.push({ metricId: m.metricId, method: lstripRate(r.aggregation), name: r.metric, resourceId: m.resourceId });
          }
          if (refs.length === 0) {
            // as gnocchiclient prints Gnocchi's answer: the description, then the status
            out.push(failed(`${pyRepr({ cause: 'Metrics not found', detail: [r.metric] })} (HTTP 400)`));
            continue;
          }
          out.push(this.readAggregate(r, refs, [r.metric]));
        }
      } catch (err) {
        out.push(failed((err as Error).message));
      }
    }
    return out;
  }

  async checkResourcesQuery(r: Extract<GnocchiRequest, { kind: 'resources' }>): Promise<[number, string] | null> {
    const found = await this.search(r.resourceType, r.query);
    if (found instanceof Error) return [400, found.message];
    return null;
  }

  /** (resource id, metric name) → metric id, for every 'resource' request, in one query. */
  private async resolveResourceMetrics(requests: readonly StatisticsRequest[]): Promise<Map<string, string | null>> {
    const ids = new Set<string>();
    for (const r of requests) if (r.kind === 'resource' && isUuid(r.resourceId)) ids.add(r.resourceId.toLowerCase());
    const out = new Map<string, string | null>();
    if (ids.size === 0) return out;
    const rows = await this.index.sql.query<{ rid: string; name: string | null; id: string | null }>(
      'SELECT r.id AS rid, m.name, m.id FROM resource r LEFT JOIN metric m ON m.resource_id = r.id WHERE r.id = ANY($1::uuid[])',
      [[...ids]],
    );
    for (const row of rows) {
      if (!out.has(`${row.rid}|`)) out.set(`${row.rid}|`, null);
      if (row.name !== null) out.set(`${row.rid}|${row.name}`, row.id);
    }
    return out;
  }

  private readResource(r: Extract<StatisticsRequest, { kind: 'resource' }>, metricIds: Map<string, string | null>): StatisticsResult {
    const rid = r.resourceId.toLowerCase();
    if (!metricIds.has(`${rid}|`)) return { ok: false, failure: { kind: 'resource-not-found' } };
    const metricId = metricIds.get(`${rid}|${r.metric}`);
    if (!metricId) return { ok: false, failure: { kind: 'metric-not-found' } };
    try {
      const s = this.engine.read(metricId, { method: r.aggregation, granularity: r.granularity * 1e6, from: r.start, to: r.stop });
      const points: Datapoint[] = new Array(s.length);
      const g = s.aggregation.granularity / 1e6;
      for (let i = 0; i < s.length; i++) points[i] = [s.ts[i], g, s.values[i]];
      return { ok: true, points };
    } catch (err) {
      if (err instanceof AggregationNotFoundError) return { ok: false, failure: { kind: 'not-found' } };
      if (err instanceof MetricNotFoundError) return { ok: false, failure: { kind: 'metric-not-found' } };
      throw err;
    }
  }

  private readAggregate(r: GnocchiRequest, refs: SeriesRef[], names: readonly string[]): StatisticsResult {
    if (r.kind === 'metrics' && refs.some((ref) => !isUuid(ref.metricId) || !this.engine.hasMetric(ref.metricId))) return { ok: false, failure: { kind: 'not-found' } };
    try {
      const result = aggregateAcross(this.engine, refs, aggregateOperations(r.aggregation, names), {
        from: r.start,
        to: r.stop,
        granularities: [r.granularity * 1e6],
        neededOverlap: 0,
        fill: null,
      });
      if (result.kind !== 'aggregated') return failed('unexpected aggregation result');
      return { ok: true, points: result.points.map(([t, g, v]) => [t, g / 1e6, v] as const) };
    } catch (err) {
      if (err instanceof AggregationNotFoundError) return { ok: false, failure: { kind: 'not-found' } };
      if (err instanceof MetricNotFoundError) return { ok: false, failure: { kind: 'metric-not-found' } };
      if (err instanceof UnaggregableSeriesError) return failed(`${err.reason} (HTTP 400)`);
      throw err;
    }
  }

  /** The metrics of the resources a by-resources rule's search finds. */
  private async search(type: string, query: Readonly<Record<string, unknown>>): Promise<{ resourceId: string; name: string; metricId: string }[] | Error> {
    try {
      return await this.index.resources.metricsOfMatching(type, checkSearchFilter(query, ''));
    } catch (err) {
      if (err instanceof NoSuchResourceType) return new Error(`Resource type ${type} does not exist`);
      return err as Error;
    }
  }
}
