/**
 * Every series the store can answer PromQL with: the metrics of the index
 * that hang from a resource, with their labels (resource-series.ts), archive
 * policy and owners. Built by one SQL query and kept until the store has a
 * metric more or less, or for at most `maxAgeMs`, so that a dashboard's
 * queries do not each read the index; a series created meanwhile shows up
 * at the next rebuild.
 */
import type { Engine } from '../../tsdb/engine.js';
import type { Index } from '../../tsdb/index/index.js';
import type { Labels } from '../series-source.js';
import { seriesLabels } from './resource-series.js';

export interface CatalogSeries {
  readonly metricId: string;
  readonly labels: Labels;
  readonly archivePolicyName: string;
  /** the metric's creator ("user:project") and its resource's project: who may see it */
  readonly creator: string;
  readonly projectId: string | null;
}

interface Row {
  id: string;
  name: string;
  unit: string | null;
  archive_policy_name: string;
  creator: string;
  type: string;
  original_resource_id: string;
  project_id: string | null;
  user_id: string | null;
  attributes: Record<string, unknown> | string | null;
}

const QUERY = `SELECT m.id, m.name, m.unit, m.archive_policy_name, m.creator,
  r.type, r.original_resource_id, r.project_id, r.user_id, r.attributes
  FROM metric m JOIN resource r ON r.id = m.resource_id
  WHERE m.name IS NOT NULL`;

export class SeriesCatalog {
  private built: { at: number; metricCount: number; series: readonly CatalogSeries[] } | null = null;
  private building: Promise<readonly CatalogSeries[]> | null = null;

  constructor(
    private readonly index: Index,
    private readonly engine: Engine,
    private readonly maxAgeMs = 15_000,
  ) {}

  async series(): Promise<readonly CatalogSeries[]> {
    const b = this.built;
    if (b !== null && b.metricCount === this.engine.metricCount() && Date.now() - b.at < this.maxAgeMs) return b.series;
    // requests arriving during a build share it
    this.building ??= this.build().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  /** Forget what was read: the next request reads the index again. */
  invalidate(): void {
    this.built = null;
  }

  private async build(): Promise<readonly CatalogSeries[]> {
    const metricCount = this.engine.metricCount();
    const at = Date.now();
    const rows = await this.index.sql.query<Row>(QUERY);
    const series: CatalogSeries[] = [];
    for (const r of rows) {
      const attributes = typeof r.attributes === 'string' ? (JSON.parse(r.attributes) as Record<string, unknown>) : (r.attributes ?? {});
      const labels = seriesLabels({
        metricId: r.id,
        name: r.name,
        unit: r.unit,
        resourceType: r.type,
        originalResourceId: r.original_resource_id,
        projectId: r.project_id,
        userId: r.user_id,
        attributes,
      });
      if (labels !== null) series.push({ metricId: r.id, labels, archivePolicyName: r.archive_policy_name, creator: r.creator, projectId: r.project_id });
    }
    this.built = { at, metricCount, series };
    return series;
  }
}
