/**
 * The Gnocchi v1 HTTP API (fastify): routes, content negotiation, auth and
 * Gnocchi-shaped errors, over the engine (series) and the index (metadata).
 */
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Engine } from '../engine.js';
import { InvalidInputError, MetricNotFoundError } from '../errors.js';
import type { Index } from '../index/index.js';
import { IndexError } from '../index/errors.js';
import { type AuthMode, type Caller, authenticate } from './auth.js';
import { baseUrlOf } from './base-url.js';
import { HttpError, sendError } from './http-error.js';
import { pythonJson } from './python-json.js';
import { aggregatesRoutes } from './routes/aggregates.js';
import { aggregationLegacyRoutes } from './routes/aggregation-legacy.js';
import { archivePolicyRoutes } from './routes/archive-policies.js';
import { batchRoutes } from './routes/batch.js';
import { eventRoutes } from './routes/events.js';
import { influxdbRoutes } from './routes/influxdb.js';
import { prometheusRoutes } from './routes/prometheus.js';
import { metricRoutes } from './routes/metrics.js';
import { resourceTypeRoutes } from './routes/resource-types.js';
import { resourceRoutes } from './routes/resources.js';
import { searchRoutes } from './routes/search.js';
import { rootRoutes } from './routes/root.js';
import { fromInvalidInput, schemaError } from './validation.js';
import { WsmeError, sendWsmeError } from './wsme.js';

export interface ApiConfig {
  readonly authMode: AuthMode;
  /** largest page a listing returns (Gnocchi's api.max_limit) */
  readonly maxLimit: number;
  readonly logger?: boolean | object;
  /** origins browsers may call from (CORS) */
  readonly corsAllowedOrigins?: readonly string[];
  /** build URLs from a reverse proxy's Forwarded / X-Forwarded-* headers */
  readonly trustProxyHeaders?: boolean;
}

export interface ApiDeps {
  readonly engine: Engine;
  readonly index: Index;
  readonly config: ApiConfig;
  /** what other v2 services on this listener add to `GET /v2/capabilities` (Aodh's alarm keys) */
  readonly v2Capabilities?: V2Capabilities;
}

/** `GET /v2/capabilities`: flattened feature flags per section (`api`, `event_storage`, `alarm_storage`). */
export type V2Capabilities = Readonly<Record<string, Readonly<Record<string, boolean>>>>;

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
    /** scheme://host[/prefix] the client reached the API at */
    baseUrl: string;
  }
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = await createHttpApp(deps.config);
  const routes = [rootRoutes, archivePolicyRoutes, metricRoutes, aggregatesRoutes, aggregationLegacyRoutes, batchRoutes, influxdbRoutes, prometheusRoutes, resourceTypeRoutes, resourceRoutes, searchRoutes, eventRoutes];
  for (const r of routes) await app.register(r, deps);
  return app;
}

/**
 * The listener without routes: content negotiation, CORS, authentication,
 * 404/405 and error shapes (Gnocchi's for HttpError, WSME's for WsmeError).
 * The store's API and the standalone alarms API are both built on it.
 */
export async function createHttpApp(config: ApiConfig): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logger ?? false,
    // report a schema violation instead of silently fixing the input
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true, allowUnionTypes: true } },
    // clients write /v1/metric, /v1/metric/ and even /v1/archive_policy//name (gnocchiclient's update)
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    schemaErrorFormatter: (errors) => schemaError(errors),
    bodyLimit: 64 * 1024 * 1024,
  });
  app.decorateRequest('caller', null as unknown as Caller);
  app.decorateRequest('baseUrl', '');

  // CORS first, as oslo's middleware sits before authentication: preflights carry no credentials
  const origins = config.corsAllowedOrigins ?? [];
  if (origins.length > 0) {
    await app.register(cors, {
      delegator: (request, callback) => {
        const origin = request.headers.origin;
        callback(null, {
          origin: origin !== undefined && origins.includes(origin) ? origin : false,
          methods: request.headers['access-control-request-method'] ?? 'GET,HEAD,PUT,PATCH,POST,DELETE',
          strictPreflight: false,
          // oslo's CORS middleware answers preflights with 200
          optionsSuccessStatus: 200,
        });
      },
    });
  }
  app.setReplySerializer((payload) => pythonJson(payload));

  // A known path asked with another method is 405 with Allow, as in Gnocchi; an unknown path is 404.
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url === '*' || route.url.endsWith('/*')) return;
    const pattern = new RegExp(`^${route.url.replace(/\/$/, '').replace(/:[^/]+/g, '[^/]+')}/?$`);
    let entry = routes.find((r) => r.pattern.source === pattern.source);
    if (!entry) routes.push((entry = { pattern, methods: new Set() }));
    for (const m of [route.method].flat()) if (m !== 'HEAD') entry.methods.add(m);
  });

  // Gnocchi answers JSON only; a client that accepts neither JSON nor anything gets 406.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    const accept = String(request.headers.accept ?? '*/*');
    // the Prometheus exposition is text (its scrapers ask for text/plain or OpenMetrics); a route may answer other types too (config.produces)
    const produces = (request.routeOptions.config as { produces?: readonly string[] } | undefined)?.produces ?? [];
    if (path !== '/metrics' && !/application\/json|\*\/\*|application\/\*/.test(accept) && !produces.some((t) => accept.includes(t))) throw new HttpError(406);
    request.baseUrl = baseUrlOf(request, config.trustProxyHeaders ?? false);
    // the version document and the health checks (for load balancers, orchestrators) need no credentials, as /healthcheck in Gnocchi
    if (path === '/' || path === '/healthcheck' || path === '/healthz' || path === '/readyz') return;
    // CORS preflights carry no credentials
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) return;
    try {
      request.caller = await authenticate(config.authMode, request);
    } catch (err) {
      // as keystonemiddleware: tell the client where to get a token
      const mode = config.authMode;
      if (err instanceof HttpError && err.status === 401 && typeof mode === 'object') reply.header('www-authenticate', `Keystone uri="${mode.url.replace(/\/v3$/, '')}"`);
      throw err;
    }
  });

  // JSON, and resource type patches (RFC 6902, also JSON)
  const parseJson = (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (err) {
      // the v2 services (Aodh, Panko) are WSME's, which words it so
      if (request.url.startsWith('/v2/')) done(new WsmeError(400, 'Request is not in valid JSON format'), undefined);
      else done(new HttpError(400, { cause: 'Unable to decode body', reason: String((err as Error).message) }), undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.addContentTypeParser('application/json-patch+json', { parseAs: 'string' }, parseJson);
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof WsmeError) return sendWsmeError(reply, err.status, err.message);
    if (err instanceof HttpError) return err.status === 304 ? reply.code(304).send() : sendError(request, reply, err);
    if (err instanceof InvalidInputError) return sendError(request, reply, fromInvalidInput(err));
    if (err instanceof MetricNotFoundError) return sendError(request, reply, new HttpError(404, `Metric ${err.metricId} does not exist`));
    if (err instanceof IndexError) return sendError(request, reply, new HttpError(err.status, err.message));
    const fe = err as { code?: string; statusCode?: number; message?: string };
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(request, reply, new HttpError(415));
    if (fe.statusCode && fe.statusCode < 500) return sendError(request, reply, new HttpError(fe.statusCode, fe.message ?? ""));
    request.log.error(err);
    return sendError(request, reply, new HttpError(500, ''));
  });
  app.setNotFoundHandler((request, reply) => {
    // a preflight from an origin CORS does not allow: answered, without CORS headers
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) return reply.code(200).send();
    const path = request.url.split('?')[0];
    const known = routes.find((r) => r.pattern.test(path));
    if (known) {
      reply.header('allow', [...known.methods].sort().join(', '));
      return sendError(request, reply, new HttpError(405));
    }
    return sendError(request, reply, new HttpError(404, 'The resource could not be found.'));
  });

  return app;
}
