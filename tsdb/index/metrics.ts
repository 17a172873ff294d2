/** Metrics in the index: id, archive policy, creator, and the resource and name they hang from. */
import { InvalidPagination, NamedMetricAlreadyExists, NoSuchArchivePolicy, NoSuchMetric, NoSuchResource } from './errors.js';
import { type Column, type FilterTarget, Params } from './filter-sql.js';
import { afterMarker, markerColumns, orderBy, parseSorts } from './sort-sql.js';
import { constraintOf, isForeignKeyViolation, isUniqueViolation } from './pg-errors.js';
import type { Sql } from './sql.js';

export interface Metric {
  readonly id: string;
  readonly archivePolicyName: string;
  /** "user_id:project_id" of who created it, as Gnocchi records it */
  readonly creator: string;
  readonly resourceId: string | null;
  readonly name: string | null;
  readonly unit: string | null;
}

export interface MetricFilter {
  /** only these ids (non-UUIDs match nothing) */
  readonly ids?: readonly string[];
  readonly creator?: string;
  readonly archivePolicyName?: string;
  readonly resourceId?: string;
  readonly name?: string;
  readonly unit?: string;
  /** only what a member of this project may list: metrics its members created, or on its resources */
  readonly visibleToProject?: string;
  /** id of the last metric of the previous page */
  readonly marker?: string;
  readonly limit?: number;
  /** "key[:dir]", default by id */
  readonly sorts?: readonly string[];
}

const COLUMNS: Record<string, Column['kind']> = { id: 'uuid', archive_policy_name: 'text', creator: 'text', resource_id: 'uuid', name: 'text', unit: 'text' };
const TARGET: FilterTarget = {
  column: (field) => (COLUMNS[field] ? { sql: `m.${field}`, kind: COLUMNS[field] } : undefined),
  unknownField: (field) => new InvalidPagination(`Sort key supplied is invalid: ${field}`),
};

interface MetricRow {
  id: string;
  archive_policy_name: string;
  creator: string;
  resource_id: string | null;
  name: string | null;
  unit: string | null;
}

const fromRow = (r: MetricRow): Metric => ({
  id: r.id,
  archivePolicyName: r.archive_policy_name,
  creator: r.creator,
  resourceId: r.resource_id,
  name: r.name,
  unit: r.unit,
});

export class Metrics {
  constructor(private readonly sql: Sql) {}

  async create(metric: Metric): Promise<Metric> {
    try {
      await this.sql.query('INSERT INTO metric (id, archive_policy_name, creator, resource_id, name, unit) VALUES ($1, $2, $3, $4, $5, $6)', [
        metric.id,
        metric.archivePolicyName,
        metric.creator,
        metric.resourceId,
        metric.name,
        metric.unit,
      ]);
    } catch (err) {
      if (isForeignKeyViolation(err)) {
        if (constraintOf(err) === 'fk_metric_resource_id') throw new NoSuchResource(metric.resourceId ?? '');
        throw new NoSuchArchivePolicy(metric.archivePolicyName);
      }
      if (isUniqueViolation(err)) throw new NamedMetricAlreadyExists(metric.name ?? metric.id);
      throw err;
    }
    return metric;
  }

  /**
   * Reads by id are on every measures read and write: they are remembered for
   * a second. Changes made here or through resources forget them at once;
   * another process's changes (a shared PostgreSQL) show within that second.
   */
  private readonly cache = new Map<string, { metric: Metric; until: number }>();

  async get(id: string): Promise<Metric | undefined> {
    if (!isUuid(id)) return undefined;
    const key = id.toLowerCase();
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.metric;
    const [row] = await this.sql.query<MetricRow>('SELECT * FROM metric WHERE id = $1', [id]);
    if (!row) return undefined;
    const metric = fromRow(row);
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(key, { metric, until: now + 1000 });
    return metric;
  }

  /** metrics remembered (for diagnostics) */
  get cached(): number {
    return this.cache.size;
  }

  /** Forget remembered metrics (after a change to metric rows elsewhere in this process). */
  forget(): void {
    this.cache.clear();
  }

  /** One page of the metrics matching every given field. */
  async list(filter: MetricFilter = {}): Promise<Metric[]> {
    const p = new Params();
    const where: string[] = [];
    const eq = (column: string, value: string | undefined): void => {
      if (value !== undefined) where.push(`m.${column} = ${p.add(value, 'text')}`);
    };
    if (filter.ids !== undefined) where.push(`m.id = ANY(${p.add(filter.ids.filter(isUuid), 'uuid[]')})`);
    eq('creator', filter.creator);
    eq('archive_policy_name', filter.archivePolicyName);
    if (filter.resourceId !== undefined) where.push(`m.resource_id = ${p.add(filter.resourceId, 'uuid')}`);
    eq('name', filter.name);
    eq('unit', filter.unit);
    if (filter.visibleToProject !== undefined) {
      const project = filter.visibleToProject;
      where.push(
        `(m.creator LIKE ${p.add(`%:${project}`, 'text')} OR m.resource_id IN (SELECT id FROM resource WHERE project_id = ${p.add(project, 'text')} OR creator LIKE ${p.add(`%:${project}`, 'text')}))`,
      );
    }
    const sorts = parseSorts(filter.sorts?.length ? filter.sorts : ['id:asc'], ['id'], TARGET);
    if (filter.marker !== undefined) {
      const m = isUuid(filter.marker) ? await this.sql.query<Record<string, unknown>>(`SELECT ${markerColumns(sorts)} FROM metric m WHERE m.id = $1`, [filter.marker]) : [];
      if (m.length === 0) throw new InvalidPagination(`Invalid marker: \`${filter.marker}'`);
      where.push(afterMarker(sorts, sorts.map((_, i) => m[0][`k${i}`]), p));
    }
    let text = `SELECT m.* FROM metric m${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${sorts.map(orderBy).join(', ')}`;
    if (filter.limit !== undefined) text += ` LIMIT ${p.add(filter.limit, 'int8')}`;
    return (await this.sql.query<MetricRow>(text, p.values)).map(fromRow);
  }

  async delete(id: string): Promise<void> {
    this.forget();
    const rows = isUuid(id) ? await this.sql.query('DELETE FROM metric WHERE id = $1 RETURNING id', [id]) : [];
    if (rows.length === 0) throw new NoSuchMetric(id);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);
