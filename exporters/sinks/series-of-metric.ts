/**
 * How a mirrored metric is named where it is sent (exporters/sinks/README.md):
 *
 * - to QuestDB (ILP), a row of a table: a resource's metric goes to the
 *   table of its resource type, tagged with the metric's name and unit and the
 *   resource's ids; a scraped or remote-written series goes to the table of
 *   its metric family, tagged with its labels; a metric without a resource to
 *   the table `metric`, tagged with its id.
 * - to a remote-write receiver, the series the PromQL API names it
 *   (promql/store/resource-series.ts); a metric that is not one there (no
 *   resource, a name cut short) is not sent.
 */
import { seriesLabels } from '../../promql/store/resource-series.js';
import type { Labels } from '../../promql/series-source.js';
import type { MirroredMetric } from './metric-directory.js';

/** An ILP row's table and tags (its one field is `value`). */
export interface IlpSeries {
  readonly table: string;
  readonly tags: readonly (readonly [name: string, value: string])[];
}

/** QuestDB's table names: letters, digits and underscores keep clear of its reserved characters. */
const tableName = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 127) || '_';

export function promqlSeriesOf(m: MirroredMetric): Labels | null {
  if (m.resource === null || m.name === null) return null;
  return seriesLabels({
    metricId: m.id,
    name: m.name,
    unit: m.unit,
    resourceType: m.resource.type,
    originalResourceId: m.resource.originalId,
    projectId: m.resource.projectId,
    userId: m.resource.userId,
    attributes: m.resource.attributes,
  });
}

export function ilpSeriesOf(m: MirroredMetric): IlpSeries {
  const tags: [string, string][] = [];
  const tag = (name: string, value: string | null): void => {
    if (value !== null && value !== '') tags.push([name, value]);
  };
  if (m.resource?.type === 'prometheus') {
    const labels = promqlSeriesOf(m);
    if (labels !== null) {
      const family = labels.find(([k]) => k === '__name__')?.[1] ?? 'prometheus';
      for (const [k, v] of labels) if (k !== '__name__') tag(k, v);
      tag('project_id', m.resource.projectId);
      return { table: tableName(family), tags };
    }
  }
  if (m.resource === null) {
    tag('metric_id', m.id);
    tag('metric', m.name);
    tag('unit', m.unit);
    return { table: 'metric', tags };
  }
  tag('metric', m.name ?? m.id);
  tag('unit', m.unit);
  tag('resource_id', m.resource.originalId);
  tag('project_id', m.resource.projectId);
  tag('user_id', m.resource.userId);
  return { table: tableName(m.resource.type), tags };
}
