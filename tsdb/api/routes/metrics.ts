/** `/v1/metric`: metric CRUD and measures. */
import { requireMetricsVisible } from '../metric-access.js';
import { MeasureRows } from '../python-json.js';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ArchivePolicy } from '../../archive-policy.js';
import { type CalendarUnit, isCalendarUnit } from '../../calendar.js';
import type { Engine } from '../../engine.js';
import { InvalidInputError } from '../../errors.js';
import { NamedMetricAlreadyExists, NoArchivePolicyRuleMatch, NoSuchArchivePolicy, NoSuchMetric, NoSuchResource } from '../../index/errors.js';
import { canChangeMetric, canChangeResource, requireAccess } from '../policy.js';
import { resourceUuid } from '../resource-id.js';
import { type Metric, isUuid } from '../../index/metrics.js';
import { type Micros, formatTimestamp, parseTimespanSeconds, parseTimestamp, pythonSeconds, secondsToMicros } from '../../time.js';
import type { ApiDeps } from '../app.js';
import { type Caller, creatorOf } from '../auth.js';
import { metricJson } from '../format.js';
import { HttpError, invalidInput, locationOf } from '../http-error.js';
import { parsePage, setNextLink } from '../pagination.js';
import { boolParam, queryTimespan, queryTimestamp } from '../query.js';

const createSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    archive_policy_name: { type: 'string' },
    name: { type: 'string' },
    unit: { type: 'string', maxLength: 31 },
    resource_id: { type: 'string' },
  },
};

/**
 * Measures as a client posts them: [{timestamp, value}, …] → parallel arrays,
 * or Gnocchi's 400 ("… for dictionary value @ data[path]" inside a batch).
 */
export function parseMeasures(body: unknown, path: readonly string[] = []): { timestamps: number[]; values: number[] } {
  const bad = (reason: string): HttpError => invalidInput(`${reason}${path.length ? ' for dictionary value' : ''}`, path);
  if (!Array.isArray(body)) throw bad('unexpected measures format');
  const timestamps: number[] = [];
  const values: number[] = [];
  // Gnocchi reads every timestamp of a batch the way it reads the first: all epoch numbers, or all text dates
  const numeric = (t: unknown): boolean => typeof t === 'number' || (typeof t === 'string' && t.trim() !== '' && Number.isFinite(Number(t)));
  const firstNumeric = body.length > 0 && typeof body[0] === 'object' && body[0] !== null && numeric((body[0] as { timestamp?: unknown }).timestamp);
  for (const m of body) {
    if (typeof m !== 'object' || m === null || !('timestamp' in m)) throw bad('unexpected measures format');
    const { timestamp, value } = m as { timestamp: unknown; value: unknown };
    if (numeric(timestamp) !== firstNumeric) throw bad("unexpected timestamp 'Unable to convert timestamps'");
    let t: number;
    try {
      t = parseTimestamp('timestamp', timestamp);
    } catch (err) {
      if (err instanceof InvalidInputError) throw bad("unexpected timestamp 'Unable to convert timestamps'");
      throw err;
    }
    if (t < 0) throw bad("unexpected timestamp 'Timestamp must be after Epoch'");
    // Python's float(): numbers, numeric strings, booleans; NaN and infinities are refused here (see README)
    const v = typeof value === 'string' ? (value.trim() === '' ? NaN : Number(value)) : typeof value === 'boolean' ? Number(value) : value;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('unexpected measures value');
    timestamps.push(t);
    values.push(v);
  }
  return { timestamps, values };
}

/** GET …/measures: the metric's aggregates, finest granularity last, as Gnocchi lists them. */
export function readMeasures(engine: Engine, m: Metric, q: Record<string, string | undefined>): MeasureRows {
  // the policy the engine aggregates the metric with (no index query on the read path)
  const policy = engine.policyOf(m.id);
  const start = queryTimestamp('start', q.start);
  const stop = queryTimestamp('stop', q.stop);
  const method = q.aggregation ?? 'mean';
  const granularity = queryTimespan('granularity', q.granularity);
  let resample: Micros | null = null;
  let calendar: CalendarUnit | null = null;
  if (q.resample !== undefined) {
    if (granularity === null) throw new HttpError(400, 'A granularity must be specified to resample');
    if (isCalendarUnit(q.resample)) calendar = q.resample;
    else {
      try {
        resample = secondsToMicros(parseTimespanSeconds('resample', q.resample));
      } catch {
        throw new HttpError(400, 'Unable to parse timespan');
      }
    }
  }
  if (!policy.aggregationMethods.includes(method)) {
    throw new HttpError(404, { cause: 'Aggregation method does not exist for this metric', detail: { metric: m.id, aggregation_method: method } });
  }
  const granularities = granularity === null ? policy.definition.map((d) => d.granularity) : [granularity];
  for (const g of granularities) {
    if (!policy.definition.some((d) => d.granularity === g)) {
      throw new HttpError(404, `Aggregation method '${method}' at granularity '${pythonSeconds(g)}' for metric ${m.id} does not exist`);
    }
  }
  if (boolParam(q, 'refresh') && engine.hasPending(m.id)) {
    engine.processMetrics([m.id]);
  }
  const out: [string, number | CalendarUnit, number][] = [];
  for (const g of [...granularities].sort((a, b) => b - a)) {
    const s = engine.read(m.id, { method, granularity: g, from: start, to: stop, resample, resampleCalendar: calendar });
    // a calendar resampling prints its unit where the granularity goes
    const shown = calendar ?? s.aggregation.granularity / 1e6;
    for (let i = 0; i < s.length; i++) out.push([formatTimestamp(s.ts[i]), shown, s.values[i]]);
  }
  return new MeasureRows(out);
}

export async function metricRoutes(app: FastifyInstance, { engine, index, config }: ApiDeps): Promise<void> {
  const policyOf = async (name: string): Promise<ArchivePolicy> => {
    const p = await index.archivePolicies.get(name);
    if (!p) throw new NoSuchArchivePolicy(name);
    return p;
  };

  /** The metric, if the caller may read it ('see') or write it ('change'); 404 or 403 otherwise. */
  const loadMetric = async (id: string, caller: Caller, access: 'see' | 'change' = 'see'): Promise<Metric> => {
    const m = await index.metrics.get(id);
    if (!m) throw new NoSuchMetric(id);
    if (access === 'change') requireAccess(canChangeMetric(caller, m));
    else await requireMetricsVisible(index, caller, [m]);
    return m;
  };

  app.post('/v1/metric', { schema: { body: createSchema } }, async (request, reply) => {
    const body = (request.body ?? {}) as { archive_policy_name?: string; name?: string; unit?: string; resource_id?: string };
    if (body.name?.includes('/')) throw new HttpError(400, "'/' is not supported in metric name");
    let policyName = body.archive_policy_name;
    if (policyName === undefined) {
      try {
        // a nameless metric still matches pattern rules such as the default "*"
        policyName = await index.archivePolicies.policyForMetricName(body.name ?? '');
      } catch (err) {
        if (err instanceof NoArchivePolicyRuleMatch) {
          throw new HttpError(400, `No archive policy name specified and no archive policy rule found matching the metric name ${body.name ?? 'None'}`);
        }
        throw err;
      }
    }
    const policy = await index.archivePolicies.get(policyName);
    // an unknown policy in the body is a bad request, not a missing resource
    if (!policy) throw new HttpError(400, new NoSuchArchivePolicy(policyName).message);
    let resourceId: string | null = null;
    if (body.resource_id !== undefined) {
      try {
        resourceId = resourceUuid(body.resource_id, request.caller.creator);
      } catch (err) {
        if (err instanceof InvalidInputError) throw invalidInput(err.reason, ['resource_id']);
        throw err;
      }
      if (body.name === undefined) {
        throw new HttpError(400, { cause: 'Attribute value error', detail: 'name', reason: 'Name cannot be null if resource_id is not null' });
      }
      const resource = await index.resources.get('generic', resourceId);
      if (!resource) throw new NoSuchResource(resourceId);
      requireAccess(canChangeResource(request.caller, resource));
    }
    const metric: Metric = {
      id: randomUUID(),
      archivePolicyName: policyName,
      creator: creatorOf(request.caller),
      resourceId,
      name: body.name ?? null,
      unit: body.unit ?? null,
    };
    try {
      await index.metrics.create(metric);
    } catch (err) {
      // on this route Gnocchi answers a name clash with 400 (409 on a resource's metric routes)
      if (err instanceof NamedMetricAlreadyExists) throw new HttpError(400, { cause: 'Named metric already exists', detail: metric.name });
      throw err;
    }
    try {
      await engine.createMetric(metric.id, policy);
    } catch (err) {
      await index.metrics.delete(metric.id); // keep index and store in step
      throw err;
    }
    return reply.code(201).header('location', locationOf(request, `/v1/metric/${metric.id}`)).send(metricJson(metric));
  });

  app.get('/v1/metric', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const page = parsePage(q, config.maxLimit, ['id:asc']);
    const caller = request.caller;
    // user_id/project_id: the older way to ask for a creator
    const creator = q.user_id !== undefined || q.project_id !== undefined ? `${q.user_id ?? ''}:${q.project_id ?? ''}` : q.creator;
    const metrics = await index.metrics.list({
      creator,
      name: q.name,
      unit: q.unit,
      archivePolicyName: q.archive_policy_name,
      resourceId: q.resource_id,
      ids: q.id === undefined ? undefined : [q.id],
      visibleToProject: caller.isAdmin || !caller.hasProjects ? undefined : caller.projectId,
      marker: page.marker,
      limit: page.limit,
      sorts: page.sorts,
    });
    const last = metrics[metrics.length - 1];
    if (last) setNextLink(request, reply, page, metrics.length, last.id);
    return Promise.all(metrics.map(async (m) => metricJson(m, await policyOf(m.archivePolicyName))));
  });

  app.get<{ Params: { id: string } }>('/v1/metric/:id', async (request) => {
    const m = await loadMetric(request.params.id, request.caller);
    const resource = m.resourceId === null ? null : ((await index.resources.get('generic', m.resourceId)) ?? null);
    return metricJson(m, await policyOf(m.archivePolicyName), resource);
  });

  app.delete<{ Params: { id: string } }>('/v1/metric/:id', async (request, reply) => {
    const m = await loadMetric(request.params.id, request.caller, 'change');
    await index.metrics.delete(m.id);
    if (engine.hasMetric(m.id)) await engine.deleteMetric(m.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/v1/metric/:id/measures', async (request, reply) => {
    const m = await loadMetric(request.params.id, request.caller, 'change');
    const { timestamps, values } = parseMeasures(request.body);
    if (timestamps.length > 0) await engine.addMeasures([{ metricId: m.id, timestamps, values }]);
    return reply.code(202).send();
  });

  app.get<{ Params: { id: string } }>('/v1/metric/:id/measures', async (request) => {
    const m = await loadMetric(request.params.id, request.caller);
    return readMeasures(engine, m, request.query as Record<string, string | undefined>);
  });

  // the id segment must be a UUID; anything else is simply not found
  app.addHook('preHandler', async (request) => {
    const id = (request.params as { id?: string } | undefined)?.id;
    if (id !== undefined && request.url.startsWith('/v1/metric/') && !isUuid(id)) throw new HttpError(404, `Metric ${id} does not exist`);
  });
}
