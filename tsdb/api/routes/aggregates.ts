/** `POST /v1/aggregates` over metrics: the operations language across series. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type CrossResult, type Fill, type Point, aggregateAcross } from '../../cross-aggregate.js';
import { AggregationNotFoundError, UnaggregableSeriesError } from '../../errors.js';
import { isUuid } from '../../index/metrics.js';
import { formatTimestamp } from '../../time.js';
import type { ApiDeps } from '../app.js';
import { metricJson } from '../format.js';
import { HttpError } from '../http-error.js';
import { extractReferences, parseOperations } from '../operations-schema.js';
import { argumentError, queryTimespan, queryTimestamp } from '../query.js';
import { canAccess } from './metrics.js';

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['operations'],
  // operations are checked by parseOperations, which words errors as Gnocchi does
  properties: { operations: {}, search: {}, resource_type: { type: 'string' } },
};

const points = (pts: Point[]): [string, number, number][] => pts.map(([t, g, v]) => [formatTimestamp(t), g / 1e6, v]);

function measuresJson(r: CrossResult): Record<string, unknown> {
  if (r.kind === 'aggregated') return { aggregated: points(r.points) };
  const out: Record<string, Record<string, unknown>> = {};
  if (r.kind === 'metrics') {
    for (const [name, byMethod] of r.series) out[name] = Object.fromEntries([...byMethod].map(([m, p]) => [m, points(p)]));
  }
  return out;
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
  const details = ['true', '1', 'yes', 'on'].includes(String(one('details') ?? '').toLowerCase());
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

export async function aggregatesRoutes(app: FastifyInstance, { engine, index }: ApiDeps): Promise<void> {
  const preValidation = async (request: FastifyRequest): Promise<void> => {
    parsedArgs.set(request, parseArgs(request));
  };
  app.post('/v1/aggregates', { schema: { body: bodySchema }, preValidation }, async (request) => {
    const { details, fill, neededOverlap, start, stop, granularities } = parsedArgs.get(request)!;

    const body = request.body as { operations: unknown; search?: unknown; resource_type?: string };
    if (body.search !== undefined || body.resource_type !== undefined) {
      throw new HttpError(400, { cause: 'Not implemented', reason: 'aggregates over resources (search, resource_type) are not available yet' });
    }
    const operations = parseOperations(body.operations);
    const references = extractReferences(operations);
    if (references.length === 0) {
      throw new HttpError(400, { cause: 'Operations is invalid', reason: "At least one 'metric' is required", detail: body.operations as object });
    }
    const bad = references.find(([m]) => !isUuid(m));
    if (bad) throw new HttpError(400, { cause: 'Invalid metric references', reason: `badly formed hexadecimal UUID string`, detail: references });
    const ids = [...new Set(references.map(([m]) => m.toLowerCase()))];
    const metrics = await Promise.all(ids.map((id) => index.metrics.get(id)));
    const missing = ids.filter((_, i) => metrics[i] === undefined);
    if (missing.length) throw new HttpError(404, { cause: 'Unknown metrics', reason: "Provided metrics don't exists", detail: missing });
    for (const m of metrics) if (!canAccess(request.caller, m!)) throw new HttpError(403);

    let result: CrossResult;
    try {
      result = aggregateAcross(
        engine,
        references.map(([metricId, method]) => ({ metricId: metricId.toLowerCase(), method, name: metricId })),
        operations,
        { from: start, to: stop, granularities, neededOverlap: neededOverlap ?? 100, fill: fill ?? null },
      );
    } catch (err) {
      if (err instanceof UnaggregableSeriesError) {
        throw new HttpError(400, { cause: "Metrics can't being aggregated", reason: err.reason, detail: err.references as unknown[] });
      }
      if (err instanceof AggregationNotFoundError) {
        const ref = references.find(([, a]) => a === err.method);
        throw new HttpError(404, { cause: 'Metrics with unknown aggregation', detail: [[ref?.[0] ?? '', err.method]] });
      }
      throw err;
    }
    const response: Record<string, unknown> = { measures: measuresJson(result) };
    if (details) {
      response.references = await Promise.all(metrics.map(async (m) => metricJson(m!, await index.archivePolicies.get(m!.archivePolicyName))));
    }
    return response;
  });
}
