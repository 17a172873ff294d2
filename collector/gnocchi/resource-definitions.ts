/**
 * Ceilometer's gnocchi_resources.yaml: which resource type each meter's
 * samples land on, the resource attributes read from samples, the archive
 * policy of each metric, and the events that create, update and end
 * resources (ceilometer/publisher/gnocchi.py, ResourcesDefinition).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ArchivePolicyInput } from '../../tsdb/archive-policy.js';
import { fnmatch } from '../../tsdb/index/archive-policies.js';
import { Field } from '../definitions/field.js';
import { isMapping } from '../definitions/python-values.js';
import { DefinitionError } from '../definitions/trait-plugins.js';
import type { Event } from '../../tsdb/index/events.js';
import type { Sample } from '../meters/sample.js';

export type EventOperation = 'create' | 'update' | 'delete';

export class ResourceDefinition {
  readonly resourceType: string;
  /** metric name → archive policy name */
  readonly metrics: ReadonlyMap<string, string>;
  private readonly attributes: ReadonlyMap<string, Field>;
  /** resource attribute → trait name */
  private readonly eventAttributes: Readonly<Record<string, string>>;
  /** resource type → a search filter with %s for this resource's id */
  readonly associatedResources: Readonly<Record<string, string>>;
  private readonly eventPatterns: Readonly<Record<EventOperation, readonly string[]>>;

  constructor(cfg: unknown, archivePolicyDefault: string) {
    if (!isMapping(cfg)) throw new DefinitionError(`a resource definition must be a mapping, got ${JSON.stringify(cfg)}`);
    if (typeof cfg.resource_type !== 'string') throw new DefinitionError('Required field resource_type not specified');
    this.resourceType = cfg.resource_type;
    const metrics = new Map<string, string>();
    const rawMetrics = Array.isArray(cfg.metrics) ? Object.fromEntries(cfg.metrics.map((m) => [String(m), null])) : cfg.metrics;
    if (!isMapping(rawMetrics)) throw new DefinitionError(`Required field metrics should be a mapping or a list (${this.resourceType})`);
    for (const [name, extra] of Object.entries(rawMetrics)) {
      const policy = isMapping(extra) && typeof extra.archive_policy_name === 'string' && extra.archive_policy_name ? extra.archive_policy_name : archivePolicyDefault;
      // a per-type archive_policy is deprecated in Ceilometer but still wins
      metrics.set(name, typeof cfg.archive_policy === 'string' ? cfg.archive_policy : policy);
    }
    this.metrics = metrics;
    this.attributes = new Map(Object.entries(isMapping(cfg.attributes) ? cfg.attributes : {}).map(([k, v]) => [k, new Field(k, v)]));
    const ev = isMapping(cfg.event_attributes) ? cfg.event_attributes : {};
    this.eventAttributes = Object.fromEntries(Object.entries(ev).map(([k, v]) => [k, String(v)]));
    const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
    this.eventPatterns = { create: list(cfg.event_create), delete: list(cfg.event_delete), update: list(cfg.event_update) };
    if (this.eventPatterns.create.length + this.eventPatterns.delete.length + this.eventPatterns.update.length > 0 && typeof ev.id !== 'string') {
      throw new DefinitionError(`Required field id not specified in event_attributes of ${this.resourceType}`);
    }
    this.associatedResources = Object.fromEntries(
      Object.entries(isMapping(cfg.event_associated_resources) ? cfg.event_associated_resources : {}).map(([k, v]) => [k, String(v)]),
    );
  }

  /** The resource's attributes as this sample gives them (non-null only). */
  sampleAttributes(sample: Sample): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, f] of this.attributes) {
      const v = f.first(sample);
      if (v !== null) out[name] = v;
    }
    return out;
  }

  /** create, then delete, then update: the first whose globs match */
  eventOperation(eventType: string): EventOperation | null {
    for (const op of ['create', 'delete', 'update'] as const) if (this.eventPatterns[op].some((p) => fnmatch(eventType, p))) return op;
    return null;
  }

  /** The resource an event speaks of: its attributes from the event's traits (`id` among them). */
  eventResource(event: Event): Record<string, unknown> {
    const traits = new Map(event.traits.map((t) => [t.name, t.value]));
    const out: Record<string, unknown> = {};
    for (const [attr, trait] of Object.entries(this.eventAttributes)) {
      const v = traits.get(trait);
      if (v !== undefined) out[attr] = v;
    }
    return out;
  }
}

export interface ResourceDefinitions {
  readonly archivePolicyDefault: string;
  /** policies the file declares: created when missing */
  readonly archivePolicies: readonly ArchivePolicyInput[];
  readonly resources: readonly ResourceDefinition[];
  /** metric name → its resource definition */
  readonly byMetric: ReadonlyMap<string, ResourceDefinition>;
}

/**
 * One or more files, read in order as if one: their resources follow each
 * other (a metric named twice belongs to the last definition naming it) and
 * the first file's archive_policy_default applies where a later one has none.
 */
export function loadResourceDefinitions(files: string | readonly string[]): ResourceDefinitions {
  let archivePolicyDefault: string | null = null;
  const resources: ResourceDefinition[] = [];
  const archivePolicies: ArchivePolicyInput[] = [];
  for (const file of typeof files === 'string' ? [files] : files) {
    const doc: unknown = parse(readFileSync(file, 'utf8'), { merge: true });
    if (!isMapping(doc)) throw new DefinitionError(`${file}: expected a mapping with "resources"`);
    const fileDefault: string = typeof doc.archive_policy_default === 'string' ? doc.archive_policy_default : (archivePolicyDefault ?? 'ceilometer-low');
    archivePolicyDefault ??= fileDefault;
    (Array.isArray(doc.resources) ? doc.resources : []).forEach((r: unknown, i: number) => {
      try {
        resources.push(new ResourceDefinition(r, fileDefault));
      } catch (err) {
        throw new DefinitionError(`${file}: resources[${i}]: ${(err as Error).message}`);
      }
    });
    archivePolicies.push(...((Array.isArray(doc.archive_policies) ? doc.archive_policies : []) as ArchivePolicyInput[]));
  }
  const byMetric = new Map<string, ResourceDefinition>();
  // Ceilometer builds a dict: a metric named twice belongs to the last definition naming it
  for (const rd of resources) for (const m of rd.metrics.keys()) byMetric.set(m, rd);
  return { archivePolicyDefault: archivePolicyDefault ?? 'ceilometer-low', archivePolicies, resources, byMetric };
}
