/**
 * Samples and events into the store, the way Ceilometer's gnocchi publisher
 * maps them (ceilometer/publisher/gnocchi.py), in-process: each sample's meter
 * names its resource type and archive policy (gnocchi_resources.yaml), the
 * resource is created with its attributes on first sight and patched when
 * they change, missing metrics are created, and events create, update and
 * end resources. Resources and metrics go to the index first; the measures
 * are returned for the caller to write in one durable batch.
 */
import { type ArchivePolicy, makeArchivePolicy } from '../../tsdb/archive-policy.js';
import type { Engine, MeasureBatch } from '../../tsdb/engine.js';
import { InvalidInputError } from '../../tsdb/errors.js';
import { ArchivePolicyAlreadyExists, IndexError, NoSuchArchivePolicy, ResourceAlreadyExists } from '../../tsdb/index/errors.js';
import type { Event } from '../../tsdb/index/events.js';
import type { Index } from '../../tsdb/index/index.js';
import type { Resource } from '../../tsdb/index/resources.js';
import type { ResourceType } from '../../tsdb/index/resource-type-schema.js';
import { HttpError } from '../../tsdb/api/http-error.js';
import { parseResourceBody } from '../../tsdb/api/resource-body.js';
import { resourceUuid } from '../../tsdb/api/resource-id.js';
import { checkSearchFilter } from '../../tsdb/api/search-filter.js';
import { parseIsoTime } from '../definitions/python-time.js';
import type { Sample } from '../meters/sample.js';
import { BoundedMemo } from '../../tsdb/bounded-memo.js';
import type { ResourceDefinition, ResourceDefinitions } from './resource-definitions.js';
import { ensureCeilometerResourceTypes } from './resource-types.js';

/** A sample and the message it came from (its index in the caller's batch). */
export interface TaggedSample {
  readonly sample: Sample;
  readonly tag: number;
}

/** Measures staged notification by notification, written together at the end of a batch. */
export class StagedMeasures {
  /** metric id → its measures */
  readonly byMetric = new Map<string, { timestamps: number[]; values: number[] }>();
  /** messages whose samples could not be stored, with why */
  readonly failures = new Map<number, string>();
  /** samples skipped as Ceilometer's publisher skips them (no resource definition, no numeric volume) */
  skipped = 0;
}

interface KnownResource {
  readonly type: string;
  readonly metrics: Map<string, string>;
  /** the attributes last written, to patch only on change */
  attributes: Readonly<Record<string, unknown>>;
}

/** Whether two samples' attributes are the same (the same keys, equal values; objects compared as JSON). */
function sameAttributes(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  let n = 0;
  for (const k in b) {
    const x = a[k];
    const y = b[k];
    if (x !== y && (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || JSON.stringify(x) !== JSON.stringify(y))) return false;
    n++;
  }
  for (const _ in a) n--;
  return n === 0;
}

export interface PublisherLog {
  warn(line: string): void;
}

/** Ceilometer's publisher talks to Gnocchi's API; these are the API's answers it cares about. */
function reasonOf(err: unknown): string {
  if (err instanceof HttpError) {
    const d = err.description;
    return typeof d === 'string' ? d : [d.cause, d.reason].filter(Boolean).join(': ');
  }
  if (err instanceof InvalidInputError) return `Invalid input: ${err.message}`;
  if (err instanceof IndexError) return err.message;
  throw err;
}

/** Resources a collector remembers when not configured (about 1 KB each). */
export const DEFAULT_RESOURCE_CACHE_SIZE = 100_000;

export class GnocchiPublisher {
  /** the resources as last written, so an unchanged one is not written again (at most `resourceCacheSize`, then forgotten whole) */
  private readonly known = new Map<string, KnownResource>();
  private readonly types = new Map<string, ResourceType>();
  private readonly policies = new Map<string, ArchivePolicy>();
  private readonly warned = new Set<string>();
  /** original resource id → UUID (a SHA-1 each, for ids that are not UUIDs) */
  private readonly uuids: BoundedMemo<string, string>;

  constructor(
    private readonly engine: Engine,
    private readonly index: Index,
    private readonly definitions: ResourceDefinitions,
    /** who the collector writes as: the creator of its resources and metrics */
    private readonly creator: string,
    private readonly log: PublisherLog,
    /** resources remembered (as written, and their UUIDs) */
    private readonly resourceCacheSize = DEFAULT_RESOURCE_CACHE_SIZE,
  ) {
    this.uuids = new BoundedMemo<string, string>(resourceCacheSize, (rid) => resourceUuid(rid, this.creator));
  }

  /** resources remembered as written (for diagnostics) */
  get knownResources(): number {
    return this.known.size;
  }

  /** Archive policies of the file and Ceilometer's resource types, created where missing. */
  async setup(): Promise<{ createdPolicies: string[]; changedTypes: string[] }> {
    const createdPolicies: string[] = [];
    for (const input of this.definitions.archivePolicies) {
      if (await this.index.archivePolicies.get(input.name)) continue;
      try {
        await this.index.archivePolicies.create(makeArchivePolicy(input));
        createdPolicies.push(input.name);
      } catch (err) {
        if (!(err instanceof ArchivePolicyAlreadyExists)) throw err;
      }
    }
    const changedTypes = await ensureCeilometerResourceTypes(this.index);
    return { createdPolicies, changedTypes };
  }

  /** Forgets what it knows of resources and metrics (one was deleted behind its back). */
  forget(): void {
    this.known.clear();
    this.types.clear();
  }

  private warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    // a stream of odd input must not grow it without end: past 10,000, a warning may repeat
    if (this.warned.size >= 10_000) this.warned.clear();
    this.warned.add(key);
    this.log.warn(line);
  }

  private async typeOf(name: string): Promise<ResourceType> {
    let t = this.types.get(name);
    if (!t) this.types.set(name, (t = await this.index.resourceTypes.get(name)));
    return t;
  }

  private async policyOf(name: string): Promise<ArchivePolicy> {
    let p = this.policies.get(name);
    if (!p) {
      p = await this.index.archivePolicies.get(name);
      if (!p) throw new NoSuchArchivePolicy(name);
      this.policies.set(name, p);
    }
    return p;
  }

  /** Metrics the index made during this batch: the engine gets them all at once, in one flush. */
  private pendingMetrics: { id: string; policy: ArchivePolicy }[] = [];

  private async created(metrics: readonly { id: string; archivePolicyName: string }[]): Promise<void> {
    for (const m of metrics) this.pendingMetrics.push({ id: m.id, policy: await this.policyOf(m.archivePolicyName) });
  }

  /**
   * The engine's side of the batch's metrics: the new ones, and any the index
   * has but the engine lacks (a crash between the two writes).
   */
  private async settleMetrics(ids: Iterable<string>): Promise<void> {
    const pendingIds = new Set(this.pendingMetrics.map((m) => m.id));
    for (const id of this.engine.unknownMetrics(ids)) {
      if (pendingIds.has(id)) continue;
      const m = await this.index.metrics.get(id);
      if (m) this.pendingMetrics.push({ id, policy: await this.policyOf(m.archivePolicyName) });
    }
    const pending = this.pendingMetrics;
    this.pendingMetrics = [];
    await this.engine.ensureMetrics(pending);
  }

  /**
   * Resources and metrics for these samples (one notification's: Ceilometer
   * publishes each on its own), their measures added to `staged`.
   */
  async stage(samples: readonly TaggedSample[], staged: StagedMeasures): Promise<void> {
    const { byMetric, failures } = staged;
    // resource id → its definition, its samples, and the attributes they give (later samples win)
    const groups = new Map<string, { rd: ResourceDefinition; first: Sample; items: { tag: number; metric: string; unit: string | null; t: number; v: number }[]; extra: Record<string, unknown> }>();
    for (const { sample, tag } of samples) {
      const rd = this.definitions.byMetric.get(sample.name);
      if (!rd) {
        staged.skipped++;
        this.warnOnce(`metric:${sample.name}`, `collector: metric ${sample.name} is not handled by Gnocchi (no resource definition names it)`);
        continue;
      }
      const v = typeof sample.volume === 'number' ? sample.volume : typeof sample.volume === 'string' && sample.volume.trim() !== '' ? Number(sample.volume) : NaN;
      if (!Number.isFinite(v)) {
        staged.skipped++;
        this.warnOnce(`volume:${sample.name}`, `collector: ${sample.name}: samples without a numeric volume are skipped (got ${JSON.stringify(sample.volume)})`);
        continue;
      }
      if (typeof sample.resource_id !== 'string' || sample.resource_id === '') {
        staged.skipped++;
        this.warnOnce(`rid:${sample.name}`, `collector: ${sample.name}: samples without a resource id are skipped`);
        continue;
      }
      const time = parseIsoTime(sample.timestamp);
      if (time === null) {
        failures.set(tag, `${sample.name}: timestamp ${JSON.stringify(sample.timestamp)} is not an ISO 8601 date`);
        continue;
      }
      const t = time.micros;
      // "/" is forbidden in Gnocchi's resource ids
      const rid = sample.resource_id.includes('/') ? sample.resource_id.replace(/\//g, '_') : sample.resource_id;
      let g = groups.get(rid);
      if (!g) groups.set(rid, (g = { rd, first: sample, items: [], extra: {} }));
      Object.assign(g.extra, rd.sampleAttributes(sample));
      g.items.push({ tag, metric: sample.name, unit: typeof sample.unit === 'string' ? sample.unit : null, t, v });
    }

    for (const [rid, g] of groups) {
      let metrics: Map<string, string>;
      try {
        metrics = await this.ensureResource(rid, g.rd, g.first, g.extra, g.items);
      } catch (err) {
        const reason = `resource ${rid} (${g.rd.resourceType}): ${reasonOf(err)}`;
        for (const i of g.items) failures.set(i.tag, reason);
        continue;
      }
      for (const i of g.items) {
        const id = metrics.get(i.metric)!;
        let m = byMetric.get(id);
        if (!m) byMetric.set(id, (m = { timestamps: [], values: [] }));
        m.timestamps.push(i.t);
        m.values.push(i.v);
      }
    }
  }

  /** The staged measures as the engine takes them, once the engine knows every metric they name. */
  async batches(staged: StagedMeasures): Promise<MeasureBatch[]> {
    await this.settleMetrics(staged.byMetric.keys());
    return [...staged.byMetric].map(([metricId, m]) => ({ metricId, ...m }));
  }

  /** The resource's metric ids by name, creating the resource, its metrics, or patching its attributes as needed. */
  private async ensureResource(
    rid: string,
    rd: ResourceDefinition,
    sample: Sample,
    extra: Record<string, unknown>,
    items: readonly { readonly metric: string; readonly unit: string | null }[],
  ): Promise<Map<string, string>> {
    const id = this.uuids.get(rid);
    const cached = this.known.get(id);
    if (cached && sameAttributes(cached.attributes, extra) && items.every((i) => cached.metrics.has(i.metric))) return cached.metrics;
    const units = new Map(items.map((i) => [i.metric, i.unit]));

    const type = await this.typeOf(rd.resourceType);
    const links = async (names: Iterable<string>): Promise<Record<string, { archivePolicyName: string; unit: string | null }>> => {
      const out: Record<string, { archivePolicyName: string; unit: string | null }> = {};
      // a metric keeps its own definition's policy, even on a resource another definition made (as Ceilometer)
      for (const n of names) out[n] = { archivePolicyName: (this.definitions.byMetric.get(n) ?? rd).metrics.get(n)!, unit: units.get(n) ?? null };
      return out;
    };
    let resource = await this.index.resources.get(rd.resourceType, id);
    if (!resource) {
      try {
        const { resource: created, createdMetrics } = await this.createResource(
          type,
          id,
          { ...extra, id: rid, user_id: sample.user_id, project_id: sample.project_id },
          await links(units.keys()),
        );
        await this.created(createdMetrics);
        resource = created;
      } catch (err) {
        if (!(err instanceof ResourceAlreadyExists)) throw err;
        // created meanwhile by another writer, or it exists with another type
        resource = await this.index.resources.get(rd.resourceType, id);
        if (!resource) {
          const other = await this.index.resources.get('generic', id);
          if (!other) throw err;
          return this.remember(id, other.type, await this.addMetrics(other, links, units), extra);
        }
      }
    }
    resource = await this.completeResource(resource, rd, type, extra, links, units);
    return this.remember(id, rd.resourceType, resource.metrics, extra);
  }

  /**
   * A resource of another type than the sample's definition (an RBD image's
   * sizes on the Cinder volume it is): as Ceilometer's batch write by
   * resource id with create_metrics, the metrics go on it; its attributes are
   * its own type's, not this definition's to set.
   */
  private async addMetrics(
    resource: Resource,
    links: (names: Iterable<string>) => Promise<Record<string, { archivePolicyName: string; unit: string | null }>>,
    units: ReadonlyMap<string, string | null>,
  ): Promise<Readonly<Record<string, string>>> {
    const missing = [...units.keys()].filter((n) => resource.metrics[n] === undefined);
    if (missing.length === 0) return resource.metrics;
    const { resource: updated, createdMetrics } = await this.index.resources.update(resource.type, resource.id, { metrics: await links(missing), appendMetrics: true, createRevision: false });
    await this.created(createdMetrics);
    return updated.metrics;
  }

  private remember(id: string, type: string, metrics: Readonly<Record<string, string>>, extra: Record<string, unknown>): Map<string, string> {
    const known: KnownResource = { type, metrics: new Map(Object.entries(metrics)), attributes: extra };
    if (this.known.size >= this.resourceCacheSize && !this.known.has(id)) this.known.clear();
    this.known.set(id, known);
    return known.metrics;
  }

  /** Creates a resource from what Ceilometer would POST (`id` is the original id), checked as the API checks it. */
  private createResource(type: ResourceType, id: string, body: Record<string, unknown>, metrics?: Record<string, { archivePolicyName: string; unit: string | null }>) {
    const parsed = parseResourceBody(body, type, this.creator, true);
    return this.index.resources.create(type.name, {
      id,
      originalResourceId: String(body.id),
      creator: this.creator,
      userId: parsed.userId,
      projectId: parsed.projectId,
      attributes: parsed.attributes,
      metrics,
    });
  }

  /** Adds the metrics it lacks and patches attributes that changed (a new revision, as a Gnocchi PATCH). */
  private async completeResource(
    resource: Resource,
    rd: ResourceDefinition,
    type: ResourceType,
    extra: Record<string, unknown>,
    links: (names: Iterable<string>) => Promise<Record<string, { archivePolicyName: string; unit: string | null }>>,
    units: Map<string, string | null>,
  ): Promise<Resource> {
    let r = resource;
    const missing = [...units.keys()].filter((m) => r.metrics[m] === undefined);
    if (missing.length > 0) {
      const { resource: updated, createdMetrics } = await this.index.resources.update(rd.resourceType, r.id, {
        metrics: await links(missing),
        appendMetrics: true,
        createRevision: false,
      });
      await this.created(createdMetrics);
      r = updated;
    }
    if (Object.keys(extra).length === 0) return r;
    const body = parseResourceBody(extra, type, this.creator, false);
    const current = r;
    if (Object.entries(body.attributes).every(([k, v]) => current.attributes[k] === v)) return r;
    return (await this.index.resources.update(rd.resourceType, r.id, { attributes: body.attributes, createRevision: true })).resource;
  }

  /**
   * Resource changes events ask for (event_create / event_update /
   * event_delete). As in Ceilometer, a failure is logged and skipped: events
   * carry no measures. Returns how many resources changed.
   */
  async applyEvents(events: readonly Event[]): Promise<number> {
    let changed = 0;
    for (const event of events) {
      const target = this.eventTargets.get(event.eventType);
      if (target === null) continue;
      const { rd, op } = target;
      try {
        changed += await this.applyEvent(rd, op, event);
      } catch (err) {
        let reason: string;
        try {
          reason = reasonOf(err);
        } catch {
          throw err;
        }
        this.log.warn(`collector: event ${event.eventType} (${event.messageId}) on ${rd.resourceType}: ${reason}`);
      }
    }
    return changed;
  }

  /** event type → the first resource definition with an operation for it, and the operation */
  private readonly eventTargets = new BoundedMemo<string, { rd: ResourceDefinition; op: 'create' | 'update' | 'delete' } | null>(10_000, (eventType) => {
    for (const rd of this.definitions.resources) {
      const op = rd.eventOperation(eventType);
      if (op !== null) return { rd, op };
    }
    return null;
  });

  private async applyEvent(rd: ResourceDefinition, op: 'create' | 'update' | 'delete', event: Event): Promise<number> {
    const attrs = rd.eventResource(event);
    if (typeof attrs.id !== 'string') return 0;
    const rid = attrs.id;
    const id = resourceUuid(rid, this.creator);
    const type = await this.typeOf(rd.resourceType);
    if (op === 'create') {
      try {
        await this.createResource(type, id, attrs);
        return 1;
      } catch (err) {
        if (err instanceof ResourceAlreadyExists) return 0;
        throw err;
      }
    }
    if (op === 'update') {
      const r = await this.index.resources.get(rd.resourceType, id);
      if (!r) return 0;
      const { id: _id, ...rest } = attrs;
      const body = parseResourceBody(rest, type, this.creator, false);
      const same =
        (body.userId === undefined || body.userId === r.userId) &&
        (body.projectId === undefined || body.projectId === r.projectId) &&
        Object.entries(body.attributes).every(([k, v]) => r.attributes[k] === v);
      if (same) return 0;
      await this.index.resources.update(rd.resourceType, id, { userId: body.userId, projectId: body.projectId, attributes: body.attributes, createRevision: true });
      this.known.delete(id);
      return 1;
    }
    // delete: the resource, and the resources that hang from it (an instance's disks and interfaces)
    const targets: { type: string; id: string }[] = [{ type: rd.resourceType, id }];
    for (const [assocType, query] of Object.entries(rd.associatedResources)) {
      const filter = checkSearchFilter(JSON.parse(query.replace('%s', rid)), this.creator);
      for (const r of await this.index.resources.list(assocType, { filter })) targets.push({ type: assocType, id: r.id });
    }
    let n = 0;
    for (const t of targets) {
      const r = await this.index.resources.get(t.type, t.id);
      if (!r || r.endedAt !== null) continue;
      // the event's time, not the time it is processed: a replayed backlog ends resources when they ended
      await this.index.resources.update(t.type, t.id, { endedAt: Math.max(event.generated, r.startedAt), createRevision: true });
      this.known.delete(t.id);
      n++;
    }
    return n;
  }
}
