/**
 * `/v1/resource`: resources per type, their history, their named metrics
 * and those metrics' measures; batch deletion by filter.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ArchivePolicy } from '../../archive-policy.js';
import { InvalidInputError } from '../../errors.js';
import { NoArchivePolicyRuleMatch, NoSuchArchivePolicy, NoSuchMetric, NoSuchResource } from '../../index/errors.js';
import type { FilterTree } from '../../index/filter-sql.js';
import type { Metric } from '../../index/metrics.js';
import type { MetricLink, Resource } from '../../index/resources.js';
import type { Index } from '../../index/index.js';
import type { ApiDeps } from '../app.js';
import type { Caller } from '../auth.js';
import { metricJson, resourceJson } from '../format.js';
import { HttpError, locationOf } from '../http-error.js';
import { parsePage, setNextLink } from '../pagination.js';
import { canChangeMetric, canChangeResource, canSeeMetric, canSeeResource, narrowed, requireAccess, resourcePolicyFilter } from '../policy.js';
import { type ResourceBody, parseMetrics, parseResourceBody, resolveMetrics } from '../resource-body.js';
import { checkPreconditions, withEtag } from '../preconditions.js';
import { boolParam, listParam } from '../query.js';
import { resourceUuid } from '../resource-id.js';
import { checkSearchFilter, parseSearchQuery } from '../search-filter.js';
import { parseMeasures, readMeasures } from './metrics.js';

export const RESOURCE_DEFAULT_SORTS = ['revision_start:asc', 'started_at:asc'];

type Params = { type: string; id: string; name: string };
type Query = Record<string, string | string[] | undefined>;

/** The search filter of a request: a JSON body, or the `filter=` query string. */
export function filterOf(request: FastifyRequest): FilterTree | undefined {
  const body = request.body;
  if (body !== undefined && body !== null && !(typeof body === 'string' && body === '')) return checkSearchFilter(body, request.caller.creator);
  const q = (request.query as Query).filter;
  if (q !== undefined && q !== '') return parseSearchQuery(String(Array.isArray(q) ? q[0] : q), request.caller.creator);
  return undefined;
}

/**
 * One page of the type's resources matching the filter (and what the caller
 * may see), with the next-page link: the listing and the search answer alike.
 */
export async function listResources(
  index: Index,
  maxLimit: number,
  request: FastifyRequest<{ Params: { type: string } }>,
  reply: FastifyReply,
  filter: FilterTree | undefined,
): Promise<Record<string, unknown>[]> {
  const q = request.query as Query;
  const history = boolParam(q, 'history');
  const page = parsePage(q, maxLimit, RESOURCE_DEFAULT_SORTS);
  const list = await index.resources.list(request.params.type, {
    filter: narrowed(filter, resourcePolicyFilter(request.caller)),
    details: boolParam(q, 'details'),
    history,
    ...page,
  });
  const last = list[list.length - 1];
  if (last) setNextLink(request, reply, page, list.length, history ? `${last.id}@${last.revision}` : last.id);
  const attrs = listParam(q.attrs);
  return list.map((r) => resourceJson(r, attrs));
}

export async function resourceRoutes(app: FastifyInstance, { engine, index, config }: ApiDeps): Promise<void> {
  const { resources, resourceTypes } = index;

  const policyOf = async (name: string): Promise<ArchivePolicy> => {
    const p = await index.archivePolicies.get(name);
    if (!p) throw new NoSuchArchivePolicy(name);
    return p;
  };

  /** The metrics a resource names, archive policies resolved through the rules. */
  const metricLinks = async (metrics: NonNullable<ResourceBody['metrics']>): Promise<Record<string, MetricLink>> =>
    resolveMetrics(metrics, async (name) => {
      try {
        return await index.archivePolicies.policyForMetricName(name);
      } catch (err) {
        if (err instanceof NoArchivePolicyRuleMatch) return undefined;
        throw err;
      }
    });

  /** The engine gets the metrics the index created; in a resource body, unknown metrics and policies are bad requests. */
  const indexed = async <T extends { createdMetrics: Metric[] }>(write: () => Promise<T>): Promise<T> => {
    let result: T;
    try {
      result = await write();
    } catch (err) {
      if (err instanceof NoSuchMetric || err instanceof NoSuchArchivePolicy) throw new HttpError(400, err.message);
      throw err;
    }
    for (const m of result.createdMetrics) await engine.createMetric(m.id, await policyOf(m.archivePolicyName));
    return result;
  };

  const dropMetrics = async (ids: readonly string[]): Promise<void> => {
    for (const id of ids) if (engine.hasMetric(id)) await engine.deleteMetric(id);
  };

  /** The resource the URL names (ids mapped like on creation), or 404. */
  const load = async (type: string, rawId: string, caller: Caller): Promise<Resource> => {
    let id: string;
    try {
      id = resourceUuid(rawId, caller.creator);
    } catch (err) {
      if (err instanceof InvalidInputError) throw new NoSuchResource(rawId);
      throw err;
    }
    const r = await resources.get(type, id);
    if (!r) throw new NoSuchResource(id);
    return r;
  };

  // every /v1/resource/<type>… route: an unknown type is 404
  app.addHook('preHandler', async (request) => {
    const type = (request.params as Partial<Params> | undefined)?.type;
    if (type !== undefined && /^\/v1\/(resource|search\/resource)\//.test(request.url)) await resourceTypes.get(type);
  });

  app.get('/v1/resource', async (request) => {
    const base = locationOf(request, '/v1/resource/');
    return Object.fromEntries((await resourceTypes.list()).map((t) => [t.name, base + t.name]));
  });

  app.post<{ Params: Params }>('/v1/resource/:type', async (request, reply) => {
    const type = await resourceTypes.get(request.params.type);
    const body = parseResourceBody(request.body, type, request.caller.creator, true);
    const metrics = body.metrics && (await metricLinks(body.metrics));
    const [originalResourceId, id] = body.id!;
    const { resource } = await indexed(() =>
      resources.create(type.name, {
        id,
        originalResourceId,
        creator: request.caller.creator,
        startedAt: body.startedAt,
        endedAt: body.endedAt,
        userId: body.userId,
        projectId: body.projectId,
        attributes: body.attributes,
        metrics,
      }),
    );
    return withEtag(reply, resource)
      .code(201)
      .header('location', locationOf(request, `/v1/resource/${encodeURIComponent(type.name)}/${resource.id}`))
      .send(resourceJson(resource));
  });

  app.get<{ Params: Params }>('/v1/resource/:type', async (request, reply) => listResources(index, config.maxLimit, request, reply, undefined));

  app.delete<{ Params: Params }>('/v1/resource/:type', async (request) => {
    const filter = filterOf(request);
    if (!filter || Object.keys(filter).length === 0) {
      throw new HttpError(400, `caution: the query can not be empty, or it will ${' '.repeat(18)}delete entire database`);
    }
    const { deleted, metricIds } = await resources.deleteMatching(request.params.type, narrowed(filter, resourcePolicyFilter(request.caller))!);
    await dropMetrics(metricIds);
    return { deleted };
  });

  app.get<{ Params: Params }>('/v1/resource/:type/:id', async (request, reply) => {
    const r = await load(request.params.type, request.params.id, request.caller);
    requireAccess(canSeeResource(request.caller, r));
    checkPreconditions(request, r);
    return withEtag(reply, r).send(resourceJson(r));
  });

  app.patch<{ Params: Params }>('/v1/resource/:type/:id', async (request, reply) => {
    const r = await load(request.params.type, request.params.id, request.caller);
    requireAccess(canChangeResource(request.caller, r));
    checkPreconditions(request, r);
    const type = await resourceTypes.get(request.params.type);
    if (request.body === undefined) throw new HttpError(400, { cause: 'Unable to decode body', reason: 'Expected object or value', detail: [] });
    const body = parseResourceBody(request.body, type, request.caller.creator, false);
    const changed =
      (body.startedAt !== undefined && body.startedAt !== r.startedAt) ||
      (body.endedAt !== undefined && body.endedAt !== r.endedAt) ||
      (body.userId !== undefined && body.userId !== r.userId) ||
      (body.projectId !== undefined && body.projectId !== r.projectId) ||
      Object.entries(body.attributes).some(([k, v]) => r.attributes[k] !== v);
    if (!changed && body.metrics === undefined) return withEtag(reply, r).send(resourceJson(r));
    const metrics = body.metrics && (await metricLinks(body.metrics));
    const { resource } = await indexed(() =>
      resources.update(type.name, r.id, {
        startedAt: body.startedAt,
        endedAt: body.endedAt,
        userId: body.userId,
        projectId: body.projectId,
        attributes: body.attributes,
        metrics,
        createRevision: changed,
      }),
    );
    return withEtag(reply, resource).send(resourceJson(resource));
  });

  app.delete<{ Params: Params }>('/v1/resource/:type/:id', async (request, reply) => {
    const r = await load(request.params.type, request.params.id, request.caller);
    requireAccess(canChangeResource(request.caller, r));
    checkPreconditions(request, r);
    await dropMetrics(await resources.delete(r.id));
    return reply.code(204).send();
  });

  app.get<{ Params: Params }>('/v1/resource/:type/:id/history', async (request, reply) => {
    const q = request.query as Query;
    const page = parsePage(q, config.maxLimit, RESOURCE_DEFAULT_SORTS);
    const r = await load(request.params.type, request.params.id, request.caller);
    requireAccess(canSeeResource(request.caller, r));
    const list = await resources.list(request.params.type, {
      filter: { '=': { id: r.id } },
      details: boolParam(q, 'details'),
      history: true,
      ...page,
    });
    const last = list[list.length - 1];
    if (last) setNextLink(request, reply, page, list.length, `${last.id}@${last.revision}`);
    return list.map((x) => resourceJson(x));
  });

  // ---- a resource's named metrics --------------------------------------------

  const namedMetric = async (request: FastifyRequest<{ Params: Params }>): Promise<{ metric: Metric; resource: Resource }> => {
    const r = await load(request.params.type, request.params.id, request.caller);
    const id = r.metrics[request.params.name];
    const metric = id === undefined ? undefined : await index.metrics.get(id);
    if (!metric) throw new NoSuchMetric(request.params.name);
    return { metric, resource: r };
  };

  app.get<{ Params: Params }>('/v1/resource/:type/:id/metric', async (request) => {
    const r = await load(request.params.type, request.params.id, request.caller);
    requireAccess(canSeeResource(request.caller, r));
    return (await index.metrics.list({ resourceId: r.id })).map((m) => metricJson(m));
  });

  app.post<{ Params: Params }>('/v1/resource/:type/:id/metric', async (request) => {
    const r = await load(request.params.type, request.params.id, request.caller);
    requireAccess(canChangeResource(request.caller, r));
    const metrics = await metricLinks(parseMetrics(request.body, []));
    await indexed(() => resources.update(request.params.type, r.id, { metrics, appendMetrics: true, createRevision: false }));
    return (await index.metrics.list({ resourceId: r.id })).map((m) => metricJson(m));
  });

  app.get<{ Params: Params }>('/v1/resource/:type/:id/metric/:name', async (request) => {
    const { metric, resource } = await namedMetric(request);
    requireAccess(canSeeMetric(request.caller, metric, resource.projectId));
    const generic = (await index.resources.get('generic', resource.id)) ?? null;
    return metricJson(metric, await policyOf(metric.archivePolicyName), generic);
  });

  app.delete<{ Params: Params }>('/v1/resource/:type/:id/metric/:name', async (request, reply) => {
    const { metric } = await namedMetric(request);
    requireAccess(canChangeMetric(request.caller, metric));
    await index.metrics.delete(metric.id);
    await dropMetrics([metric.id]);
    return reply.code(204).send();
  });

  app.get<{ Params: Params }>('/v1/resource/:type/:id/metric/:name/measures', async (request) => {
    const { metric, resource } = await namedMetric(request);
    requireAccess(canSeeMetric(request.caller, metric, resource.projectId));
    return readMeasures(engine, metric, request.query as Record<string, string | undefined>);
  });

  app.post<{ Params: Params }>('/v1/resource/:type/:id/metric/:name/measures', async (request, reply) => {
    const { metric } = await namedMetric(request);
    requireAccess(canChangeMetric(request.caller, metric));
    const { timestamps, values } = parseMeasures(request.body);
    if (timestamps.length > 0) await engine.addMeasures([{ metricId: metric.id, timestamps, values }]);
    return reply.code(202).send();
  });
}
