/**
 * Meter definitions in Ceilometer's meters.yaml format, and the samples they
 * make of a notification (ceilometer.meter.notifications). Definitions are
 * kept in the order Ceilometer keeps them: each file read bottom-up, the
 * first definition of a name winning, invalid ones skipped with a warning.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Field } from '../definitions/field.js';
import { isMapping } from '../definitions/python-values.js';
import { pyIsoFormat, parseIsoTime } from '../definitions/python-time.js';
import { pythonMatchRegExp } from '../definitions/python-regex.js';
import { DefinitionError } from '../definitions/trait-plugins.js';
import { pyTruthy } from '../definitions/python-values.js';
import { uuid5 } from '../../tsdb/api/resource-id.js';
import type { Notification, NotificationMessage } from '../notification.js';
import { BoundedMemo } from '../../tsdb/bounded-memo.js';
import { SAMPLE_TYPES, type Sample } from './sample.js';

const SAMPLE_ATTRIBUTES = ['name', 'type', 'volume', 'unit', 'timestamp', 'user_id', 'project_id', 'resource_id'] as const;
type SampleAttribute = (typeof SAMPLE_ATTRIBUTES)[number];
const REQUIRED = ['name', 'type', 'event_type', 'unit', 'volume', 'resource_id'];

/** Ceilometer's [DEFAULT] reserved_metadata_namespace / _length. */
const RESERVED_PREFIX = 'metering.';
const RESERVED_LENGTH = 256;

/** uuid.NAMESPACE_URL: sample ids are uuid5(message_id/position), stable across redeliveries. */
const NAMESPACE_URL = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** A failure while turning one notification into samples (Ceilometer logs it and publishes nothing of it). */
export class SampleBuildError extends Error {}

// "ctxt.user_id|ctxt.user" is "ctxt.(user_id|ctxt).user" in this grammar: it never matches; kept as Ceilometer has it
const FALLBACK_USER = new Field('user_id', 'ctxt.user_id|ctxt.user');
const FALLBACK_PROJECT = new Field('project_id', 'ctxt.project_id|ctxt.tenant_id');

interface Draft {
  name: unknown;
  type: unknown;
  unit: unknown;
  volume: unknown;
  timestamp: unknown;
  user_id: unknown;
  project_id: unknown;
  resource_id: unknown;
  metadata: Record<string, unknown>;
}

export class MeterDefinition {
  readonly name: string;
  private readonly eventTypes: RegExp[];
  private readonly attributes = new Map<SampleAttribute, Field>();
  private readonly metadata = new Map<string, Field>();
  private readonly userMetadata: Field | null = null;
  private readonly lookup: readonly string[] | null;

  constructor(private readonly cfg: Readonly<Record<string, unknown>>) {
    const missing = REQUIRED.filter((f) => !pyTruthy(cfg[f]));
    if (missing.length > 0) throw new DefinitionError(`Required fields ${JSON.stringify(missing)} not specified`);
    this.name = String(cfg.name);
    const types = Array.isArray(cfg.event_type) ? cfg.event_type : [cfg.event_type];
    try {
      this.eventTypes = types.map((t) => pythonMatchRegExp(String(t)));
    } catch (err) {
      throw new DefinitionError(`invalid event_type pattern: ${(err as Error).message}`);
    }
    const lookup = cfg.lookup;
    this.lookup = lookup === undefined || lookup === null ? null : Array.isArray(lookup) ? lookup.map(String) : [String(lookup)];
    if (!(this.lookup ?? []).includes('type') && !SAMPLE_TYPES.includes(String(cfg.type))) {
      throw new DefinitionError(`Invalid type ${String(cfg.type)} specified`);
    }
    for (const a of SAMPLE_ATTRIBUTES) if (pyTruthy(cfg[a])) this.attributes.set(a, new Field(a, cfg[a]));
    if (isMapping(cfg.metadata)) for (const [k, v] of Object.entries(cfg.metadata)) this.metadata.set(k, new Field(k, v));
    if (pyTruthy(cfg.user_metadata)) this.userMetadata = new Field('user_metadata', cfg.user_metadata);
  }

  matches(eventType: string): boolean {
    for (const re of this.eventTypes) if (re.test(eventType)) return true;
    return false;
  }

  /** The drafts of samples this definition makes of a notification (to_samples). */
  drafts(n: NotificationMessage): Draft[] {
    const draft: Draft = {
      name: this.cfg.name,
      type: this.cfg.type,
      unit: this.cfg.unit,
      volume: null,
      timestamp: null,
      user_id: FALLBACK_USER.first(n),
      project_id: FALLBACK_PROJECT.first(n),
      resource_id: null,
      metadata: {},
    };
    for (const [k, f] of this.metadata) {
      const v = f.first(n);
      if (pyTruthy(v)) draft.metadata[k] = v;
    }
    if (this.userMetadata) {
      const meta = this.userMetadata.first(n);
      if (pyTruthy(meta)) addReservedUserMetadata(meta, draft.metadata);
    }
    if (!this.lookup) {
      for (const [a, f] of this.attributes) {
        const v = f.first(n);
        if (v !== null) draft[a] = v;
      }
      return [draft];
    }
    return this.lookupDrafts(n, draft);
  }

  /** Several samples in one payload: every `lookup` attribute gives one value per sample. */
  private lookupDrafts(n: NotificationMessage, base: Draft): Draft[] {
    const lookup = this.lookup!;
    const columns = new Map<string, unknown[]>();
    for (const a of SAMPLE_ATTRIBUTES) columns.set(a, [base[a]]);
    for (const [a, f] of this.attributes) {
      const v = f.all(n);
      if (!Array.isArray(v)) throw new SampleBuildError(`${this.name}: ${a} gives one value where a list is expected`);
      if (lookup.includes(a) || a === 'name' || v.length > 0) columns.set(a, v);
    }
    const count = columns.get('name')!.length;
    if (count === 0) return [];
    for (const [a, values] of columns) {
      if (values.length === count) continue;
      if (values.length === 1 && !lookup.includes(a)) {
        columns.set(a, Array<unknown>(count).fill(values[0]));
        continue;
      }
      // Ceilometer: "Only N fetched meters contain "x" field instead of M." and nothing of this definition
      return [];
    }
    const out: Draft[] = [];
    for (let i = 0; i < count; i++) {
      const d = { ...base, metadata: base.metadata };
      for (const a of SAMPLE_ATTRIBUTES) d[a] = columns.get(a)![i];
      out.push(d);
    }
    return out;
  }
}

/** sample.add_reserved_user_metadata: `metering.*` keys as user_metadata, dots as underscores. */
function addReservedUserMetadata(src: unknown, dest: Record<string, unknown>): void {
  if (!isMapping(src)) throw new SampleBuildError('user_metadata is not a mapping');
  const user: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (!k.startsWith(RESERVED_PREFIX)) continue;
    const key = k.slice(RESERVED_PREFIX.length).replace(/\./g, '_');
    if (key in dest) continue;
    user[key] = typeof v === 'string' ? [...v].slice(0, RESERVED_LENGTH).join('') : v;
  }
  if (Object.keys(user).length > 0) dest.user_metadata = user;
}

/** Sample.from_notification: default metadata, the timestamp normalised. */
function toSample(d: Draft, n: NotificationMessage, position: number): Sample {
  let metadata = d.metadata;
  if (!pyTruthy(metadata)) {
    metadata = isMapping(n.payload) ? { ...n.payload } : {};
    metadata.event_type = n.event_type;
    metadata.host = n.publisher_id;
  }
  const ts = pyTruthy(d.timestamp) ? d.timestamp : n.metadata.timestamp;
  const parsed = parseIsoTime(ts);
  if (parsed === null) throw new SampleBuildError(`timestamp ${JSON.stringify(ts)} is not an ISO 8601 date`);
  return {
    name: String(d.name),
    type: String(d.type),
    unit: d.unit,
    volume: d.volume,
    user_id: d.user_id,
    project_id: d.project_id,
    resource_id: d.resource_id,
    timestamp: pyIsoFormat(parsed),
    resource_metadata: metadata,
    source: 'openstack',
    id: uuid5(NAMESPACE_URL, `${n.metadata.message_id}/${position}`),
    monotonic_time: null,
  };
}

export class MeterDefinitions {
  /** event type → the definitions matching it, in order (a cloud has a few hundred event types) */
  private readonly matching = new BoundedMemo<string, readonly MeterDefinition[]>(10_000, (eventType) =>
    this.definitions.filter((d) => d.matches(eventType)),
  );

  constructor(
    readonly definitions: readonly MeterDefinition[],
    /** definitions skipped at load, with why */
    readonly skipped: readonly string[],
  ) {}

  /** Loads meters.yaml files (Ceilometer reads every *.yaml of its meter directories, sorted). */
  static load(files: readonly string[]): MeterDefinitions {
    const docs = files.map((f) => {
      const doc: unknown = parse(readFileSync(f, 'utf8'), { merge: true });
      if (!isMapping(doc) || !Array.isArray(doc.metric)) throw new DefinitionError(`${f}: expected a mapping with a "metric" list`);
      return doc.metric as unknown[];
    });
    return MeterDefinitions.fromConfigs(docs);
  }

  static fromConfigs(files: readonly (readonly unknown[])[]): MeterDefinitions {
    const byName = new Map<string, MeterDefinition>();
    const skipped: string[] = [];
    for (const metric of files) {
      for (const cfg of [...metric].reverse()) {
        if (!isMapping(cfg)) {
          skipped.push(`not a mapping: ${JSON.stringify(cfg)}`);
          continue;
        }
        const name = String(cfg.name);
        if (byName.has(name)) {
          skipped.push(`${name}: duplicate meter definition, the later one in the file is kept`);
          continue;
        }
        try {
          byName.set(name, new MeterDefinition(cfg));
        } catch (err) {
          if (!(err instanceof DefinitionError)) throw err;
          skipped.push(`${name}: ${err.message}`);
        }
      }
    }
    return new MeterDefinitions([...byName.values()], skipped);
  }

  /** Every sample of a notification; only `info` and `sample` notifications make samples. */
  samples({ priority, message }: Notification): Sample[] {
    if (priority !== 'info' && priority !== 'sample') return [];
    const out: Sample[] = [];
    for (const d of this.matching.get(message.event_type)) {
      for (const draft of d.drafts(message)) out.push(toSample(draft, message, out.length));
    }
    return out;
  }
}
