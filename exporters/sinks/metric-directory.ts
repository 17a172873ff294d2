/**
 * What the sinks say of a metric besides its measures: its name and unit,
 * and its resource's type, ids, owners and attributes, read from the index
 * by id, many at a time, and remembered for a while (a resource's attributes
 * change rarely; a series label follows within `maxAgeMs`).
 */
import type { Index } from '../../tsdb/index/index.js';
import { isUuid } from '../../tsdb/index/metrics.js';

export interface MirroredMetric {
  readonly id: string;
  /** null: a metric made without a name (POST /v1/metric) */
  readonly name: string | null;
  readonly unit: string | null;
  /** null: the metric hangs from no resource */
  readonly resource: {
    readonly type: string;
    readonly originalId: string;
    readonly projectId: string | null;
    readonly userId: string | null;
    readonly attributes: Readonly<Record<string, unknown>>;
  } | null;
}

interface Row {
  id: string;
  name: string | null;
  unit: string | null;
  type: string | null;
  original_resource_id: string | null;
  project_id: string | null;
  user_id: string | null;
  attributes: Record<string, unknown> | string | null;
}

export class MetricDirectory {
  private readonly known = new Map<string, { at: number; metric: MirroredMetric | null }>();

  constructor(
    private readonly index: Index,
    private readonly maxAgeMs = 60_000,
    private readonly maxEntries = 1_000_000,
  ) {}

  /** The metrics of these ids that exist (one query for those not remembered). */
  async describe(ids: Iterable<string>): Promise<Map<string, MirroredMetric>> {
    const now = Date.now();
    const out = new Map<string, MirroredMetric>();
    const wanted: string[] = [];
    for (const id of new Set(ids)) {
      const k = this.known.get(id);
      if (k !== undefined && now - k.at < this.maxAgeMs) {
        if (k.metric !== null) out.set(id, k.metric);
      } else if (isUuid(id)) wanted.push(id);
    }
    if (wanted.length === 0) return out;
    if (this.known.size + wanted.length > this.maxEntries) this.known.clear();
    const rows = await this.index.sql.query<Row>(
      `SELECT m.id, m.name, m.unit, r.type, r.original_resource_id, r.project_id, r.user_id, r.attributes
       FROM metric m LEFT JOIN resource r ON r.id = m.resource_id WHERE m.id = ANY($1::uuid[])`,
      [wanted],
    );
    for (const r of rows) {
      const metric = toMetric(r);
      out.set(metric.id, metric);
      this.known.set(metric.id, { at: now, metric });
    }
    // a metric deleted since its measures were written: remembered as gone
    for (const id of wanted) if (!out.has(id)) this.known.set(id, { at: now, metric: null });
    return out;
  }
}

function toMetric(r: Row): MirroredMetric {
  const attributes = typeof r.attributes === 'string' ? (JSON.parse(r.attributes) as Record<string, unknown>) : (r.attributes ?? {});
  return {
    id: r.id,
    name: r.name,
    unit: r.unit,
    resource: r.type === null || r.original_resource_id === null ? null : { type: r.type, originalId: r.original_resource_id, projectId: r.project_id, userId: r.user_id, attributes },
  };
}
