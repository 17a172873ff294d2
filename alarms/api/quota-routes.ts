/**
 * Aodh's quotas: `GET /v2/quotas[?project_id=]` (a member its own project's;
 * the configured default is recorded on first read, as Aodh does),
 * `POST /v2/quotas` and `DELETE /v2/quotas/{project_id}` for admins.
 */
import type { FastifyInstance } from 'fastify';
import { type QueryString, WsmeError, allValues, invalidField } from '../../tsdb/api/wsme.js';
import type { AlarmApiDeps } from './deps.js';

const RESOURCES = ['alarms'];

export async function quotaRoutes(app: FastifyInstance, { store, settings }: AlarmApiDeps): Promise<void> {
  app.get('/v2/quotas', async (request) => {
    const own = request.caller.projectId;
    const projectId = allValues((request.query as QueryString).project_id)[0] || own;
    if (projectId !== own && !request.caller.isAdmin) throw new WsmeError(401, `Not Authorized to access project ${projectId}`);
    let quotas = await store.quotas(projectId);
    if (quotas.length === 0) quotas = await store.setQuotas(projectId, [{ resource: 'alarms', limit: settings.projectAlarmQuota }]);
    return { project_id: projectId, quotas };
  });

  app.post('/v2/quotas', async (request, reply) => {
    if (!request.caller.isAdmin) throw new WsmeError(403, 'RBAC Authorization Failed');
    const body = request.body as { project_id?: unknown; quotas?: unknown } | undefined;
    if (typeof body?.project_id !== 'string') throw invalidField('project_id', 'None', 'Mandatory field missing.');
    const quotas = (Array.isArray(body.quotas) ? body.quotas : []).map((q: unknown) => {
      const { resource, limit } = (q ?? {}) as { resource?: unknown; limit?: unknown };
      if (typeof resource !== 'string' || !RESOURCES.includes(resource)) throw invalidField('resource', String(resource), `Value should be one of: ${RESOURCES.join(', ')}`);
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < -1) throw invalidField('limit', String(limit), 'Value should be greater or equal to -1');
      return { resource, limit };
    });
    reply.code(201);
    return { project_id: body.project_id, quotas: await store.setQuotas(body.project_id, quotas) };
  });

  app.delete<{ Params: { projectId: string } }>('/v2/quotas/:projectId', async (request, reply) => {
    if (!request.caller.isAdmin) throw new WsmeError(403, 'RBAC Authorization Failed');
    await store.deleteQuotas(request.params.projectId);
    return reply.code(204).send();
  });
}
