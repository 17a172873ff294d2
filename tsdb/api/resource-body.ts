/**
 * A resource as a client posts or patches it, checked against its type the
 * way Gnocchi's schema does (keys in body order, extra keys, then missing
 * required ones) and turned into the index's terms.
 */
import { InvalidInputError } from '../errors.js';
import { type AttributeValue, type ResourceType, checkValue, parseUuid } from '../index/resource-type-schema.js';
import type { MetricLink } from '../index/resources.js';
import { type Micros, parseTimestamp } from '../time.js';
import { HttpError, invalidInput } from './http-error.js';
import { resourceUuid } from './resource-id.js';
import { isObject } from '../json-object.js';

export interface ResourceBody {
  /** [original id, UUID] on create */
  readonly id?: readonly [string, string];
  readonly startedAt?: Micros;
  readonly endedAt?: Micros | null;
  readonly userId?: string | null;
  readonly projectId?: string | null;
  readonly attributes: Record<string, AttributeValue>;
  /** metric name → an existing metric's id, or the definition of one to create */
  readonly metrics?: Record<string, UnresolvedMetric>;
}

/** A metric a resource body names; its archive policy may still come from the rules. */
export type UnresolvedMetric = { readonly id: string } | { readonly archivePolicyName?: string; readonly unit: string | null };


/** voluptuous' wording: errors about a value say so; errors about keys do not. */
function fail(reason: string, path: (string | number)[]): never {
  const aboutKey = reason === 'extra keys not allowed' || reason === 'required key not provided';
  throw invalidInput(`${reason}${path.length && !aboutKey ? ' for dictionary value' : ''}`, path);
}

/** What a voluptuous callable validator raising ValueError is reported as. */
function timestampOf(value: unknown, path: string[]): Micros {
  try {
    return parseTimestamp(path[0], value);
  } catch {
    return fail('not a valid value', path);
  }
}

export function parseResourceBody(body: unknown, type: ResourceType, creator: string, create: boolean): ResourceBody {
  if (!isObject(body)) fail('expected a dictionary', []);
  const out: {
    id?: [string, string];
    startedAt?: Micros;
    endedAt?: Micros | null;
    userId?: string | null;
    projectId?: string | null;
    attributes: Record<string, AttributeValue>;
    metrics?: Record<string, UnresolvedMetric>;
  } = { attributes: {} };
  for (const [key, value] of Object.entries(body)) {
    const path = [key];
    switch (key) {
      case 'id':
        if (!create) fail('extra keys not allowed', path);
        if (typeof value !== 'string' && typeof value !== 'number') fail('not a valid value', path);
        try {
          out.id = [String(value), resourceUuid(String(value), creator)];
        } catch (err) {
          if (err instanceof InvalidInputError) fail(err.reason, path);
          throw err;
        }
        break;
      case 'started_at':
        out.startedAt = timestampOf(value, path);
        break;
      case 'ended_at':
        out.endedAt = value === null ? null : timestampOf(value, path);
        break;
      case 'user_id':
      case 'project_id':
        if (value !== null && typeof value !== 'string') fail('not a valid value', path);
        if (key === 'user_id') out.userId = value as string | null;
        else out.projectId = value as string | null;
        break;
      case 'metrics':
        out.metrics = parseMetrics(value);
        break;
      default: {
        const def = type.attributes[key];
        if (!def) fail('extra keys not allowed', path);
        try {
          out.attributes[key] = checkValue(def, value);
        } catch (err) {
          if (err instanceof InvalidInputError) fail(err.reason, path);
          throw err;
        }
      }
    }
  }
  if (create) {
    if (out.id === undefined) fail('required key not provided', ['id']);
    for (const [name, def] of Object.entries(type.attributes)) {
      if (def.required && !(name in out.attributes)) fail('required key not provided', [name]);
    }
    // every attribute of the type is present on a resource, null when not given
    for (const name of Object.keys(type.attributes)) if (!(name in out.attributes)) out.attributes[name] = null;
  }
  return out;
}

/** `{"cpu": "<metric uuid>", "mem": {"archive_policy_name": "low", "unit": "B"}}` */
export function parseMetrics(value: unknown, base: (string | number)[] = ['metrics']): Record<string, UnresolvedMetric> {
  if (!isObject(value)) fail('expected a dictionary', base);
  const out: Record<string, UnresolvedMetric> = {};
  for (const [name, def] of Object.entries(value)) {
    const path = [...base, name];
    if (typeof def === 'string') {
      try {
        out[name] = { id: parseUuid(def) };
      } catch {
        fail('expected a dictionary', path);
      }
      continue;
    }
    if (!isObject(def)) fail('expected a dictionary', path);
    let archivePolicyName: string | undefined;
    let unit: string | null = null;
    for (const [k, v] of Object.entries(def)) {
      if (k === 'archive_policy_name') {
        if (typeof v !== 'string') fail('expected str', [...path, k]);
        archivePolicyName = v;
      } else if (k === 'unit') {
        if (typeof v !== 'string') fail('expected str', [...path, k]);
        if (v.length > 31) fail('length of value must be at most 31', [...path, k]);
        unit = v;
      } else if (k !== 'name' && k !== 'resource_id') {
        fail('extra keys not allowed', [...path, k]);
      }
    }
    if (name.includes('/')) throw new HttpError(400, "'/' is not supported in metric name");
    out[name] = { archivePolicyName, unit };
  }
  return out;
}

/** Fills in archive policies from the rules; Gnocchi's 400 when no rule matches. */
export async function resolveMetrics(
  metrics: Record<string, UnresolvedMetric>,
  policyForName: (name: string) => Promise<string | undefined>,
): Promise<Record<string, MetricLink>> {
  const out: Record<string, MetricLink> = {};
  for (const [name, m] of Object.entries(metrics)) {
    if ('id' in m) {
      out[name] = m;
      continue;
    }
    const policy = m.archivePolicyName ?? (await policyForName(name));
    if (policy === undefined) {
      throw new HttpError(400, `No archive policy name specified and no archive policy rule found matching the metric name ${name}`);
    }
    out[name] = { archivePolicyName: policy, unit: m.unit };
  }
  return out;
}
