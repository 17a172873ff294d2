/** Values as Gnocchi prints them in JSON. */
import type { ArchivePolicy } from '../archive-policy.js';
import { createHash } from 'node:crypto';
import type { Metric } from '../index/metrics.js';
import type { Resource } from '../index/resources.js';
import { PythonFloats } from './python-json.js';
import { type Micros, US_PER_SECOND, formatTimestamp } from '../time.js';

/** Python's str(datetime.timedelta): "0:05:00", "1 day, 0:00:00", "30 days, 0:00:00", "0:00:00.500000". */
export function formatTimedelta(us: Micros): string {
  const days = Math.floor(us / (86400 * US_PER_SECOND));
  let rest = us - days * 86400 * US_PER_SECOND;
  const h = Math.floor(rest / (3600 * US_PER_SECOND));
  rest -= h * 3600 * US_PER_SECOND;
  const m = Math.floor(rest / (60 * US_PER_SECOND));
  rest -= m * 60 * US_PER_SECOND;
  const s = Math.floor(rest / US_PER_SECOND);
  const frac = rest - s * US_PER_SECOND;
  const clock = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}${frac ? `.${String(frac).padStart(6, '0')}` : ''}`;
  return days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
}

export function archivePolicyJson(p: ArchivePolicy): Record<string, unknown> {
  return {
    name: p.name,
    back_window: p.backWindow,
    definition: p.definition.map((d) => ({
      timespan: d.timespan === null ? null : formatTimedelta(d.timespan),
      granularity: formatTimedelta(d.granularity),
      points: d.points,
    })),
    aggregation_methods: [...p.aggregationMethods],
  };
}

/**
 * A metric as Gnocchi prints it: with its archive policy when given (else the
 * policy name), and with its resource (read as generic, without metrics) when
 * `resource` is given, null for none (else the resource id).
 */
export function metricJson(m: Metric, policy?: ArchivePolicy, resource?: Resource | null): Record<string, unknown> {
  const [user, , project] = partition(m.creator);
  let resourceField: Record<string, unknown>;
  if (resource === undefined) resourceField = { resource_id: m.resourceId };
  else if (resource === null) resourceField = { resource: null };
  else {
    const { metrics: _, ...rest } = resourceJson(resource);
    resourceField = { resource: rest };
  }
  return {
    id: m.id,
    creator: m.creator,
    name: m.name,
    unit: m.unit,
    ...resourceField,
    ...(policy ? { archive_policy: archivePolicyJson(policy) } : { archive_policy_name: m.archivePolicyName }),
    created_by_user_id: user,
    created_by_project_id: project,
  };
}

function partition(s: string): [string, string, string] {
  const i = s.indexOf(':');
  return i < 0 ? [s, '', ''] : [s.slice(0, i), ':', s.slice(i + 1)];
}

/** A resource as Gnocchi prints it; `attrs` keeps only those keys (the `attrs=` query option). */
export function resourceJson(r: Resource, attrs?: readonly string[]): Record<string, unknown> {
  const [user, , project] = r.creator === null ? [null, '', null] : partition(r.creator);
  // Gnocchi's key order (its columns' order): a history listing puts revision_end before the type
  const history = r.inHistory === true;
  const revisionEnd = r.revisionEnd === null ? null : formatTimestamp(r.revisionEnd);
  const out: Record<string, unknown> = {
    creator: r.creator,
    started_at: formatTimestamp(r.startedAt),
    revision_start: formatTimestamp(r.revisionStart),
    ended_at: r.endedAt === null ? null : formatTimestamp(r.endedAt),
    user_id: r.userId,
    project_id: r.projectId,
    original_resource_id: r.originalResourceId,
    id: r.id,
    ...(history ? { revision_end: revisionEnd } : {}),
    type: r.type,
    // number attributes are floats in Gnocchi (2.0)
    ...Object.fromEntries(Object.entries(r.attributes).map(([k, v]) => [k, typeof v === 'number' ? new PythonFloats(v) : v])),
    ...(history ? {} : { revision_end: revisionEnd }),
    metrics: { ...r.metrics },
    created_by_user_id: user,
    created_by_project_id: project,
  };
  if (!attrs || attrs.length === 0) return out;
  return Object.fromEntries(Object.entries(out).filter(([k]) => attrs.includes(k)));
}

/** The resource's ETag: sha1 of its id and revision start, as Gnocchi computes it. */
export function resourceEtag(r: Resource): string {
  return createHash('sha1').update(r.id).update(formatTimestamp(r.revisionStart)).digest('hex');
}
