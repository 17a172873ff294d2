/**
 * The resources of one type that lived during a span, each with its
 * revisions in force during it and its metric of one name, in two queries
 * straight on the index's tables (tsdb/index/SCHEMA.md), whatever the number
 * of resources: the current row gives the lifetime, the history rows the
 * attributes before each change.
 */
import type { Sql } from '../../tsdb/index/sql.js';

export interface Revision {
  /** µs; the first revision of a resource stands for all the time before the second */
  readonly start: number;
  readonly projectId: string | null;
  readonly userId: string | null;
  /** the attributes asked for (all, unless the caller named some) */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface ResourceUsageRow {
  readonly id: string;
  readonly type: string;
  /** µs */
  readonly startedAt: number;
  readonly endedAt: number | null;
  /** oldest first: the one in force at the span's start, then every later one */
  readonly revisions: readonly Revision[];
  /** the id of the resource's metric of the name asked for, or null */
  readonly metricId: string | null;
}

interface Row {
  id: string;
  started_at: number;
  ended_at: number | null;
  revision_start: number;
  user_id: string | null;
  project_id: string | null;
  attributes: Record<string, unknown>;
  metric_id: string | null;
}

type HistoryRow = Pick<Row, 'id' | 'revision_start' | 'user_id' | 'project_id' | 'attributes'>;

const us = (col: string): string => `(extract(epoch from ${col}) * 1000000)::float8`;
/** A string literal for SQL (attribute names come from the configuration, not from requests). */
const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const at = (n: string): string => `('epoch'::timestamptz + (${n}::float8 * interval '1 microsecond'))`;

/**
 * Resources of `type` alive at some point of [begin, end) µs, of `projectId`
 * if given, with the revisions in force during the span. Two statements:
 * the current rows joined to their metric, then the superseded revisions of
 * those resources (few: most resources never change), put together here.
 */
export async function resourcesLivingIn(sql: Sql, type: string, metricName: string, begin: number, end: number, projectId: string | null, keys: readonly string[] | null = null): Promise<ResourceUsageRow[]> {
  const params: unknown[] = [type, begin, end];
  let project = '';
  if (projectId !== null) {
    params.push(projectId);
    project = ' AND r.project_id = $4';
  }
  // only the attributes asked for: the rest would be sent and parsed for nothing
  const attributes = (table: string): string => {
    if (keys === null) return `${table}.attributes`;
    return `jsonb_build_object(${keys.map((k) => `${sqlText(k)}::text, ${table}.attributes->${sqlText(k)}::text`).join(', ')}) AS attributes`;
  };
  const live = `r.type = $1 AND r.started_at < ${at('$3')} AND (r.ended_at IS NULL OR r.ended_at > ${at('$2')})${project}`;
  const rows = await sql.query<Row>(
    `SELECT r.id::text AS id, ${us('r.started_at')} AS started_at, ${us('r.ended_at')} AS ended_at, ${us('r.revision_start')} AS revision_start,
            r.user_id, r.project_id, ${attributes('r')}, m.id::text AS metric_id
       FROM resource r LEFT JOIN metric m ON m.resource_id = r.id AND m.name = $${params.length + 1}
      WHERE ${live}`,
    [...params, metricName],
  );
  const history = await sql.query<HistoryRow>(
    `SELECT h.id::text AS id, ${us('h.revision_start')} AS revision_start, h.user_id, h.project_id, ${attributes('h')}
       FROM resource_history h JOIN resource r ON r.id = h.id
      WHERE ${live} AND h.revision_end > ${at('$2')}`,
    params,
  );
  const older = new Map<string, Revision[]>();
  for (const h of history) {
    let list = older.get(h.id);
    if (!list) older.set(h.id, (list = []));
    list.push({ start: h.revision_start, projectId: h.project_id, userId: h.user_id, attributes: h.attributes });
  }
  const out: ResourceUsageRow[] = [];
  for (const r of rows) {
    const current: Revision = { start: r.revision_start, projectId: r.project_id, userId: r.user_id, attributes: r.attributes };
    const before = older.get(r.id);
    const revisions = before ? [...before, current].sort((a, b) => a.start - b.start) : [current];
    out.push({ id: r.id, type, startedAt: r.started_at, endedAt: r.ended_at, revisions, metricId: r.metric_id });
  }
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return out;
}
