/** `/v1/search/resource/<type>`: resources matching a filter (JSON body or `filter=`). */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { resourceJson } from '../format.js';
import { HttpError } from '../http-error.js';
import { parsePage, setNextLink } from '../pagination.js';
import { narrowed, resourcePolicyFilter } from '../policy.js';
import { RESOURCE_DEFAULT_SORTS, boolParam, filterOf, listParam } from './resources.js';

type Query = Record<string, string | string[] | undefined>;

export async function searchRoutes(app: FastifyInstance, { index, config }: ApiDeps): Promise<void> {
  // only POST searches; an unknown type is still 404 first, as in Gnocchi
  app.get<{ Params: { type: string } }>('/v1/search/resource/:type', async (request, reply) => {
    await index.resourceTypes.get(request.params.type);
    reply.header('allow', 'POST');
    throw new HttpError(405);
  });

  app.post<{ Params: { type: string } }>('/v1/search/resource/:type', async (request, reply) => {
    const q = request.query as Query;
    const filter = filterOf(request);
    const history = boolParam(q, 'history');
    const details = boolParam(q, 'details');
    const page = parsePage(q, config.maxLimit, RESOURCE_DEFAULT_SORTS);
    const list = await index.resources.list(request.params.type, {
      filter: narrowed(filter, resourcePolicyFilter(request.caller)),
      details,
      history,
      ...page,
    });
    const last = list[list.length - 1];
    if (last) setNextLink(request, reply, page, list.length, history ? `${last.id}@${last.revision}` : last.id);
    const attrs = listParam(q.attrs);
    return list.map((r) => resourceJson(r, attrs));
  });
}
