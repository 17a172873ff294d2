/**
 * The listener's requests: `tally_http_requests_total{method,route,code}`
 * and `tally_http_request_duration_seconds{method,route}`, counted in an
 * onResponse hook. The route is fastify's pattern (`/v1/metric/:id`), never
 * the raw URL, so the series stay few; a request no route matched has
 * `route=""`.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/** from 1 ms (a cached read) to 60 s (a large batch or aggregate) */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function observeHttp(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'tally_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tally_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to having sent its response, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '';
    requests.inc({ method: request.method, route, code: reply.statusCode });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
