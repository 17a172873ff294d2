/** `POST /v1/aggregates` over metrics: the operations language across series. */
import { requireMetricsVisible } from '../metric-access.js';
import { MeasureRows, PythonFloats } from '../python-json.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CrossResult, type Fill, type Point, type SeriesRef, aggregateAcross } from '../../cross-aggregate.js';
import { AggregationNotFoundError, UnaggregableSeriesError } from '../../errors.js';
import { isUuid } from '../../index/metrics.js';
import { formatTimestamp } from '../../time.js';
import type { ApiDeps } from '../app.js';
import { metricJson } from '../format.js';
import { HttpError } from '../http-error.js';
import { extractReferences, parseOperations } from '../operations-schema.js';
import { argumentError, boolParam, listParam, queryTimespan, queryTimestamp } from '../query.js';
import type { Engine } from '../../engine.js';
import { fnmatch } from '../../index/archive-policies.js';
import { NoSuchResourceType } from '../../index/errors.js';
import type { Resource } from '../../index/resources.js';
import type { OperationNode } from '../../operations.js';
import { resourceJson } from '../format.js';
import { groupResources } from '../group-resources.js';
import { narrowed, resourcePolicyFilter } from '../policy.js';
import { checkSearchFilter, parseSearchQuery } from '../search-filter.js';
import { RESOURCE_DEFAULT_SORTS } from './resources.js';

interface AggregatesBody {
  operations: unknown;
  search?: unknown;
  resource_type?: string;
}

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['operations'],
  // operations are checked by parseOperations, which words errors as Gnocchi does
  properties: { operations: {}, search: {}, resource_type: { type: 'string' } },
};

const points = (pts: Point[]): MeasureRows => new MeasureRows(pts.map(([t, g, v]) => [formatTimestamp(t), g / 1e6, v]));

function measuresJson(r: CrossResult): Record<string, unknown> {
  if (r.kind === 'aggregated') return { aggregated: points(r.points) };
  const byName = (series: Map<string, Map<string, Point[]>>): Record<string, unknown> =>
    Object.fromEntries([...series].map(([name, byMethod]) => [name, Object.fromEntries([...byMethod].map(([m, p]) => [m, points(p)]))]));
  if (r.kind === 'metrics') return byName(r.series);
  return Object.fromEntries([...r.series].map(([resourceId, series]) => [resourceId, byName(series)]));
}

function parseFill(value: string | undefined): Fill | undefined {
  if (value === undefined) return undefined;
  if (value === 'null' || value === 'dropna') return value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw argumentError('fill', "Must be a float, 'dropna' or 'null'");
  return n;
}

interface AggregatesArgs {
  details: boolean;
  fill: Fill | undefined;
  neededOverlap: number | undefined;
  start: number | null;
  stop: number | null;
  granularities: number[] | null;
}

/** The query string, checked before the body as Gnocchi does. */
function parseArgs(request: FastifyRequest): AggregatesArgs {
  const q = request.query as Record<string, string | string[] | undefined>;
  const one = (k: string): string | undefined => (Array.isArray(q[k]) ? (q[k] as string[])[0] : (q[k] as string | undefined));
  const details = boolParam(q, 'details');
  let fill = parseFill(one('fill'));
  let neededOverlap: number | undefined;
  if (one('needed_overlap') !== undefined) {
    neededOverlap = Number(one('needed_overlap'));
    if (!Number.isFinite(neededOverlap)) throw argumentError('needed_overlap', 'Must be a number');
  }
  if (fill === undefined && neededOverlap === undefined) fill = 'dropna';
  const start = queryTimestamp('start', one('start'));
  const stop = queryTimestamp('stop', one('stop'));
  const granularityArgs = q.granularity === undefined ? [] : [q.granularity].flat();
  const granularities = granularityArgs.length ? granularityArgs.map((g) => queryTimespan('granularity', g)!) : null;
  return { details, fill, neededOverlap, start, stop, granularities };
}

const parsedArgs = new WeakMap<FastifyRequest, AggregatesArgs>();

/** Gnocchi's answers to a cross-aggregation that cannot be computed. */
function crossAggregate(engine: Engine, refs: SeriesRef[], operations: OperationNode, args: AggregatesArgs): CrossResult {
  try {
    return aggregateAcross(engine, refs, operations, {
      from: args.start,
      to: args.stop,
      granularities: args.granularities,
      neededOverlap: args.neededOverlap ?? 100,
      fill: args.fill ?? null,
    });
  } catch (err) {
    if (err instanceof UnaggregableSeriesError) {
      throw new HttpError(400, { cause: "Metrics can't being aggregated", reason: err.reason, detail: new PythonFloats(err.references) });
    }
    if (err instanceof AggregationNotFoundError) {
      throw new HttpError(404, { cause: 'Metrics with unknown aggregation', detail: [[err.metricId, err.method]] });
    }
    throw err;
  }
}

const noSuchMetrics = (references: [string, string][]): HttpError =>
  new HttpError(400, { cause: 'Metrics not found', detail: [...new Set(references.map(([m]) => m))] });

export async function aggregatesRoutes(app: FastifyInstance, { engine, index }: ApiDeps): Promise<void> {
  const preValidation = async (request: FastifyRequest): Promise<void> => {
    parsedArgs.set(request, parseArgs(request));
  };

  /** Aggregates across the named metrics of the resources a search finds, optionally per group of resources. */
  const overResources = async (request: FastifyRequest, body: AggregatesBody, operations: OperationNode, references: [string, string][]): Promise<unknown> => {
    const args = parsedArgs.get(request)!;
    try {
      await index.resourceTypes.get(body.resource_type!);
    } catch (err) {
      if (err instanceof NoSuchResourceType) throw new HttpError(400, { cause: 'Resource type does not exist', detail: body.resource_type });
      throw err;
    }
    const search =
      typeof body.search === 'string' ? parseSearchQuery(body.search, request.caller.creator) : checkSearchFilter(body.search ?? {}, request.caller.creator);
    const q = request.query as Record<string, string | string[] | undefined>;
    const groupby = [...new Set(listParam(q.groupby))].sort();
    const resources = await index.resources.list(body.resource_type!, {
      filter: narrowed(search, resourcePolicyFilter(request.caller)),
      sorts: groupby.length ? groupby : RESOURCE_DEFAULT_SORTS,
    });
    const measuresOf = (group: Resource[]): Record<string, unknown> | undefined => {
      const refs: SeriesRef[] = [];
      for (const r of group) {
        for (const [wildcard, method] of references) {
          for (const [name, metricId] of Object.entries(r.metrics)) {
            if (fnmatch(name, wildcard)) refs.push({ metricId, method, name, lookup: wildcard, resourceId: r.id });
          }
        }
      }
      if (refs.length === 0) return undefined;
      const out: Record<string, unknown> = { measures: new PythonFloats(measuresJson(crossAggregate(engine, refs, operations, args))) };
      if (args.details) out.references = group.filter((r) => refs.some((ref) => ref.resourceId === r.id)).map((r) => resourceJson(r));
      return out;
    };
    if (groupby.length === 0) {
      const out = measuresOf(resources);
      if (!out) throw noSuchMetrics(references);
      return out;
    }
    const results: { group: Record<string, unknown>; measures: unknown }[] = [];
    for (const { group, resources: members } of groupResources(resources, groupby)) {
      const out = measuresOf(members);
      if (out) results.push({ group, measures: out });
    }
    if (results.length === 0) throw noSuchMetrics(references);
    return results;
  };

  app.post('/v1/aggregates', { schema: { body: bodySchema }, preValidation }, async (request) => {
    const args = parsedArgs.get(request)!;
    const body = request.body as AggregatesBody;
    const operations = parseOperations(body.operations);
    const references = extractReferences(operations);
    if (references.length === 0) {
      throw new HttpError(400, { cause: 'Operations is invalid', reason: "At least one 'metric' is required", detail: body.operations as object });
    }
    if (body.resource_type !== undefined) return overResources(request, body, operations, references);

    const bad = references.find(([m]) => !isUuid(m));
    if (bad) throw new HttpError(400, { cause: 'Invalid metric references', reason: `badly formed hexadecimal UUID string`, detail: references });
    const ids = [...new Set(references.map(([m]) => m.toLowerCase()))];
    const found = new Map((await index.metrics.list({ ids })).map((m) => [m.id, m]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) throw new HttpError(404, { cause: 'Unknown metrics', reason: "Provided metrics don't exists", detail: missing });
    const metrics = ids.map((id) => found.get(id)!);
    await requireMetricsVisible(index, request.caller, metrics);
    const result = crossAggregate(
      engine,
      references.map(([metricId, method]) => ({ metricId: metricId.toLowerCase(), method, name: metricId })),
      operations,
      args,
    );
    const response: Record<string, unknown> = { measures: new PythonFloats(measuresJson(result)) };
    if (args.details) {
      response.references = await Promise.all(metrics.map(async (m) => metricJson(m, await index.archivePolicies.get(m.archivePolicyName))));
    }
    return response;
  });
}
