/** `/`, `/v1`, `/v1/capabilities`, `/v1/status`. */
import type { FastifyInstance } from 'fastify';
import { ALL_METHODS } from '../../archive-policy.js';
import { CROSS_AGGREGATES } from '../../operations.js';
import type { ApiDeps } from '../app.js';
import { requireAdmin } from '../auth.js';

export async function rootRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {

  app.get('/', async (request) => ({
    build: '4.4.2',
    versions: [{ status: 'CURRENT', links: [{ rel: 'self', href: `${request.baseUrl}/v1/` }], id: 'v1.0', updated: '2015-03-19' }],
  }));

  app.get('/v1', async (request) => ({
    version: '1.0',
    links: [
      { rel: 'self', href: `${request.baseUrl}/v1` },
      ...['aggregates', 'aggregation', 'archive_policy', 'archive_policy_rule', 'batch', 'capabilities', 'influxdb', 'metric', 'resource', 'resource_type', 'search', 'status'].map(
        (rel) => ({ rel, href: `${request.baseUrl}/v1/${rel}` }),
      ),
    ],
  }));

  // the process answers and its storage is open
  app.get('/healthcheck', async (_request, reply) => {
    deps.engine.pendingEntries();
    return reply.code(200).type('text/plain').send('OK');
  });

  app.get('/v1/capabilities', async () => ({
    aggregation_methods: [...ALL_METHODS],
    dynamic_aggregation_methods: [...CROSS_AGGREGATES].sort(),
  }));

  app.get('/v1/status', async (request) => {
    requireAdmin(request.caller);
    const details = !['false', '0', 'no', 'off', 'n'].includes(String((request.query as Record<string, string>).details ?? 'true').toLowerCase());
    const backlog = deps.engine.backlog();
    let measures = 0;
    for (const n of backlog.values()) measures += n;
    return {
      storage: {
        summary: { metrics: backlog.size, measures },
        ...(details ? { measures_to_process: Object.fromEntries(backlog) } : {}),
      },
      metricd: { processors: ['embedded'], statistics: {} },
    };
  });
}
