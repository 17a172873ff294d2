/**
 * `/v1/aggregation/…`: the cross-metric aggregation routes Gnocchi kept from
 * before `/v1/aggregates` (and clients such as Aodh and Grafana still call):
 * by metric ids, or by the metric of a name on the resources a search finds.
 * Both become an aggregates operation: (aggregate reaggregation (metric …)).
 */
import { requireMetricsVisible } from '../metric-access.js';
import { MeasureRows, PythonFloats } from '../python-json.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isValidMethod } from '../../archive-policy.js';
import { type Fill, aggregateAcross } from '../../cross-aggregate.js';
import { AggregationNotFoundError, UnaggregableSeriesError } from '../../errors.js';
import { InvalidPagination } from '../../index/errors.js';
import type { Metric } from '../../index/metrics.js';
import { parseUuid } from '../../index/resource-type-schema.js';
import type { Resource } from '../../index/resources.js';
import { type Micros, formatTimestamp, parseTimespanSeconds, pythonSeconds } from '../../time.js';
import type { ApiDeps } from '../app.js';
import { groupResources } from '../group-resources.js';
import { HttpError } from '../http-error.js';
import { parseOperations } from '../operations-schema.js';
import { narrowed, resourcePolicyFilter } from '../policy.js';
import { argumentError, boolParam, listParam, queryTimespan, queryTimestamp } from '../query.js';
import { filterOf } from './resources.js';
import { readMeasures } from './metrics.js';

type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, k: string): string | undefined => (Array.isArray(q[k]) ? (q[k] as string[])[0] : (q[k] as string | undefined));

export async function aggregationLegacyRoutes(app: FastifyInstance, { engine, index }: ApiDeps): Promise<void> {
  /** Gnocchi's get_cross_metric_measures_from_objs. */
  const crossMeasures = async (request: FastifyRequest, metrics: Metric[]): Promise<unknown> => {
    const q = request.query as Query;
    const aggregation = one(q, 'aggregation') ?? 'mean';
    const reaggregation = one(q, 'reaggregation') ?? aggregation;
    let neededOverlap = 100;
    if (one(q, 'needed_overlap') !== undefined) {
      neededOverlap = Number(one(q, 'needed_overlap'));
      if (!Number.isFinite(neededOverlap)) throw argumentError('needed_overlap', 'Must be a number');
    }
    const start = queryTimestamp('start', one(q, 'start'));
    const stop = queryTimestamp('stop', one(q, 'stop'));
    const granularity = queryTimespan('granularity', one(q, 'granularity'));
    let fill: Fill = null;
    const rawFill = one(q, 'fill');
    if (rawFill !== undefined) {
      if (rawFill === 'null' || rawFill === 'dropna') fill = rawFill;
      else if (rawFill.trim() !== '' && Number.isFinite(Number(rawFill))) fill = Number(rawFill);
      else throw argumentError('fill', "Must be a float, 'dropna' or 'null'");
    }
    await requireMetricsVisible(index, request.caller, metrics);
    if (metrics.length === 0) return [];
    const resampleArg = one(q, 'resample');
    let resample: number | undefined;
    if (resampleArg !== undefined) {
      if (granularity === null) throw new HttpError(400, 'A granularity must be specified to resample');
      try {
        resample = parseTimespanSeconds('resample', resampleArg);
      } catch {
        throw new HttpError(400, 'Unable to parse timespan');
      }
    }
    const policies = metrics.map((m) => engine.policyOf(m.id));
    let granularities: Micros[];
    if (granularity !== null) granularities = [granularity];
    else {
      const counts = new Map<Micros, number>();
      for (const p of policies) for (const d of p.definition) counts.set(d.granularity, (counts.get(d.granularity) ?? 0) + 1);
      granularities = [...counts].filter(([, n]) => n === metrics.length).map(([g]) => g);
      if (granularities.length === 0) {
        throw new HttpError(400, { cause: "Metrics can't being aggregated", reason: 'No granularity match', detail: metrics.map((m) => [m.id, aggregation]) });
      }
    }
    metrics.forEach((m, i) => {
      for (const g of granularities) {
        // a method no archive policy could have, or a granularity the metric lacks (a valid method it lacks comes later)
        if (!isValidMethod(aggregation) || !policies[i].definition.some((d) => d.granularity === g)) {
          throw new HttpError(404, `Aggregation method '${aggregation}' at granularity '${pythonSeconds(g)}' for metric ${m.id} does not exist`);
        }
      }
    });
    if (metrics.length === 1) return readMeasures(engine, metrics[0], q as Record<string, string | undefined>);
    if (boolParam(q, 'refresh')) {
      engine.processMetrics(metrics.filter((m) => engine.hasPending(m.id)).map((m) => m.id));
    }
    let series: unknown = ['metric', ...metrics.map((m) => [m.id, aggregation])];
    if (resample !== undefined) series = ['resample', aggregation, resample, series];
    const operations = parseOperations(['aggregate', reaggregation, series]);
    try {
      const r = aggregateAcross(
        engine,
        metrics.map((m) => ({ metricId: m.id, method: aggregation })),
        operations,
        { from: start, to: stop, granularities, neededOverlap, fill },
      );
      if (r.kind !== 'aggregated') return [];
      return new MeasureRows(r.points.filter(([, , v]) => fill !== 'dropna' || Number.isFinite(v)).map(([t, g, v]) => [formatTimestamp(t), g / 1e6, v]));
    } catch (err) {
      if (err instanceof UnaggregableSeriesError) {
        throw new HttpError(400, { cause: "Metrics can't being aggregated", reason: err.reason, detail: new PythonFloats(err.references) });
      }
      if (err instanceof AggregationNotFoundError) {
        throw new HttpError(404, `Aggregation method '${err.method}' at granularity '${pythonSeconds(err.granularity * 1e6)}' for metric ${err.metricId} does not exist`);
      }
      throw err;
    }
  };

  const byIds = async (request: FastifyRequest, ids: unknown): Promise<unknown> => {
    if (!Array.isArray(ids)) throw new HttpError(400, 'Invalid input: expected a list');
    let metricIds: string[];
    try {
      metricIds = ids.map((id) => parseUuid(id));
    } catch {
      throw new HttpError(400, 'Invalid input: badly formed hexadecimal UUID string');
    }
    const metrics = await index.metrics.list({ ids: metricIds });
    const missing = metricIds.find((id) => !metrics.some((m) => m.id === id));
    if (missing) throw new HttpError(404, `Metric ${missing} does not exist`);
    return crossMeasures(request, metrics);
  };

  app.get('/v1/aggregation/metric', async (request) => byIds(request, listParam((request.query as Query).metric)));
  app.post('/v1/aggregation/metric', async (request) => byIds(request, request.body ?? []));

  // a metric name is needed (Gnocchi's routing answers 405 without one)
  app.post('/v1/aggregation/resource/:type/metric', async (_request, reply) => {
    reply.header('allow', 'GET, POST');
    throw new HttpError(405);
  });

  app.post<{ Params: { type: string; name: string } }>('/v1/aggregation/resource/:type/metric/:name', async (request) => {
    await index.resourceTypes.get(request.params.type);
    const q = request.query as Query;
    const groupby = [...new Set(listParam(q.groupby))].sort();
    let resources: Resource[];
    try {
      resources = await index.resources.list(request.params.type, {
        filter: narrowed(filterOf(request), resourcePolicyFilter(request.caller)),
        sorts: groupby,
      });
    } catch (err) {
      if (err instanceof InvalidPagination) throw new HttpError(400, 'Invalid groupby attribute');
      throw err;
    }
    const metricsOf = async (group: Resource[]): Promise<Metric[]> => {
      const ids = group.map((r) => r.metrics[request.params.name]).filter((id): id is string => id !== undefined);
      return ids.length ? index.metrics.list({ ids }) : [];
    };
    if (groupby.length === 0) return crossMeasures(request, await metricsOf(resources));
    const results: { group: Record<string, unknown>; measures: unknown }[] = [];
    for (const { group, resources: members } of groupResources(resources, groupby)) {
      results.push({ group, measures: await crossMeasures(request, await metricsOf(members)) });
    }
    return results;
  });
}
