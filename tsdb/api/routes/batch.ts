/**
 * `/v1/batch/…/measures`: measures for many metrics in one durable write,
 * addressed by metric id or by resource and metric name (creating missing
 * named metrics with `create_metrics=true`).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '../../errors.js';
import { NamedMetricAlreadyExists, NoArchivePolicyRuleMatch, NoSuchArchivePolicy, NoSuchResource } from '../../index/errors.js';
import { type Metric, isUuid } from '../../index/metrics.js';
import type { ApiDeps } from '../app.js';
import { HttpError, invalidInput } from '../http-error.js';
import { boolParam } from '../query.js';
import { canChangeMetric, requireAccess } from '../policy.js';
import { resourceUuid } from '../resource-id.js';
import { readFastBatch } from '../batch-body.js';
import { parseMeasures } from './metrics.js';
import { isObject } from '../../json-object.js';

type Parsed = ReturnType<typeof parseMeasures>;


/** A metric's measures in a resource batch: a list, or {archive_policy_name?, unit?, measures}. */
function parseNamedMeasures(v: unknown, path: string[]): { measures: Parsed; archivePolicyName?: string; unit?: string } {
  if (Array.isArray(v)) return { measures: parseMeasures(v, path) };
  if (!isObject(v) || !('measures' in v)) throw invalidInput('unexpected measures format');
  for (const k of Object.keys(v)) if (!['measures', 'archive_policy_name', 'unit'].includes(k)) throw invalidInput('extra keys not allowed', [...path, k]);
  for (const k of ['archive_policy_name', 'unit'] as const) {
    if (v[k] !== undefined && typeof v[k] !== 'string') throw invalidInput('expected str for dictionary value', [...path, k]);
  }
  return { measures: parseMeasures(v.measures, path), archivePolicyName: v.archive_policy_name as string | undefined, unit: v.unit as string | undefined };
}

/** JSON.parse with the app's "Unable to decode body" answer. */
function jsonOf(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, { cause: 'Unable to decode body', reason: String((err as Error).message) });
  }
}

export async function batchRoutes(app: FastifyInstance, { engine, index }: ApiDeps): Promise<void> {
  // bodies arrive as text here: the metrics batch is read without JSON.parse when it can be (batch-body.ts)
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/v1/batch/metrics/measures', async (request, reply) => {
    let parsed: { id: string; timestamps: ArrayLike<number>; values: ArrayLike<number> }[];
    const fast = typeof request.body === 'string' ? readFastBatch(request.body) : null;
    if (fast && fast.every((b) => isUuid(b.metricId))) {
      parsed = fast.map((b) => ({ id: b.metricId.toLowerCase(), timestamps: b.timestamps, values: b.values }));
    } else {
      const body = jsonOf(request.body);
      if (!isObject(body)) throw invalidInput('expected a dictionary');
      parsed = Object.entries(body).map(([id, measures]) => {
        if (!isUuid(id)) throw invalidInput('extra keys not allowed', [id]);
        return { id: id.toLowerCase(), ...parseMeasures(measures, [id]) };
      });
    }
    const metrics = await index.metrics.list({ ids: parsed.map((p) => p.id) });
    if (metrics.length !== parsed.length) {
      const known = new Set(metrics.map((m) => m.id));
      throw new HttpError(400, `Unknown metrics: ${parsed.map((p) => p.id).filter((id) => !known.has(id)).sort().join(', ')}`);
    }
    for (const m of metrics) requireAccess(canChangeMetric(request.caller, m));
    // one durable write for the whole batch
    await engine.addMeasures(parsed.filter((p) => p.timestamps.length > 0).map((p) => ({ metricId: p.id, timestamps: p.timestamps, values: p.values })));
    return reply.code(202).send();
  });

  app.post('/v1/batch/resources/metrics/measures', async (request, reply) => {
    const createMetrics = boolParam(request.query as Record<string, string>, 'create_metrics');
    const creator = request.caller.creator;
    const body = jsonOf(request.body);
    if (!isObject(body)) throw invalidInput('expected a dictionary');
    const batch: { originalId: string; resourceId: string; metrics: Map<string, ReturnType<typeof parseNamedMeasures>> }[] = [];
    for (const [rawId, byName] of Object.entries(body)) {
      let resourceId: string;
      try {
        resourceId = resourceUuid(rawId, creator);
      } catch (err) {
        if (err instanceof InvalidInputError) throw invalidInput(err.reason, [rawId]);
        throw err;
      }
      if (!isObject(byName)) throw invalidInput('expected a dictionary for dictionary value', [rawId]);
      const metrics = new Map(Object.entries(byName).map(([name, v]) => [name, parseNamedMeasures(v, [rawId, name])]));
      batch.push({ originalId: rawId, resourceId, metrics });
    }

    const known: { metric: Metric; measures: Parsed }[] = [];
    const unknownMetrics: string[] = [];
    const unknownResources: { resource_id: string; original_resource_id: string }[] = [];
    for (const { originalId, resourceId, metrics } of batch) {
      if (metrics.size === 0) continue;
      const existing = new Map((await index.metrics.list({ resourceId })).map((m) => [m.name, m]));
      for (const [name, entry] of metrics) {
        let metric = existing.get(name);
        if (!metric && createMetrics) {
          let policyName = entry.archivePolicyName;
          if (policyName === undefined) {
            try {
              policyName = await index.archivePolicies.policyForMetricName(name);
            } catch (err) {
              if (err instanceof NoArchivePolicyRuleMatch) {
                throw new HttpError(400, `No archive policy name specified and no archive policy rule found matching the metric name ${name}`);
              }
              throw err;
            }
          }
          const policy = await index.archivePolicies.get(policyName);
          if (!policy) throw new HttpError(400, new NoSuchArchivePolicy(policyName).message);
          try {
            metric = await index.metrics.create({ id: randomUUID(), archivePolicyName: policyName, creator, resourceId, name, unit: entry.unit ?? null });
            await engine.createMetric(metric.id, policy);
          } catch (err) {
            if (err instanceof NoSuchResource) {
              unknownResources.push({ resource_id: resourceId, original_resource_id: originalId });
              break;
            }
            if (!(err instanceof NamedMetricAlreadyExists)) throw err;
            // created in the meantime by another request
            metric = (await index.metrics.list({ resourceId, name }))[0];
          }
        }
        if (metric) known.push({ metric, measures: entry.measures });
        else if (!createMetrics) unknownMetrics.push(`${resourceId}/${name}`);
      }
    }
    if (unknownResources.length) throw new HttpError(400, { cause: 'Unknown resources', detail: unknownResources });
    if (unknownMetrics.length) throw new HttpError(400, `Unknown metrics: ${unknownMetrics.sort().join(', ')}`);
    for (const { metric } of known) requireAccess(canChangeMetric(request.caller, metric));
    await engine.addMeasures(
      known.filter((k) => k.measures.timestamps.length > 0).map((k) => ({ metricId: k.metric.id, timestamps: k.measures.timestamps, values: k.measures.values })),
    );
    return reply.code(202).send();
  });
}
