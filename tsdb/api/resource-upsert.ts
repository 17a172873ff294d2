/**
 * Find-or-create a resource with named metrics, for writers that only know
 * names (InfluxDB line protocol, Prometheus remote write): Gnocchi's
 * get_or_create_resource_and_metrics. Missing metrics get their archive
 * policy from the rules; a missing resource type with known attributes is
 * created first.
 */
import type { ArchivePolicy } from '../archive-policy.js';
import type { Engine } from '../engine.js';
import { NoArchivePolicyRuleMatch, NoSuchArchivePolicy, NoSuchResourceType, ResourceAlreadyExists } from '../index/errors.js';
import type { Index } from '../index/index.js';
import type { Metric } from '../index/metrics.js';
import type { AttributeDefinition, AttributeValue } from '../index/resource-type-schema.js';
import type { MetricLink } from '../index/resources.js';
import type { Caller } from './auth.js';
import { HttpError } from './http-error.js';
import { canChangeMetric, canChangeResource, requireAccess } from './policy.js';

export interface Upsert {
  readonly id: string;
  readonly originalId: string;
  readonly type: string;
  /** the type's attributes, to create the type when it does not exist */
  readonly typeAttributes?: Readonly<Record<string, AttributeDefinition>>;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  /** the project a new resource belongs to */
  readonly projectId?: string | null;
  readonly metricNames: readonly string[];
}

/** The resource's metrics of those names, created where missing. */
export async function upsertResourceMetrics(engine: Engine, index: Index, caller: Caller, u: Upsert): Promise<Metric[]> {
  const links = async (names: readonly string[]): Promise<Record<string, MetricLink>> => {
    const out: Record<string, MetricLink> = {};
    for (const name of names) {
      try {
        out[name] = { archivePolicyName: await index.archivePolicies.policyForMetricName(name), unit: null };
      } catch (err) {
        if (err instanceof NoArchivePolicyRuleMatch) {
          throw new HttpError(400, `No archive policy name specified and no archive policy rule found matching the metric name ${name}`);
        }
        throw err;
      }
    }
    return out;
  };
  const policyOf = async (name: string): Promise<ArchivePolicy> => {
    const p = await index.archivePolicies.get(name);
    if (!p) throw new NoSuchArchivePolicy(name);
    return p;
  };
  const created = async (metrics: Metric[]): Promise<void> => {
    for (const m of metrics) await engine.createMetric(m.id, await policyOf(m.archivePolicyName));
  };
  const byName = async (): Promise<Metric[]> => (await index.metrics.list({ resourceId: u.id })).filter((m) => m.name !== null && u.metricNames.includes(m.name));

  for (let attempt = 0; attempt < 3; attempt++) {
    let existing;
    const createType = async (err: unknown): Promise<void> => {
      if (!(err instanceof NoSuchResourceType) || !u.typeAttributes) throw err;
      await index.resourceTypes.create(u.type, u.typeAttributes).catch(() => undefined); // another writer may have made it
    };
    try {
      existing = await index.resources.get(u.type, u.id);
    } catch (err) {
      await createType(err);
      continue;
    }
    if (existing) {
      requireAccess(canChangeResource(caller, existing));
      const missing = u.metricNames.filter((n) => existing.metrics[n] === undefined);
      if (missing.length > 0) {
        const { createdMetrics } = await index.resources.update(u.type, u.id, { metrics: await links(missing), appendMetrics: true, createRevision: false });
        await created(createdMetrics);
      }
      return byName();
    }
    try {
      const { createdMetrics } = await index.resources.create(u.type, {
        id: u.id,
        originalResourceId: u.originalId,
        creator: caller.creator,
        projectId: u.projectId ?? null,
        attributes: u.attributes,
        metrics: await links(u.metricNames),
      });
      await created(createdMetrics);
      return byName();
    } catch (err) {
      if (err instanceof NoSuchResourceType) {
        await createType(err);
        continue;
      }
      if (!(err instanceof ResourceAlreadyExists)) throw err;
      // created meanwhile, under this type or another
      const other = await index.resources.get('generic', u.id);
      if (other && other.type !== u.type) throw new HttpError(409, { cause: 'Resource already exists', detail: u.id });
    }
  }
  throw new HttpError(503, `Unable to create resource ${u.originalId}, please retry`);
}

export type MeasuresByName = Map<string, { timestamps: number[]; values: number[] }>;

/** Finds or creates each resource's metrics, then writes all their measures in one durable batch. */
export async function writeByResource(
  engine: Engine,
  index: Index,
  caller: Caller,
  entries: Iterable<{ readonly upsert: Omit<Upsert, 'metricNames'>; readonly measures: MeasuresByName }>,
): Promise<void> {
  const batch: { metricId: string; timestamps: number[]; values: number[] }[] = [];
  for (const { upsert, measures } of entries) {
    const found = await upsertResourceMetrics(engine, index, caller, { ...upsert, metricNames: [...measures.keys()] });
    for (const metric of found) {
      requireAccess(canChangeMetric(caller, metric));
      const m = metric.name === null ? undefined : measures.get(metric.name);
      if (m) batch.push({ metricId: metric.id, ...m });
    }
  }
  await engine.addMeasures(batch);
}
