/**
 * Prometheus's HTTP API v1 over the store, on tally's listener: instant and
 * range queries, series, label names and values, and the endpoints Grafana's
 * Prometheus data source calls (buildinfo, metadata, rules, exemplars).
 * Answers and errors are Prometheus 2.42's: `{"status":"success","data":…}`
 * or `{"status":"error","errorType":…,"error":…}` with its status codes.
 * A caller sees only the series its project may see (store-source.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../tsdb/api/http-error.js';
import type { Engine } from '../../tsdb/engine.js';
import type { Index } from '../../tsdb/index/index.js';
import { BadDataError, PromQLError } from '../errors.js';
import { isValidLabelName } from '../literals.js';
import { parseMetricSelector } from '../parse.js';
import type { LabelMatcher } from '../series-source.js';
import { SeriesCatalog } from '../store/series-catalog.js';
import { StoreSource } from '../store/store-source.js';
import { MAX_TIME_MS, MIN_TIME_MS, type Params, durationParam, first, paramsOf, timeParam } from './params.js';
import { runInstant, runRange } from './query-runner.js';
import { registerRemoteRead } from './remote-read.js';
import { registerRemoteWrite } from './remote-write.js';

export interface PromqlDeps {
  readonly engine: Engine;
  readonly index: Index;
  /** how long the series catalog is kept between rebuilds */
  readonly catalogMaxAgeMs?: number;
}

/** What Grafana reads to know which Prometheus it talks to: the version whose semantics these answers follow. */
const BUILD_INFO = { version: '2.42.0', revision: 'tally', branch: 'tally', buildUser: 'tally', buildDate: '20230131-00:00:00', goVersion: 'go1.19' };

const STATUS: Record<string, number> = { bad_data: 400, execution: 422, timeout: 503, canceled: 503, internal: 500 };

function fail(reply: FastifyReply, errorType: string, error: string): FastifyReply {
  return reply.code(STATUS[errorType] ?? 500).type('application/json').send(JSON.stringify({ status: 'error', errorType, error }));
}

function success(reply: FastifyReply, data: unknown): FastifyReply {
  return reply.type('application/json').send(JSON.stringify({ status: 'success', data }));
}

function matchersOf(params: Params, required: boolean): LabelMatcher[][] {
  const selectors = params.get('match[]') ?? [];
  if (selectors.length === 0) {
    if (required) throw new BadDataError('no match[] parameter provided');
    return [[]];
  }
  return selectors.map((s) => parseMetricSelector(s));
}

export async function promqlRoutes(app: FastifyInstance, deps: PromqlDeps): Promise<void> {
  const catalog = new SeriesCatalog(deps.index, deps.engine, deps.catalogMaxAgeMs);
  const sourceFor = (request: FastifyRequest): StoreSource =>
    new StoreSource(deps.engine, catalog, { isAdmin: request.caller.isAdmin || !request.caller.hasProjects, projectId: request.caller.projectId, creator: request.caller.creator });

  // remote read and write: snappy-compressed protobuf
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Grafana posts its queries as a form
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, new URLSearchParams(body as string)));
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof PromQLError) return fail(reply, err.errorType, err.message);
    // the store's own refusals (remote write: a body that does not decode, a policy missing)
    if (err instanceof HttpError) return reply.code(err.status).type('application/json').send(JSON.stringify({ status: 'error', errorType: err.status < 500 ? 'bad_data' : 'internal', error: err.message }));
    const { statusCode, message } = err as { statusCode?: number; message?: string };
    if (statusCode !== undefined && statusCode < 500) return fail(reply, 'bad_data', message ?? '');
    app.log.error(err);
    return fail(reply, 'internal', message ?? String(err));
  });
  const params = (request: FastifyRequest): Params => paramsOf(request.query, request.body);
  const both = (url: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void => {
    app.get(url, handler);
    app.post(url, handler);
  };

  both('/api/v1/query', async (request, reply) => {
    const p = params(request);
    const time = timeParam(p, 'time', Date.now());
    const data = await runInstant(sourceFor(request), first(p, 'query'), time, durationParam(p, 'timeout'));
    return success(reply, data);
  });

  both('/api/v1/query_range', async (request, reply) => {
    const p = params(request);
    const start = timeParam(p, 'start', NaN);
    const end = timeParam(p, 'end', NaN);
    if (Number.isNaN(start)) throw new BadDataError('invalid parameter "start": cannot parse "" to a valid timestamp');
    if (Number.isNaN(end)) throw new BadDataError('invalid parameter "end": cannot parse "" to a valid timestamp');
    if (end < start) throw new BadDataError('invalid parameter "end": end timestamp must not be before start time');
    const step = durationParam(p, 'step');
    if (step === null) throw new BadDataError('invalid parameter "step": cannot parse "" to a valid duration');
    if (step <= 0) throw new BadDataError('invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    // the bound on points per series is the engine's (rangeQuery), worded as Prometheus's API words it
    const data = await runRange(sourceFor(request), first(p, 'query'), start, end, step, durationParam(p, 'timeout'));
    return success(reply, data);
  });

  both('/api/v1/series', async (request, reply) => {
    const p = params(request);
    const sets = matchersOf(p, true);
    const source = sourceFor(request);
    const seen = new Map<string, Record<string, string>>();
    for (const matchers of sets) {
      for (const s of await source.labelSets(matchers)) {
        const key = JSON.stringify(s.labels);
        if (!seen.has(key)) seen.set(key, Object.fromEntries(s.labels));
      }
    }
    return success(reply, [...seen.values()]);
  });

  both('/api/v1/labels', async (request, reply) => {
    const p = params(request);
    timeParam(p, 'start', MIN_TIME_MS);
    timeParam(p, 'end', MAX_TIME_MS);
    const names = new Set<string>();
    for (const matchers of matchersOf(p, false)) for (const s of await sourceFor(request).labelSets(matchers)) for (const [k] of s.labels) names.add(k);
    return success(reply, [...names].sort());
  });

  app.get<{ Params: { name: string } }>('/api/v1/label/:name/values', async (request, reply) => {
    const name = request.params.name;
    if (!isValidLabelName(name)) throw new BadDataError(`invalid label name: "${name}"`);
    const p = params(request);
    timeParam(p, 'start', MIN_TIME_MS);
    timeParam(p, 'end', MAX_TIME_MS);
    const values = new Set<string>();
    for (const matchers of matchersOf(p, false)) {
      for (const s of await sourceFor(request).labelSets(matchers)) for (const [k, v] of s.labels) if (k === name) values.add(v);
    }
    return success(reply, [...values].sort());
  });

  app.get('/api/v1/metadata', async (request, reply) => {
    const p = params(request);
    const wanted = first(p, 'metric');
    const limit = Number(first(p, 'limit') || -1);
    const out: Record<string, { type: string; help: string; unit: string }[]> = {};
    for (const s of await sourceFor(request).labelSets([])) {
      const name = s.labels.find(([k]) => k === '__name__')?.[1] ?? '';
      if ((wanted !== '' && name !== wanted) || out[name] !== undefined) continue;
      if (limit >= 0 && Object.keys(out).length >= limit) break;
      // Ceilometer's exporter writes every sample as a gauge; scraped families' types are not kept
      out[name] = [{ type: name.startsWith('ceilometer_') ? 'gauge' : 'unknown', help: '', unit: '' }];
    }
    return success(reply, out);
  });

  app.get('/api/v1/status/buildinfo', async (_request, reply) => success(reply, BUILD_INFO));
  both('/api/v1/query_exemplars', async (request, reply) => {
    const p = params(request);
    timeParam(p, 'start', MIN_TIME_MS);
    timeParam(p, 'end', MAX_TIME_MS);
    return success(reply, []);
  });
  app.get('/api/v1/rules', async (_request, reply) => success(reply, { groups: [] }));
  registerRemoteRead(app, sourceFor);
  registerRemoteWrite(app, deps);
  app.get('/api/v1/alerts', async (_request, reply) => success(reply, { alerts: [] }));
}
