/**
 * The labels under which a metric of the store is a Prometheus series.
 *
 * - A metric of a `prometheus` resource (scraped or remote-written, see
 *   collector/prometheus/series-mapping.ts) is the series it came in as: its
 *   name in Prometheus notation gives `__name__` and the labels, the resource
 *   gives `job` and `instance`.
 * - Any other metric (notifications, `tally agent`) is named as Ceilometer's
 *   Prometheus exporter names the sample it came from: `ceilometer_<meter,
 *   dots as underscores>` with the exporter's labels, worked out from what
 *   the store kept of the samples (the resource's ids and attributes), plus
 *   `project_id`, `user_id`, `resource_type` and every attribute of the
 *   resource under its own name. Labels the exporter takes from a sample's
 *   metadata that the store does not keep are absent.
 */
import { parseSeries } from '../../collector/prometheus/series-labels.js';
import { meterShape } from '../../agents/exposition/ceilometer-labels.js';
import type { Labels } from '../series-source.js';

/** What the index holds of a metric and of its resource. */
export interface StoredMetric {
  readonly metricId: string;
  readonly name: string;
  readonly unit: string | null;
  readonly resourceType: string;
  readonly originalResourceId: string;
  readonly projectId: string | null;
  readonly userId: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A sorted, duplicate-free label set from a Map. */
function sorted(labels: ReadonlyMap<string, string>): Labels {
  return [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const text = (v: unknown): string | null => {
  if (v === null || v === undefined || v === '') return null;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
};

/** The series of a scraped or remote-written metric, or null when its name is not a series (a cut name). */
function prometheusSeries(m: StoredMetric): Labels | null {
  let labels: Map<string, string>;
  try {
    labels = parseSeries(m.name);
  } catch {
    return null;
  }
  const name = labels.get('__name__') ?? '';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) return null;
  for (const key of ['job', 'instance'] as const) {
    const v = text(m.attributes[key]);
    if (v !== null && v !== 'none') labels.set(key, v);
  }
  for (const [k, v] of labels) if (v === '') labels.delete(k);
  return sorted(labels);
}

/** The series of a metric of an OpenStack resource, as Ceilometer's exporter names its samples. */
function ceilometerSeries(m: StoredMetric): Labels | null {
  const shape = meterShape(m.name);
  if (shape === null) return null;
  const labels = new Map<string, string>();
  // the resource's own attributes first: the exporter's labels win a clash
  for (const [k, v] of Object.entries(m.attributes)) {
    const value = text(v);
    if (value !== null && LABEL_NAME.test(k) && !k.startsWith('__')) labels.set(k, value);
  }
  const set = (k: string, v: string | null): void => void (v !== null && labels.set(k, v));
  set('__name__', shape.metric);
  set(shape.first, shape.third ?? m.originalResourceId);
  set('publisher', 'ceilometer');
  set('type', shape.type);
  set('counter', m.name);
  set('project', m.projectId);
  set('project_id', m.projectId);
  set('user', m.userId);
  set('user_id', m.userId);
  set('unit', m.unit);
  set('resource', m.originalResourceId);
  set('resource_type', m.resourceType);
  set('vm_instance', text(m.attributes.host));
  const display = text(m.attributes.display_name);
  const name = text(m.attributes.name);
  set('resource_name', display !== null && name !== null ? `${display}:${name}` : (display ?? name));
  set('server_group', text(m.attributes.server_group) ?? 'none');
  set('flavor_name', text(m.attributes.flavor_name));
  set('flavor_id', text(m.attributes.flavor_id));
  return sorted(labels);
}

export function seriesLabels(m: StoredMetric): Labels | null {
  return m.resourceType === 'prometheus' ? prometheusSeries(m) : ceilometerSeries(m);
}
