/**
 * Where a scraped series lands in the store, as Gnocchi's remote-write
 * endpoint files it (tsdb/api/routes/prometheus.ts), with one deliberate
 * difference:
 * - the resource is `job@instance` (type `prometheus`, attributes job and
 *   instance, id UUID5 of that text and the writer, as resourceUuid maps it);
 * - the metric is `__name__` alone when the series has no other label than
 *   job and instance, else the series in Prometheus notation without them,
 *   labels sorted by name: `node_cpu_seconds_total{cpu="0",mode="idle"}`
 *   (Gnocchi names the metric `__name__` and keeps one series per name; a
 *   scraper doing so would lose most of what it scrapes). Past 255
 *   characters the name is cut and ends with `~` and 16 hex digits of its
 *   SHA-256, so it stays stable and distinct.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../tsdb/errors.js';
import type { Upsert } from '../../tsdb/api/resource-upsert.js';
import { resourceUuid } from '../../tsdb/api/resource-id.js';
import { type Labels, seriesNotation } from './series-labels.js';

/** The `prometheus` resource type, as Gnocchi's remote-write endpoint creates it. */
export const PROMETHEUS_RESOURCE_TYPE = {
  instance: { type: 'string', min_length: 1, max_length: 512, required: true },
  job: { type: 'string', min_length: 1, max_length: 512, required: true },
} as const;

export type ResourceUpsert = Omit<Upsert, 'metricNames'>;

export const MAX_METRIC_NAME = 255;
const RESOURCE_LABELS: ReadonlySet<string> = new Set(['job', 'instance']);

/** The `prometheus` resource of a series' job and instance (`none` when a label is missing, as Gnocchi). */
export function resourceOf(job: string, instance: string, creator: string): ResourceUpsert {
  const originalId = `${job}@${instance}`;
  let id: string;
  try {
    id = resourceUuid(originalId, creator);
  } catch (err) {
    // '/' in a label or more than 255 characters: Gnocchi would refuse the id; a digest of it is stable
    if (!(err instanceof InvalidInputError)) throw err;
    id = resourceUuid(createHash('sha256').update(originalId).digest('hex'), creator);
  }
  return { id, originalId, type: 'prometheus', typeAttributes: PROMETHEUS_RESOURCE_TYPE, attributes: { job, instance } };
}

export function resourceOfSeries(labels: Labels, creator: string): ResourceUpsert {
  return resourceOf(labels.get('job') ?? 'none', labels.get('instance') ?? 'none', creator);
}

/** The metric name of a series on its `job@instance` resource. */
export function metricNameOf(labels: Labels): string {
  const name = seriesNotation(labels, RESOURCE_LABELS);
  if (name.length <= MAX_METRIC_NAME) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 16);
  let cut = MAX_METRIC_NAME - digest.length - 1;
  const c = name.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--; // never split a surrogate pair
  return `${name.slice(0, cut)}~${digest}`;
}
