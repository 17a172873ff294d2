/**
 * The resources of one type that lived during a span, each with its
 * revisions in force during it and its metric of one name, in two queries
 * straight on the index's tables (tsdb/index/SCHEMA.md): the current row
 * gives the lifetime, the history rows the attributes before each change.
 */
import type { Sql } from '../../tsdb/index/sql.js';

export interface Revision {
  /** µs; the first revision of a resource stands for all the time before the second */
  readonly start: number;
  readonly projectId: string | null;
  readonly userId: string | null;
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
  type: string;
  started_at: number;
  ended_at: number | null;
  revision_start: number;
  user_id: string | null;
  project_id: string | null;
  attributes: Record<string, unknown>;
  metric_id: string | null;
  current: boolean;
}

const us = (col: string): string => `(extract(epoch from ${col}) * 1000000)::float8`;
const at = (n: string): string => `('epoch'::timestamptz + (${n}::float8 * interval '1 microsecond'))`;

/**
 * Resources of `type` alive at some point of [begin, end) µs, of `projectId`
 * if given, sorted by id, with the revisions in force during the span.
 */
export async function resourcesLivingIn(sql: Sql, type: string, metricName: string, begin: number, end: number, projectId: string | null): Promise<ResourceUsageRow[]> {
  const params: unknown[] = [type, begin, end, metricName];
  let project = '';
  if (projectId !== null) {
    params.push(projectId);
    project = ' AND project_id = $5';
  }
  const rows = await sql.query<Row>(
    `WITH live AS (
       SELECT id FROM resource
        WHERE type = $1 AND started_at < ${at('$3')} AND (ended_at IS NULL OR ended_at > ${at('$2')})${project}
     )
     SELECT r.id::text AS id, r.type, ${us('r.started_at')} AS started_at, ${us('r.ended_at')} AS ended_at,
            ${us('r.revision_start')} AS revision_start, r.user_id, r.project_id, r.attributes, r.current,
            (SELECT m.id::text FROM metric m WHERE m.resource_id = r.id AND m.name = $4) AS metric_id
       FROM (
         SELECT id, type, started_at, ended_at, revision_start, user_id, project_id, attributes, true AS current
           FROM resource WHERE id IN (SELECT id FROM live)
         UNION ALL
         SELECT id, type, started_at, ended_at, revision_start, user_id, project_id, attributes, false AS current
           FROM resource_history WHERE id IN (SELECT id FROM live) AND revision_end > ${at('$2')}
       ) r
      ORDER BY r.id, r.revision_start`,
    params,
  );
  const out: ResourceUsageRow[] = [];
  let i = 0;
  while (i < rows.length) {
    const id = rows[i].id;
    const revisions: Revision[] = [];
    let current: Row = rows[i];
    for (; i < rows.length && rows[i].id === id; i++) {
      const r = rows[i];
      revisions.push({ start: r.revision_start, projectId: r.project_id, userId: r.user_id, attributes: r.attributes });
      if (r.current) current = r;
    }
    out.push({ id, type: current.type, startedAt: current.started_at, endedAt: current.ended_at, revisions, metricId: current.metric_id });
  }
  return out;
}
