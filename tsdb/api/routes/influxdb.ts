/**
 * `/v1/influxdb`: Gnocchi's InfluxDB-compatible endpoint, so Telegraf and
 * other InfluxDB writers can send here. A database is a resource type; the
 * `host` tag (or the tag named by X-Gnocchi-InfluxDB-Tag-Resource-ID) names
 * the resource; each numeric field becomes the metric
 * `<measurement>.<field>@<tag>=<value>,…` (other tags sorted).
 */
import type { FastifyInstance } from 'fastify';
import { ResourceTypeAlreadyExists } from '../../index/errors.js';
import type { ApiDeps } from '../app.js';
import { requireAdmin } from '../auth.js';
import { HttpError } from '../http-error.js';
import { parseInfluxLine } from '../influx-line.js';
import { resourceUuid } from '../resource-id.js';
import { writeByResource } from '../resource-upsert.js';

const CREATE_DATABASE = /^\s*create\s+database\s+(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))\s*;?\s*$/i;

export async function influxdbRoutes(app: FastifyInstance, { engine, index }: ApiDeps): Promise<void> {
  // line protocol comes as text
  app.addContentTypeParser(['text/plain', 'application/octet-stream'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get('/v1/influxdb/ping', async (_request, reply) => reply.code(204).header('x-influxdb-version', 'Gnocchi 4.4.2').send());

  app.post('/v1/influxdb/query', async (request, reply) => {
    const q = (request.query as Record<string, string | undefined>).q;
    if (q === undefined) return reply.code(200).send(null);
    const m = CREATE_DATABASE.exec(q);
    if (!m) throw new HttpError(501, { cause: 'Not implemented error', detail: 'q', reason: 'Query not implemented' });
    requireAdmin(request.caller);
    try {
      await index.resourceTypes.create(m[1]?.replace(/\\(.)/g, '$1') ?? m[2], {});
    } catch (err) {
      if (!(err instanceof ResourceTypeAlreadyExists)) throw err;
    }
    return reply.code(204).send();
  });

  app.post('/v1/influxdb/write', async (request, reply) => {
    const db = (request.query as Record<string, string | undefined>).db ?? 'influxdb';
    const tagToResourceId = String(request.headers['x-gnocchi-influxdb-tag-resource-id'] ?? 'host');
    const body = typeof request.body === 'string' ? request.body : '';
    const now = Date.now() * 1000;
    // resource name → metric name → measures
    const resources = new Map<string, Map<string, { timestamps: number[]; values: number[] }>>();
    body.split('\n').forEach((line, i) => {
      if (line === '') return;
      let parsed;
      try {
        parsed = parseInfluxLine(line);
      } catch {
        throw new HttpError(400, { cause: 'Value error', detail: 'line', reason: `Unable to parse line ${i + 1}` });
      }
      const { [tagToResourceId]: resourceName, ...tags } = parsed.tags;
      if (resourceName === undefined) throw new HttpError(400, { cause: 'Value error', detail: 'key', reason: `Unable to find key \`${tagToResourceId}' in tags` });
      const keys = Object.keys(tags).sort();
      const suffix = keys.length ? `@${keys.map((k) => `${k}=${tags[k]}`).join(',')}` : '';
      let metrics = resources.get(resourceName);
      if (!metrics) resources.set(resourceName, (metrics = new Map()));
      for (const [field, value] of Object.entries(parsed.fields)) {
        // "/" is not allowed in metric names
        const name = `${parsed.measurement}.${field}${suffix}`.replace(/\//g, '_');
        let m = metrics.get(name);
        if (!m) metrics.set(name, (m = { timestamps: [], values: [] }));
        m.timestamps.push(parsed.timestamp ?? now);
        m.values.push(value);
      }
    });
    await writeByResource(
      engine,
      index,
      request.caller,
      [...resources].map(([name, measures]) => ({ upsert: { id: resourceUuid(name, request.caller.creator), originalId: name, type: db }, measures })),
    );
    return reply.code(204).send();
  });
}
