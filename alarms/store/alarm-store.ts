/**
 * Alarms, their history, quotas and the notification outbox in SQL
 * (SCHEMA.md). Every state change is written with its history line and its
 * pending notifications in one transaction, so a notification is never
 * promised without being durable.
 */
import type { Sql } from '../../tsdb/index/sql.js';
import { Params } from '../../tsdb/index/filter-sql.js';
import type { Alarm, AlarmChange, AlarmNotification, AlarmRule, AlarmState } from '../model.js';
import { type ComplexFilter, type OrderBy, compileComplexFilter } from './complex-query-sql.js';
import { migrateAlarms } from './schema.js';

const ALARM_COLUMNS =
  'alarm_id, type, name, description, enabled, user_id, project_id, state, state_reason, severity, ok_actions, alarm_actions, insufficient_data_actions, repeat_actions, rule, time_constraints, timestamp, state_timestamp, evaluate_timestamp';

interface AlarmRow {
  alarm_id: string;
  type: string;
  name: string;
  description: string;
  enabled: boolean;
  user_id: string | null;
  project_id: string | null;
  state: string;
  state_reason: string;
  severity: string;
  ok_actions: string[];
  alarm_actions: string[];
  insufficient_data_actions: string[];
  repeat_actions: boolean;
  rule: AlarmRule;
  time_constraints: Alarm['time_constraints'];
  timestamp: string | number;
  state_timestamp: string | number;
  evaluate_timestamp: string | number | null;
}

interface HistoryRow {
  event_id: string;
  alarm_id: string;
  type: string;
  detail: string;
  user_id: string | null;
  project_id: string | null;
  on_behalf_of: string | null;
  severity: string | null;
  timestamp: string | number;
}

const toAlarm = (r: AlarmRow): Alarm => ({
  alarm_id: r.alarm_id,
  type: r.type as Alarm['type'],
  name: r.name,
  description: r.description,
  enabled: r.enabled,
  user_id: r.user_id ?? '',
  project_id: r.project_id ?? '',
  state: r.state as AlarmState,
  state_reason: r.state_reason,
  severity: r.severity as Alarm['severity'],
  ok_actions: r.ok_actions,
  alarm_actions: r.alarm_actions,
  insufficient_data_actions: r.insufficient_data_actions,
  repeat_actions: r.repeat_actions,
  rule: r.rule,
  time_constraints: r.time_constraints,
  timestamp: Number(r.timestamp),
  state_timestamp: Number(r.state_timestamp),
  evaluate_timestamp: r.evaluate_timestamp === null ? null : Number(r.evaluate_timestamp),
});

const toChange = (r: HistoryRow): AlarmChange => ({ ...r, type: r.type as AlarmChange['type'], timestamp: Number(r.timestamp) });

const alarmParams = (a: Alarm): unknown[] => [
  a.alarm_id,
  a.type,
  a.name,
  a.description,
  a.enabled,
  a.user_id,
  a.project_id,
  a.state,
  a.state_reason,
  a.severity,
  JSON.stringify(a.ok_actions),
  JSON.stringify(a.alarm_actions),
  JSON.stringify(a.insufficient_data_actions),
  a.repeat_actions,
  JSON.stringify(a.rule),
  JSON.stringify(a.time_constraints),
  a.timestamp,
  a.state_timestamp,
  a.evaluate_timestamp,
];

/** Equality filters of `GET /v2/alarms` (Aodh's ALARM_QUERY_FIELDS_ALLOWED, minus all_projects). */
export interface AlarmFilters {
  readonly alarm_id?: string;
  readonly user_id?: string;
  readonly project_id?: string;
  readonly type?: string;
  readonly name?: string;
  readonly enabled?: boolean;
  readonly state?: string;
  readonly severity?: string;
  readonly repeat_actions?: boolean;
  /** µs; the alarm's definition timestamp equals this */
  readonly timestamp?: number;
}

export interface Pagination {
  readonly limit?: number;
  readonly marker?: string;
  /** [key, 'asc' | 'desc'] pairs, most significant first */
  readonly sort?: readonly (readonly [string, 'asc' | 'desc'])[];
}

export class InvalidMarkerError extends Error {}

/** Aodh's history query: on behalf of a project, by user/project/type/severity, within a time range. */
export interface HistoryFilters {
  readonly on_behalf_of?: string;
  readonly user_id?: string;
  readonly project_id?: string;
  readonly type?: string;
  readonly severity?: string;
  readonly start?: { readonly op: 'gt' | 'ge'; readonly us: number };
  readonly end?: { readonly op: 'lt' | 'le'; readonly us: number };
}

/** The result of evaluating one alarm that changed (or must notify again). */
export interface StateUpdate {
  readonly alarmId: string;
  readonly projectId: string;
  readonly state: AlarmState;
  readonly reason: string;
  /** µs */
  readonly at: number;
  /** the history line; undefined when only notifying (repeat_actions without a change) */
  readonly change?: AlarmChange;
  readonly notifications: readonly AlarmNotification[];
}

export interface OutboxEntry {
  readonly id: number;
  readonly alarmId: string;
  readonly projectId: string | null;
  readonly notification: AlarmNotification;
  readonly attempts: number;
  readonly created: number;
}

const SORT_KEYS_ALARM = new Set(['alarm_id', 'enabled', 'name', 'type', 'severity', 'timestamp', 'user_id', 'project_id', 'state', 'repeat_actions', 'state_timestamp']);
const SORT_KEYS_HISTORY = new Set(['event_id', 'alarm_id', 'on_behalf_of', 'project_id', 'user_id', 'type', 'timestamp', 'severity']);

export class AlarmStore {
  private constructor(readonly sql: Sql) {}

  static async open(sql: Sql): Promise<AlarmStore> {
    await migrateAlarms(sql);
    return new AlarmStore(sql);
  }

  // ---- alarms --------------------------------------------------------------

  async create(alarm: Alarm, change: AlarmChange | null): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO alarm (${ALARM_COLUMNS}) VALUES (${alarmParams(alarm).map((_, i) => `$${i + 1}`).join(', ')})`, alarmParams(alarm));
      if (change) await insertChange(tx, change);
    });
  }

  /** Replaces the stored alarm; false when it no longer exists. */
  async update(alarm: Alarm, change: AlarmChange | null): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const sets = ALARM_COLUMNS.split(', ').slice(1).map((c, i) => `${c} = $${i + 2}`).join(', ');
      const rows = await tx.query(`UPDATE alarm SET ${sets} WHERE alarm_id = $1 RETURNING alarm_id`, alarmParams(alarm));
      if (rows.length === 0) return false;
      if (change) await insertChange(tx, change);
      return true;
    });
  }

  /** Deletes the alarm and its history, as Aodh does; pending notifications are still delivered. */
  async delete(alarmId: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query('DELETE FROM alarm WHERE alarm_id = $1', [alarmId]);
      await tx.query('DELETE FROM alarm_history WHERE alarm_id = $1', [alarmId]);
    });
  }

  async get(alarmId: string): Promise<Alarm | undefined> {
    const [row] = await this.sql.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarm WHERE alarm_id = $1`, [alarmId]);
    return row ? toAlarm(row) : undefined;
  }

  async list(filters: AlarmFilters = {}, page: Pagination = {}): Promise<Alarm[]> {
    const p = new Params();
    const where: string[] = [];
    for (const [k, v] of Object.entries(filters)) {
      if (v === undefined) continue;
      const cast = typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? 'int8' : 'text';
      where.push(`${k} = ${p.add(v, cast)}`);
    }
    return (await this.paginate<AlarmRow>('alarm', ALARM_COLUMNS, 'alarm_id', where, p, page, SORT_KEYS_ALARM)).map(toAlarm);
  }

  async count(by: { project_id: string } | { user_id: string }): Promise<number> {
    const [key, value] = Object.entries(by)[0];
    const [row] = await this.sql.query<{ n: string | number }>(`SELECT count(*) AS n FROM alarm WHERE ${key} = $1`, [value]);
    return Number(row.n);
  }

  /** `POST /v2/query/alarms`: an already validated filter tree, order and limit. */
  async query(filter: ComplexFilter | null, orderby: OrderBy | null, limit: number | null): Promise<Alarm[]> {
    return (await this.complex<AlarmRow>('alarm', ALARM_COLUMNS, filter, orderby, limit)).map(toAlarm);
  }

  /**
   * What tells whether an enabled alarm of these types changed since it was
   * read: its definition time, state and state time (the evaluator's cheap
   * poll; it reads in full only what changed).
   */
  async enabledVersions(types: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.sql.query<{ alarm_id: string; v: string }>(
      `SELECT alarm_id, timestamp::text || '|' || state || '|' || state_timestamp::text AS v FROM alarm WHERE enabled AND type = ANY($1::text[])`,
      [types],
    );
    const out = new Map<string, string>();
    for (const r of rows) out.set(r.alarm_id, r.v);
    return out;
  }

  /** The alarms with these ids (those that still exist). */
  async getMany(alarmIds: readonly string[]): Promise<Alarm[]> {
    if (alarmIds.length === 0) return [];
    return (await this.sql.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarm WHERE alarm_id = ANY($1::text[])`, [alarmIds])).map(toAlarm);
  }

  /** The version enabledVersions gives an alarm. */
  static versionOf(a: Pick<Alarm, 'timestamp' | 'state' | 'state_timestamp'>): string {
    return `${a.timestamp}|${a.state}|${a.state_timestamp}`;
  }

  /** Enabled alarms of the given types (the evaluator's working set), without the descriptive fields. */
  async enabledOfTypes(types: readonly string[], projectId?: string): Promise<Alarm[]> {
    const params: unknown[] = [types];
    let sql = `SELECT ${ALARM_COLUMNS} FROM alarm WHERE enabled AND type = ANY($1::text[])`;
    if (projectId !== undefined) {
      params.push(projectId);
      sql += ' AND project_id = $2';
    }
    return (await this.sql.query<AlarmRow>(sql, params)).map(toAlarm);
  }

  /**
   * Applies state changes with their history lines and notifications, all in
   * one transaction. Alarms deleted meanwhile are skipped. Returns the ids updated.
   */
  async applyStateUpdates(updates: readonly StateUpdate[]): Promise<Set<string>> {
    if (updates.length === 0) return new Set();
    return this.sql.transaction(async (tx) => {
      const changed = updates.filter((u) => u.change);
      const updated = new Set<string>();
      if (changed.length > 0) {
        const rows = await tx.query<{ alarm_id: string }>(
          `UPDATE alarm SET state = u.state, state_reason = u.reason, state_timestamp = CASE WHEN alarm.state = u.state THEN alarm.state_timestamp ELSE u.at END, evaluate_timestamp = u.at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[]) AS u(alarm_id, state, reason, at)
           WHERE alarm.alarm_id = u.alarm_id RETURNING alarm.alarm_id`,
          [changed.map((u) => u.alarmId), changed.map((u) => u.state), changed.map((u) => u.reason), changed.map((u) => u.at)],
        );
        for (const r of rows) updated.add(r.alarm_id);
        const lines = changed.filter((u) => updated.has(u.alarmId)).map((u) => u.change!);
        await insertChanges(tx, lines);
      }
      for (const u of updates) if (!u.change) updated.add(u.alarmId);
      await enqueue(tx, updates.filter((u) => updated.has(u.alarmId)), updates[0].at);
      return updated;
    });
  }

  // ---- history -------------------------------------------------------------

  async recordChange(change: AlarmChange): Promise<void> {
    await insertChange(this.sql, change);
  }

  async history(alarmId: string, filters: HistoryFilters = {}, page: Pagination = {}): Promise<AlarmChange[]> {
    const p = new Params();
    const where = [`alarm_id = ${p.add(alarmId, 'text')}`];
    for (const k of ['on_behalf_of', 'user_id', 'project_id', 'type', 'severity'] as const) {
      const v = filters[k];
      if (v !== undefined) where.push(`${k} = ${p.add(v, 'text')}`);
    }
    if (filters.start) where.push(`timestamp ${filters.start.op === 'gt' ? '>' : '>='} ${p.add(filters.start.us, 'int8')}`);
    if (filters.end) where.push(`timestamp ${filters.end.op === 'lt' ? '<' : '<='} ${p.add(filters.end.us, 'int8')}`);
    return (await this.paginate<HistoryRow>('alarm_history', HISTORY_COLUMNS, 'event_id', where, p, page, SORT_KEYS_HISTORY)).map(toChange);
  }

  async queryHistory(filter: ComplexFilter | null, orderby: OrderBy | null, limit: number | null): Promise<AlarmChange[]> {
    return (await this.complex<HistoryRow>('alarm_history', HISTORY_COLUMNS, filter, orderby, limit)).map(toChange);
  }

  // ---- quotas --------------------------------------------------------------

  async quotas(projectId: string): Promise<{ resource: string; limit: number }[]> {
    return this.sql.query<{ resource: string; limit: number }>('SELECT resource, "limit" FROM alarm_quota WHERE project_id = $1 ORDER BY resource', [projectId]);
  }

  async setQuotas(projectId: string, quotas: readonly { resource: string; limit: number }[]): Promise<{ resource: string; limit: number }[]> {
    await this.sql.transaction(async (tx) => {
      for (const q of quotas) {
        await tx.query('INSERT INTO alarm_quota (project_id, resource, "limit") VALUES ($1, $2, $3) ON CONFLICT (project_id, resource) DO UPDATE SET "limit" = EXCLUDED."limit"', [
          projectId,
          q.resource,
          q.limit,
        ]);
      }
    });
    return this.quotas(projectId);
  }

  async deleteQuotas(projectId: string): Promise<void> {
    await this.sql.query('DELETE FROM alarm_quota WHERE project_id = $1', [projectId]);
  }

  // ---- outbox --------------------------------------------------------------

  /** Up to `limit` notifications due at `now` (µs), oldest first. */
  async dueNotifications(now: number, limit: number, exclude: readonly number[] = []): Promise<OutboxEntry[]> {
    const rows = await this.sql.query<{ id: string | number; alarm_id: string; project_id: string | null; notification: AlarmNotification; attempts: number; created: string | number }>(
      'SELECT id, alarm_id, project_id, notification, attempts, created FROM alarm_outbox WHERE next_attempt <= $1 AND NOT (id = ANY($3::int8[])) ORDER BY next_attempt, id LIMIT $2',
      [now, limit, exclude],
    );
    return rows.map((r) => ({ id: Number(r.id), alarmId: r.alarm_id, projectId: r.project_id, notification: r.notification, attempts: r.attempts, created: Number(r.created) }));
  }

  /** When the next pending notification is due (µs), or null when the outbox is empty. */
  async nextDue(): Promise<number | null> {
    const [row] = await this.sql.query<{ t: string | number | null }>('SELECT min(next_attempt) AS t FROM alarm_outbox');
    return row?.t === null || row?.t === undefined ? null : Number(row.t);
  }

  /** The outbox's depth, and when its oldest entry was queued (µs; null when empty): one query, for a scrape. */
  async outboxSummary(): Promise<{ entries: number; oldestCreated: number | null }> {
    const [row] = await this.sql.query<{ n: string | number; oldest: string | number | null }>('SELECT count(*) AS n, min(created) AS oldest FROM alarm_outbox');
    return { entries: Number(row.n), oldestCreated: row.oldest === null ? null : Number(row.oldest) };
  }

  /** Enabled alarms by state. */
  async enabledByState(): Promise<Map<string, number>> {
    const rows = await this.sql.query<{ state: string; n: string | number }>('SELECT state, count(*) AS n FROM alarm WHERE enabled GROUP BY state');
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.sql.query<{ n: string | number }>('SELECT count(*) AS n FROM alarm_outbox');
    return Number(row.n);
  }

  /** Ends an entry (delivered or given up) and records the attempt, in one transaction. */
  async finishNotification(id: number, attempt: AlarmChange): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query('DELETE FROM alarm_outbox WHERE id = $1', [id]);
      await insertChange(tx, attempt);
    });
  }

  /** Schedules another attempt at `nextAttempt` (µs) and records the failed one. */
  async retryNotification(id: number, nextAttempt: number, error: string, attempt: AlarmChange): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query('UPDATE alarm_outbox SET attempts = attempts + 1, next_attempt = $2, last_error = $3 WHERE id = $1', [id, nextAttempt, error]);
      await insertChange(tx, attempt);
    });
  }

  // ---- shared --------------------------------------------------------------

  private async paginate<R extends object>(
    table: string,
    columns: string,
    primaryKey: string,
    where: string[],
    p: Params,
    page: Pagination,
    sortable: ReadonlySet<string>,
  ): Promise<R[]> {
    const sorts = [...(page.sort?.length ? page.sort : [['timestamp', 'desc'] as const])];
    for (const [k] of sorts) if (!sortable.has(k)) throw new Error(`not a sort key: ${k}`);
    // the primary key makes the order total, so pages never overlap
    if (!sorts.some(([k]) => k === primaryKey)) sorts.push([primaryKey, sorts[sorts.length - 1][1]]);
    if (page.marker !== undefined) {
      const [marker] = await this.sql.query<Record<string, unknown>>(`SELECT ${sorts.map(([k]) => k).join(', ')} FROM ${table} WHERE ${primaryKey} = $1 ${where.length ? `AND ${where.join(' AND ')}` : ''}`.replace(/\$(\d+)::/g, (_, n) => `$${Number(n) + 1}::`), [page.marker, ...p.values]);
      if (!marker) throw new InvalidMarkerError(`Marker ${page.marker} not found.`);
      // (k1 > v1) or (k1 = v1 and k2 > v2) …, each in its own direction
      const ors: string[] = [];
      for (let i = 0; i < sorts.length; i++) {
        const parts: string[] = [];
        for (let j = 0; j < i; j++) parts.push(`${sorts[j][0]} IS NOT DISTINCT FROM ${p.add(marker[sorts[j][0]], castOf(marker[sorts[j][0]]))}`);
        const [k, dir] = sorts[i];
        const v = marker[k];
        if (v === null) parts.push(dir === 'asc' ? `${k} IS NOT NULL` : 'false');
        else parts.push(dir === 'asc' ? `(${k} > ${p.add(v, castOf(v))} OR ${k} IS NULL)` : `${k} < ${p.add(v, castOf(v))}`);
        ors.push(`(${parts.join(' AND ')})`);
      }
      where.push(`(${ors.join(' OR ')})`);
    }
    const order = sorts.map(([k, d]) => `${k} ${d === 'asc' ? 'ASC NULLS LAST' : 'DESC NULLS FIRST'}`).join(', ');
    const limit = page.limit !== undefined ? ` LIMIT ${p.add(page.limit, 'int8')}` : '';
    return this.sql.query<R>(`SELECT ${columns} FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}${limit}`, p.values);
  }

  private async complex<R extends object>(table: string, columns: string, filter: ComplexFilter | null, orderby: OrderBy | null, limit: number | null): Promise<R[]> {
    const p = new Params();
    const where = filter ? ` WHERE ${compileComplexFilter(filter, p)}` : '';
    const order = orderby?.length ? orderby.map(([k, d]) => `${k} ${d === 'asc' ? 'ASC' : 'DESC'}`).join(', ') : 'timestamp DESC';
    const lim = limit !== null ? ` LIMIT ${p.add(limit, 'int8')}` : '';
    return this.sql.query<R>(`SELECT ${columns} FROM ${table}${where} ORDER BY ${order}${lim}`, p.values);
  }
}

const castOf = (v: unknown): string => (typeof v === 'boolean' ? 'boolean' : typeof v === 'number' || typeof v === 'bigint' ? 'int8' : /^\d+$/.test(String(v)) ? 'int8' : 'text');

const HISTORY_COLUMNS = 'event_id, alarm_id, type, detail, user_id, project_id, on_behalf_of, severity, timestamp';

async function insertChange(sql: Sql, c: AlarmChange): Promise<void> {
  await sql.query(`INSERT INTO alarm_history (${HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
    c.event_id,
    c.alarm_id,
    c.type,
    c.detail,
    c.user_id,
    c.project_id,
    c.on_behalf_of,
    c.severity,
    c.timestamp,
  ]);
}

async function insertChanges(sql: Sql, changes: readonly AlarmChange[]): Promise<void> {
  if (changes.length === 0) return;
  const col = <K extends keyof AlarmChange>(k: K): AlarmChange[K][] => changes.map((c) => c[k]);
  await sql.query(
    `INSERT INTO alarm_history (${HISTORY_COLUMNS})
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[])`,
    [col('event_id'), col('alarm_id'), col('type'), col('detail'), col('user_id'), col('project_id'), col('on_behalf_of'), col('severity'), col('timestamp')],
  );
}

/** Queues the notifications of state updates, due at once. */
export async function enqueue(sql: Sql, updates: readonly Pick<StateUpdate, 'projectId' | 'notifications'>[], now: number): Promise<void> {
  const rows = updates.flatMap((u) => u.notifications.map((n) => ({ p: u.projectId, n })));
  if (rows.length === 0) return;
  await sql.query(
    `INSERT INTO alarm_outbox (alarm_id, project_id, notification, created, next_attempt)
     SELECT r->'n'->>'alarm_id', r->>'p', r->'n', $2, $2 FROM json_array_elements($1::json) AS r`,
    [JSON.stringify(rows), now],
  );
}
