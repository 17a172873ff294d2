/** Metrics in the index: id, archive policy, creator, and the resource and name they hang from. */
import { NamedMetricAlreadyExists, NoSuchArchivePolicy, NoSuchMetric } from './errors.js';
import { isForeignKeyViolation, isUniqueViolation } from './pg-errors.js';
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
  /** only metrics whose id sorts after this one */
  readonly after?: string;
  readonly limit?: number;
}

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
      if (isForeignKeyViolation(err)) throw new NoSuchArchivePolicy(metric.archivePolicyName);
      if (isUniqueViolation(err)) throw new NamedMetricAlreadyExists(metric.name ?? metric.id);
      throw err;
    }
    return metric;
  }

  async get(id: string): Promise<Metric | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.sql.query<MetricRow>('SELECT * FROM metric WHERE id = $1', [id]);
    return row && fromRow(row);
  }

  /** Metrics matching every given field, by id. */
  async list(filter: MetricFilter = {}): Promise<Metric[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, value: unknown, op = '='): void => {
      params.push(value);
      where.push(op === '= ANY' ? `${column} = ANY($${params.length}::uuid[])` : `${column} ${op} $${params.length}`);
    };
    if (filter.ids !== undefined) add('id', filter.ids.filter(isUuid), '= ANY');
    if (filter.creator !== undefined) add('creator', filter.creator);
    if (filter.archivePolicyName !== undefined) add('archive_policy_name', filter.archivePolicyName);
    if (filter.resourceId !== undefined) add('resource_id', filter.resourceId);
    if (filter.name !== undefined) add('name', filter.name);
    if (filter.unit !== undefined) add('unit', filter.unit);
    if (filter.after !== undefined) add('id', filter.after, '>');
    let text = `SELECT * FROM metric${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    if (filter.limit !== undefined) {
      params.push(filter.limit);
      text += ` LIMIT $${params.length}`;
    }
    return (await this.sql.query<MetricRow>(text, params)).map(fromRow);
  }

  async delete(id: string): Promise<void> {
    const rows = isUuid(id) ? await this.sql.query('DELETE FROM metric WHERE id = $1 RETURNING id', [id]) : [];
    if (rows.length === 0) throw new NoSuchMetric(id);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);
