/** `/v1/search/resource/<type>`: resources matching a filter (JSON body or `filter=`); `/v1/search/metric`: measures matching a predicate. */
import type { FastifyInstance } from 'fastify';
import { isUuid } from '../../index/metrics.js';
import { InvalidMeasureQuery, type MeasureQueryTree, compileMeasureQuery } from '../../measure-query.js';
import { formatTimestamp, parseTimestamp } from '../../time.js';
import type { ApiDeps } from '../app.js';
import { HttpError, invalidInput } from '../http-error.js';
import { requireMetricsVisible } from '../metric-access.js';
import { PythonFloats } from '../python-json.js';
import { listParam, queryTimespan } from '../query.js';
import { filterOf, listResources } from './resources.js';
import { isObject } from '../../json-object.js';

type Query = Record<string, string | string[] | undefined>;


/** The shape Gnocchi's MetricSearchSchema accepts; 400 "Invalid input" otherwise. */
function checkMeasureQuery(tree: unknown, path: (string | number)[] = []): MeasureQueryTree {
  const bad = (): never => {
    throw invalidInput(`not a valid value${path.length ? ' for dictionary value' : ''}`, path);
  };
  if (!isObject(tree) || Object.keys(tree).length !== 1) return bad();
  const [op, node] = Object.entries(tree)[0];
  if (['and', 'or', '∧', '∨', 'not'].includes(op)) {
    if (!Array.isArray(node)) return bad();
    node.forEach((n, i) => checkMeasureQuery(n, [...path, op, i]));
  } else if (Array.isArray(node)) {
    if (node.length !== 2) return bad();
    node.forEach((n, i) => typeof n === 'number' || checkMeasureQuery(n, [...path, op, i]));
  } else if (typeof node !== 'number') return bad();
  return tree as MeasureQueryTree;
}

export async function searchRoutes(app: FastifyInstance, { engine, index, config }: ApiDeps): Promise<void> {
  // measures of the given metrics whose values satisfy a predicate
  app.post('/v1/search/metric', async (request) => {
    const q = request.query as Query;
    const ids = listParam(q.metric_id).filter(isUuid).map((id) => id.toLowerCase());
    const metrics = ids.length ? await index.metrics.list({ ids }) : [];
    await requireMetricsVisible(index, request.caller, metrics);
    if (request.body === undefined) throw new HttpError(400, 'No query specified in body');
    const tree = checkMeasureQuery(request.body);
    const one = (k: string): string | undefined => listParam(q[k])[0];
    const timestamp = (k: string): number | null => {
      const v = one(k);
      if (v === undefined) return null;
      try {
        return parseTimestamp(k, v);
      } catch {
        throw new HttpError(400, `Invalid value for ${k}`);
      }
    };
    const start = timestamp('start');
    const stop = timestamp('stop');
    let predicate: (v: number) => boolean;
    try {
      predicate = compileMeasureQuery(tree);
    } catch (err) {
      if (err instanceof InvalidMeasureQuery) throw new HttpError(400, err.message);
      throw err;
    }
    const method = one('aggregation') ?? 'mean';
    let granularities = listParam(q.granularity).length
      ? listParam(q.granularity).map((g) => queryTimespan('granularity', g)!).sort((a, b) => b - a)
      : undefined;
    const out: Record<string, [string, number, number][]> = {};
    for (const m of metrics) {
      const policy = engine.policyOf(m.id);
      // (as Gnocchi: without granularities, the first metric's serve for all)
      granularities ??= policy.definition.map((d) => d.granularity).sort((a, b) => b - a);
      for (const g of granularities) {
        if (!policy.aggregationMethods.includes(method) || !policy.definition.some((d) => d.granularity === g)) {
          throw new HttpError(400, { cause: 'Aggregation does not exist', detail: { granularity: g / 1e6, aggregation_method: method } });
        }
      }
      const points: [string, number, number][] = [];
      for (const g of granularities) {
        const series = engine.read(m.id, { method, granularity: g, from: start, to: stop });
        for (let i = 0; i < series.length; i++) if (predicate(series.values[i])) points.push([formatTimestamp(series.ts[i]), g / 1e6, series.values[i]]);
      }
      out[m.id] = points;
    }
    return new PythonFloats(out);
  });

  // only POST searches; an unknown type is still 404 first, as in Gnocchi
  app.get<{ Params: { type: string } }>('/v1/search/resource/:type', async (request, reply) => {
    await index.resourceTypes.get(request.params.type);
    reply.header('allow', 'POST');
    throw new HttpError(405);
  });

  app.post<{ Params: { type: string } }>('/v1/search/resource/:type', async (request, reply) =>
    listResources(index, config.maxLimit, request, reply, filterOf(request)),
  );
}
