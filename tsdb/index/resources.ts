/**
 * Resources in the index, with their full revision history. The current
 * revision is the `resource` row (revision -1); every update that changes it
 * first copies it to `resource_history` with `revision_end` set, as Gnocchi
 * does. Typed attributes are a jsonb column checked by the API against the
 * resource type.
 */
import { type Micros, formatTimestamp } from '../time.js';
import { randomUUID } from 'node:crypto';
import {
  IndexError,
  InvalidPagination,
  NamedMetricAlreadyExists,
  NoSuchArchivePolicy,
  NoSuchMetric,
  NoSuchResource,
  NoSuchResourceType,
  ResourceAlreadyExists,
  ResourceAttributeError,
  ResourceValueError,
} from './errors.js';
import { type Column, type FilterTarget, type FilterTree, Params, compileFilter, timestampParam } from './filter-sql.js';
import { type Sort, afterMarker, markerColumns, orderBy, parseSorts } from './sort-sql.js';
import type { Metric } from './metrics.js';
import { isCheckViolation, isForeignKeyViolation, isUniqueViolation, keyValueOf } from './pg-errors.js';
import type { AttributeDefinition, AttributeValue, ResourceType } from './resource-type-schema.js';
import type { Sql } from './sql.js';

export interface Resource {
  readonly id: string;
  readonly type: string;
  readonly creator: string | null;
  readonly startedAt: Micros;
  readonly revisionStart: Micros;
  readonly endedAt: Micros | null;
  readonly userId: string | null;
  readonly projectId: string | null;
  readonly originalResourceId: string;
  /** the type's attributes; empty when read as `generic` */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** -1 for the current revision */
  readonly revision: number;
  readonly revisionEnd: Micros | null;
  /** the resource's metrics by name */
  readonly metrics: Readonly<Record<string, string>>;
  /** read from a listing with history (Gnocchi orders such rows' columns differently) */
  readonly inHistory?: boolean;
}

/** A metric a resource names: one that exists (by id) or one to create. */
export type MetricLink = { readonly id: string } | { readonly archivePolicyName: string; readonly unit: string | null };

export interface NewResource {
  readonly id: string;
  readonly originalResourceId: string;
  readonly creator: string;
  readonly startedAt?: Micros;
  readonly endedAt?: Micros | null;
  readonly userId?: string | null;
  readonly projectId?: string | null;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  readonly metrics?: Readonly<Record<string, MetricLink>>;
}

export interface ResourceChanges {
  readonly startedAt?: Micros;
  readonly endedAt?: Micros | null;
  readonly userId?: string | null;
  readonly projectId?: string | null;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  readonly metrics?: Readonly<Record<string, MetricLink>>;
  /** keep the resource's other metrics (a resource's metric POST) instead of replacing them */
  readonly appendMetrics?: boolean;
  /** record the previous revision in the history */
  readonly createRevision: boolean;
}

export interface ListOptions {
  readonly filter?: FilterTree;
  /** typed attributes of resources listed as `generic` */
  readonly details?: boolean;
  /** every revision, not only the current one */
  readonly history?: boolean;
  readonly limit?: number;
  /** id (or id@revision with history) of the last resource of the previous page */
  readonly marker?: string;
  /** "key[:asc|desc[-nullsfirst|-nullslast]]" */
  readonly sorts?: readonly string[];
}

const DEFAULT_SORTS = ['revision_start:asc', 'started_at:asc'];

/**
 * The current time in µs, from this process's clock: SQL's now() is only
 * millisecond-precise in PGlite, and revision starts feed ETags, which must
 * change with every revision. Never repeats or goes back within the process.
 */
let lastNow = 0;
function nowMicros(): Micros {
  const t = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  lastNow = t > lastNow ? t : lastNow + 1;
  return lastNow;
}

const GENERIC_COLUMNS: Record<string, Column['kind']> = {
  id: 'uuid',
  type: 'text',
  creator: 'text',
  started_at: 'timestamp',
  revision_start: 'timestamp',
  ended_at: 'timestamp',
  user_id: 'text',
  project_id: 'text',
  original_resource_id: 'text',
  revision: 'int',
  revision_end: 'timestamp',
};

const CAST: Record<AttributeDefinition['type'], [string, Column['kind']]> = {
  string: ['', 'text'],
  uuid: ['::uuid', 'uuid'],
  number: ['::float8', 'float'],
  bool: ['::boolean', 'bool'],
  datetime: ['::timestamptz', 'timestamp'],
};

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The columns of `r` a filter or a sort may name: the generic ones and the type's attributes. */
function targetOf(type: ResourceType): FilterTarget {
  return {
    column(field) {
      const kind = GENERIC_COLUMNS[field];
      if (kind) return { sql: `r.${field}`, kind };
      const def = type.attributes[field];
      if (!def) return undefined;
      const [cast, attrKind] = CAST[def.type];
      return { sql: `((r.attributes->>${sqlString(field)})${cast})`, kind: attrKind };
    },
    unknownField: (field) => new ResourceAttributeError(type.name, field),
  };
}

const COLUMNS = 'id, type, creator, started_at, revision_start, ended_at, user_id, project_id, original_resource_id, attributes';
const CURRENT = `SELECT -1::int8 AS revision, NULL::timestamptz AS revision_end, ${COLUMNS} FROM resource`;
const WITH_HISTORY = `SELECT revision, revision_end, ${COLUMNS} FROM resource_history UNION ALL ${CURRENT}`;
const us = (col: string): string => `(extract(epoch from ${col}) * 1000000)::float8`;
const SELECT = `SELECT r.revision::float8 AS revision, ${us('r.revision_end')} AS revision_end, r.id, r.type, r.creator,
  ${us('r.started_at')} AS started_at, ${us('r.revision_start')} AS revision_start, ${us('r.ended_at')} AS ended_at,
  r.user_id, r.project_id, r.original_resource_id, r.attributes`;

interface ResourceRow {
  revision: number;
  revision_end: number | null;
  id: string;
  type: string;
  creator: string | null;
  started_at: number;
  revision_start: number;
  ended_at: number | null;
  user_id: string | null;
  project_id: string | null;
  original_resource_id: string;
  attributes: Record<string, AttributeValue>;
}

export class Resources {
  constructor(
    private readonly sql: Sql,
    private readonly typeOf: (name: string) => Promise<ResourceType>,
    /** called when metric rows change here (attached, detached, deleted with their resource) */
    private readonly metricsChanged: () => void = () => undefined,
  ) {}

  /** Creates the resource and the metrics it names; returns it and the metrics created. */
  async create(type: string, r: NewResource): Promise<{ resource: Resource; createdMetrics: Metric[] }> {
    if (r.startedAt !== undefined && r.endedAt !== undefined && r.endedAt !== null && r.startedAt > r.endedAt) {
      throw new IndexError('Start timestamp cannot be after end timestamp');
    }
    return this.sql.transaction(async (tx) => {
      const p = new Params();
      const now = nowMicros();
      const started = timestampParam(p, r.startedAt ?? now);
      const ended = r.endedAt === undefined || r.endedAt === null ? 'NULL' : timestampParam(p, r.endedAt);
      try {
        await tx.query(
          `INSERT INTO resource (id, type, creator, started_at, revision_start, ended_at, user_id, project_id, original_resource_id, attributes)
           VALUES (${p.add(r.id, 'uuid')}, ${p.add(type, 'text')}, ${p.add(r.creator, 'text')}, ${started}, ${timestampParam(p, now)}, ${ended},
                   ${p.add(r.userId ?? null, 'text')}, ${p.add(r.projectId ?? null, 'text')}, ${p.add(r.originalResourceId, 'text')},
                   ${p.add(JSON.stringify(r.attributes ?? {}), 'jsonb')})`,
          p.values,
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new ResourceAlreadyExists(r.id);
        if (isForeignKeyViolation(err)) throw new NoSuchResourceType(type);
        throw err;
      }
      const createdMetrics = r.metrics ? await linkMetrics(tx, r.id, r.creator, r.metrics, true) : [];
      if (r.metrics) this.metricsChanged();
      // the resource as just written, without reading it back: typed attributes in the type's order,
      // metrics by name in the "C" collation, as getIn gives them
      let attributes: Record<string, AttributeValue> = {};
      if (type !== 'generic') {
        // through `tx`: inside a transaction, PGlite's single connection is that transaction's
        const [row] = await tx.query<{ attributes: Record<string, unknown> }>('SELECT attributes FROM resource_type WHERE name = $1', [type]);
        const given = r.attributes ?? {};
        for (const n of Object.keys(row?.attributes ?? {})) if (n in given) attributes[n] = given[n];
        if (!row) attributes = { ...given };
      }
      const metrics: [string, string][] = Object.entries(r.metrics ?? {}).map(([name, link]) => [name, 'id' in link ? link.id : createdMetrics.find((m) => m.name === name)!.id]);
      metrics.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const resource: Resource = {
        id: r.id,
        type,
        creator: r.creator,
        startedAt: r.startedAt ?? now,
        revisionStart: now,
        endedAt: r.endedAt ?? null,
        userId: r.userId ?? null,
        projectId: r.projectId ?? null,
        originalResourceId: r.originalResourceId,
        attributes,
        revision: -1,
        revisionEnd: null,
        metrics: Object.fromEntries(metrics),
      };
      return { resource, createdMetrics };
    });
  }

  /** The current revision, or undefined. As `generic`, any resource matches and typed attributes are left out. */
  async get(type: string, id: string): Promise<Resource | undefined> {
    return this.getIn(this.sql, type, id);
  }

  private async getIn(sql: Sql, type: string, id: string): Promise<Resource | undefined> {
    const rows = await sql.query<ResourceRow>(`${SELECT} FROM (${CURRENT}) r WHERE r.id = $1::uuid${type === 'generic' ? '' : ' AND r.type = $2'}`, type === 'generic' ? [id] : [id, type]);
    if (rows.length === 0) return undefined;
    return (await this.complete(sql, rows, type === 'generic'))[0];
  }

  /**
   * Applies the changes to the current revision; with `createRevision` the
   * previous one goes to the history first. Returns the updated resource and
   * the metrics created.
   */
  async update(type: string, id: string, c: ResourceChanges): Promise<{ resource: Resource; createdMetrics: Metric[] }> {
    return this.sql.transaction(async (tx) => {
      const [current] = await tx.query<{ creator: string }>(
        `SELECT creator FROM resource WHERE id = $1::uuid${type === 'generic' ? '' : ' AND type = $2'} FOR UPDATE`,
        type === 'generic' ? [id] : [id, type],
      );
      if (!current) throw new NoSuchResource(id);
      // one instant ends the old revision and starts the new one
      const now = nowMicros();
      if (c.createRevision) {
        const h = new Params();
        await tx.query(
          `INSERT INTO resource_history (id, type, creator, started_at, revision_start, ended_at, user_id, project_id, original_resource_id, attributes, revision_end)
           SELECT ${COLUMNS}, ${timestampParam(h, now)} FROM resource WHERE id = ${h.add(id, 'uuid')}`,
          h.values,
        );
      }
      const p = new Params();
      const sets: string[] = [];
      if (c.createRevision) sets.push(`revision_start = ${timestampParam(p, now)}`);
      if (c.startedAt !== undefined) sets.push(`started_at = ${timestampParam(p, c.startedAt)}`);
      if (c.endedAt !== undefined) sets.push(`ended_at = ${c.endedAt === null ? 'NULL' : timestampParam(p, c.endedAt)}`);
      if (c.userId !== undefined) sets.push(`user_id = ${p.add(c.userId, 'text')}`);
      if (c.projectId !== undefined) sets.push(`project_id = ${p.add(c.projectId, 'text')}`);
      if (c.attributes !== undefined && Object.keys(c.attributes).length > 0) sets.push(`attributes = attributes || ${p.add(JSON.stringify(c.attributes), 'jsonb')}`);
      if (sets.length > 0) {
        try {
          await tx.query(`UPDATE resource SET ${sets.join(', ')} WHERE id = ${p.add(id, 'uuid')}`, p.values);
        } catch (err) {
          if (isCheckViolation(err)) throw new ResourceValueError(type, 'ended_at', c.endedAt === null || c.endedAt === undefined ? 'None' : pythonDatetime(c.endedAt));
          throw err;
        }
      }
      let createdMetrics: Metric[] = [];
      if (c.metrics !== undefined) {
        if (!c.appendMetrics) await tx.query('UPDATE metric SET resource_id = NULL WHERE resource_id = $1::uuid', [id]);
        createdMetrics = await linkMetrics(tx, id, current.creator, c.metrics);
        this.metricsChanged();
      }
      const resource = await this.getIn(tx, type, id);
      return { resource: resource!, createdMetrics };
    });
  }

  /** Deletes the resource, its history and its metrics; returns the ids of those metrics. */
  async delete(id: string): Promise<string[]> {
    return this.sql.transaction(async (tx) => {
      const metrics = await tx.query<{ id: string }>('DELETE FROM metric WHERE resource_id = $1::uuid RETURNING id', [id]);
      this.metricsChanged();
      const rows = await tx.query('DELETE FROM resource WHERE id = $1::uuid RETURNING id', [id]);
      if (rows.length === 0) throw new NoSuchResource(id);
      return metrics.map((m) => m.id);
    });
  }

  /** Deletes every resource of the type the filter matches; returns how many and their metrics' ids. */
  async deleteMatching(type: string, filter: FilterTree): Promise<{ deleted: number; metricIds: string[] }> {
    const rt = await this.typeOf(type);
    return this.sql.transaction(async (tx) => {
      const p = new Params();
      const where = [compileFilter(filter, targetOf(rt), p)];
      if (type !== 'generic') where.push(`r.type = ${p.add(type, 'text')}`);
      const ids = `SELECT r.id FROM resource r WHERE ${where.join(' AND ')}`;
      const metrics = await tx.query<{ id: string }>(`DELETE FROM metric WHERE resource_id IN (${ids}) RETURNING id`, p.values);
      this.metricsChanged();
      const rows = await tx.query(`DELETE FROM resource WHERE id IN (${ids}) RETURNING id`, p.values);
      return { deleted: rows.length, metricIds: metrics.map((m) => m.id) };
    });
  }

  /**
   * The named metrics of the current resources of the type matching the
   * filter, in one statement: what an aggregate over a resource search reads,
   * without building the resources.
   */
  async metricsOfMatching(type: string, filter: FilterTree | undefined): Promise<{ resourceId: string; name: string; metricId: string }[]> {
    const rt = await this.typeOf(type);
    const p = new Params();
    const where: string[] = [];
    if (type !== 'generic') where.push(`r.type = ${p.add(type, 'text')}`);
    if (filter && Object.keys(filter).length > 0) where.push(compileFilter(filter, targetOf(rt), p));
    const rows = await this.sql.query<{ resource_id: string; name: string; id: string }>(
      `SELECT m.resource_id, m.name, m.id FROM (${CURRENT}) r JOIN metric m ON m.resource_id = r.id${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id, m.name COLLATE "C"`,
      p.values,
    );
    return rows.map((m) => ({ resourceId: m.resource_id, name: m.name, metricId: m.id }));
  }

  /** Resources of the type (all types for `generic`) matching the filter, one page, sorted. */
  async list(type: string, o: ListOptions = {}): Promise<Resource[]> {
    const rt = await this.typeOf(type);
    const target = targetOf(rt);
    const p = new Params();
    const where: string[] = [];
    if (type !== 'generic') where.push(`r.type = ${p.add(type, 'text')}`);
    if (o.filter && Object.keys(o.filter).length > 0) where.push(compileFilter(o.filter, target, p));
    const sorts = parseSorts(o.sorts?.length ? o.sorts : DEFAULT_SORTS, o.history ? ['id', 'revision'] : ['id'], target);
    const source = o.history ? WITH_HISTORY : CURRENT;
    if (o.marker !== undefined) {
      const marker = await this.markerRow(source, o.marker, o.history ?? false, sorts);
      where.push(afterMarker(sorts, marker, p));
    }
    const order = sorts.map((s) => orderBy(s)).join(', ');
    let text = `${SELECT} FROM (${source}) r${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`;
    if (o.limit !== undefined) text += ` LIMIT ${p.add(o.limit, 'int8')}`;
    const rows = await this.sql.query<ResourceRow>(text, p.values);
    const list = await this.complete(this.sql, rows, type === 'generic' && !o.details);
    return o.history ? list.map((r) => ({ ...r, inHistory: true })) : list;
  }

  /**
   * Rows to resources: typed attributes in their type's order (jsonb keeps
   * its own), or none when read as generic; each resource's metrics.
   */
  private async complete(sql: Sql, rows: ResourceRow[], generic: boolean): Promise<Resource[]> {
    const resources = await withMetrics(sql, rows, generic);
    if (generic) return resources;
    const order = new Map<string, string[]>();
    for (const t of new Set(rows.map((r) => r.type))) {
      // through `sql`: inside a transaction, PGlite's single connection is that transaction's
      const [row] = await sql.query<{ attributes: Record<string, unknown> }>('SELECT attributes FROM resource_type WHERE name = $1', [t]);
      if (row) order.set(t, Object.keys(row.attributes));
    }
    return resources.map((r) => {
      const names = order.get(r.type);
      if (!names) return r;
      const attributes: Record<string, AttributeValue> = {};
      for (const n of names) if (n in r.attributes) attributes[n] = r.attributes[n];
      return { ...r, attributes };
    });
  }

  /** The sort keys' values in the marker's row. */
  private async markerRow(source: string, marker: string, history: boolean, sorts: Sort[]): Promise<unknown[]> {
    const p = new Params();
    let cond: string;
    if (history) {
      const m = /^(.*)@(-?\d+)$/.exec(marker);
      if (!m || !isUuidText(m[1])) throw new InvalidPagination(`Invalid marker: \`${marker}'`);
      cond = `r.id = ${p.add(m[1], 'uuid')} AND r.revision = ${p.add(Number(m[2]), 'int8')}`;
    } else {
      if (!isUuidText(marker)) throw new InvalidPagination(`Invalid marker: \`${marker}'`);
      cond = `r.id = ${p.add(marker, 'uuid')}`;
    }
    const cols = markerColumns(sorts);
    const [row] = await this.sql.query<Record<string, unknown>>(`SELECT ${cols} FROM (${source}) r WHERE ${cond}`, p.values);
    if (!row) throw new InvalidPagination(`Invalid marker: \`${marker}'`);
    return sorts.map((_, i) => row[`k${i}`]);
  }
}

const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const isUuidText = (s: string): boolean => UUID_TEXT.test(s);

/** Python's str(datetime) of a UTC timestamp: "2014-01-01 00:00:00+00:00". */
function pythonDatetime(us: Micros): string {
  return formatTimestamp(us).replace('T', ' ');
}

/** Rows to resources, with each resource's metrics (one query for the page). */
async function withMetrics(sql: Sql, rows: ResourceRow[], generic: boolean): Promise<Resource[]> {
  const ids = [...new Set(rows.map((r) => r.id))];
  const byResource = new Map<string, Record<string, string>>();
  if (ids.length > 0) {
    const metrics = await sql.query<{ id: string; name: string; resource_id: string }>(
      'SELECT id, name, resource_id FROM metric WHERE resource_id = ANY($1::uuid[]) ORDER BY name COLLATE "C"',
      [ids],
    );
    for (const m of metrics) {
      let entry = byResource.get(m.resource_id);
      if (!entry) byResource.set(m.resource_id, (entry = {}));
      entry[m.name] = m.id;
    }
  }
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    creator: r.creator,
    startedAt: r.started_at,
    revisionStart: r.revision_start,
    endedAt: r.ended_at,
    userId: r.user_id,
    projectId: r.project_id,
    originalResourceId: r.original_resource_id,
    attributes: generic ? {} : r.attributes,
    revision: r.revision,
    revisionEnd: r.revision_end,
    metrics: byResource.get(r.id) ?? {},
  }));
}

/**
 * Attaches existing metrics (same creator) or creates new ones under the
 * given names. On a `fresh` resource no name can be taken yet: its new
 * metrics go in with one statement.
 */
async function linkMetrics(tx: Sql, resourceId: string, creator: string | null, links: Readonly<Record<string, MetricLink>>, fresh = false): Promise<Metric[]> {
  const created: Metric[] = [];
  const entries = Object.entries(links);
  if (fresh && entries.length > 1 && entries.every(([, l]) => !('id' in l))) {
    const metrics: Metric[] = entries.map(([name, link]) => {
      const l = link as { archivePolicyName: string; unit: string | null };
      return { id: randomUUID(), archivePolicyName: l.archivePolicyName, creator: creator ?? '', resourceId, name, unit: l.unit };
    });
    try {
      await tx.query(
        'INSERT INTO metric (id, archive_policy_name, creator, resource_id, name, unit) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[])',
        [metrics.map((m) => m.id), metrics.map((m) => m.archivePolicyName), metrics.map((m) => m.creator), metrics.map(() => resourceId), metrics.map((m) => m.name), metrics.map((m) => m.unit)],
      );
    } catch (err) {
      // the only reference that can fail here is the archive policy; the server's detail names it
      if (isForeignKeyViolation(err)) throw new NoSuchArchivePolicy(keyValueOf(err) ?? metrics[0].archivePolicyName);
      throw err;
    }
    return metrics;
  }
  for (const [name, link] of entries) {
    try {
      if ('id' in link) {
        const rows = await tx.query('UPDATE metric SET resource_id = $1::uuid, name = $2 WHERE id = $3::uuid AND creator IS NOT DISTINCT FROM $4 RETURNING id', [
          resourceId,
          name,
          link.id,
          creator,
        ]);
        if (rows.length === 0) throw new NoSuchMetric(link.id);
      } else {
        const metric: Metric = { id: randomUUID(), archivePolicyName: link.archivePolicyName, creator: creator ?? '', resourceId, name, unit: link.unit };
        await tx.query('INSERT INTO metric (id, archive_policy_name, creator, resource_id, name, unit) VALUES ($1, $2, $3, $4, $5, $6)', [
          metric.id,
          metric.archivePolicyName,
          metric.creator,
          resourceId,
          name,
          metric.unit,
        ]);
        created.push(metric);
      }
    } catch (err) {
      if (isUniqueViolation(err)) throw new NamedMetricAlreadyExists(name);
      if (isForeignKeyViolation(err) && !('id' in link)) throw new NoSuchArchivePolicy(link.archivePolicyName);
      throw err;
    }
  }
  return created;
}
