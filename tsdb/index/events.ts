/**
 * Events (the Panko role): notifications turned into typed traits, stored
 * once per message id, listed by type, time range and trait values.
 */
import { InvalidInputError } from '../errors.js';
import type { Micros } from '../time.js';
import type { Sql } from './sql.js';

/** Panko's trait type names. */
export type TraitType = 'string' | 'integer' | 'float' | 'datetime';

export interface EventTrait {
  readonly name: string;
  readonly type: TraitType;
  /** string: text; integer/float: the number; datetime: µs since the epoch, UTC */
  readonly value: string | number;
}

export interface Event {
  readonly messageId: string;
  readonly eventType: string;
  readonly generated: Micros;
  readonly traits: readonly EventTrait[];
  readonly raw: Readonly<Record<string, unknown>>;
}

export type TraitOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export interface TraitFilter {
  readonly name: string;
  readonly type: TraitType;
  readonly op: TraitOp;
  readonly value: string | number;
}

export interface EventFilter {
  readonly eventType?: string;
  readonly messageId?: string;
  /** generated ≥ this */
  readonly start?: Micros;
  /** generated ≤ this */
  readonly end?: Micros;
  readonly traits?: readonly TraitFilter[];
  /** only events whose project_id trait is this (a non-admin's view) */
  readonly projectId?: string;
}

export interface EventListOptions {
  readonly limit?: number;
  /** message id of the last event of the previous page */
  readonly marker?: string;
  /** "generated" | "message_id" | "event_type", each ":asc" or ":desc" */
  readonly sorts?: readonly string[];
}

interface EventRow {
  message_id: string;
  event_type: string;
  generated: string;
  traits: EventTrait[];
  raw: Record<string, unknown>;
}

const SQL_OP: Readonly<Record<TraitOp, string>> = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' };
const SORT_KEYS = new Set(['generated', 'message_id', 'event_type']);

const fromRow = (r: EventRow): Event => ({ messageId: r.message_id, eventType: r.event_type, generated: Number(r.generated), traits: r.traits, raw: r.raw });

export class Events {
  constructor(private readonly sql: Sql) {}

  /** Stores events; one already stored under a message id (a redelivery) is left as it is. Returns how many were new. */
  async add(events: readonly Event[]): Promise<number> {
    if (events.length === 0) return 0;
    const rows = events.map((e) => ({
      message_id: e.messageId,
      event_type: e.eventType,
      generated: e.generated,
      project_id: projectOf(e),
      traits: e.traits,
      raw: e.raw,
    }));
    const inserted = await this.sql.query<{ message_id: string }>(
      `INSERT INTO event (message_id, event_type, generated, project_id, traits, raw)
       SELECT message_id, event_type, generated, project_id, traits, raw
       FROM jsonb_to_recordset($1::jsonb) AS x(message_id text, event_type text, generated bigint, project_id text, traits jsonb, raw jsonb)
       ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
      [JSON.stringify(rows)],
    );
    return inserted.length;
  }

  async get(messageId: string, projectId?: string): Promise<Event | undefined> {
    const [row] = await this.list({ messageId, projectId }, { limit: 1 });
    return row;
  }

  async list(filter: EventFilter, options: EventListOptions = {}): Promise<Event[]> {
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = whereOf(filter, p);
    const sorts = parseEventSorts(options.sorts);
    if (options.marker !== undefined) {
      const [m] = await this.sql.query<{ generated: string; message_id: string; event_type: string }>(
        'SELECT generated::float8 AS generated, message_id, event_type FROM event WHERE message_id = $1',
        [options.marker],
      );
      if (!m) throw new InvalidInputError('marker', `Invalid marker: ${options.marker}`);
      // keyset: (k1, k2, …) after the marker's, in the sort's directions
      const ors: string[] = [];
      for (let i = 0; i < sorts.length; i++) {
        const ands = sorts.slice(0, i).map(([k]) => `${k} = ${p(m[k as keyof typeof m])}`);
        const [k, dir] = sorts[i];
        ands.push(`${k} ${dir === 'asc' ? '>' : '<'} ${p(m[k as keyof typeof m])}`);
        ors.push(`(${ands.join(' AND ')})`);
      }
      where.push(`(${ors.join(' OR ')})`);
    }
    const order = sorts.map(([k, d]) => `${k} ${d}`).join(', ');
    const limit = options.limit !== undefined ? ` LIMIT ${p(options.limit)}` : '';
    const rows = await this.sql.query<EventRow>(
      `SELECT message_id, event_type, generated::float8 AS generated, traits, raw FROM event${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}${limit}`,
      params,
    );
    return rows.map(fromRow);
  }

  async eventTypes(projectId?: string): Promise<string[]> {
    const rows = await this.sql.query<{ event_type: string }>(
      `SELECT DISTINCT event_type FROM event${projectId !== undefined ? ' WHERE project_id = $1' : ''} ORDER BY event_type`,
      projectId !== undefined ? [projectId] : [],
    );
    return rows.map((r) => r.event_type);
  }

  /** The (name, type) pairs of an event type's traits. */
  async traitTypes(eventType: string, projectId?: string): Promise<{ name: string; type: TraitType }[]> {
    return this.sql.query<{ name: string; type: TraitType }>(
      `SELECT DISTINCT t->>'name' AS name, t->>'type' AS type FROM event, jsonb_array_elements(traits) AS t
       WHERE event_type = $1${projectId !== undefined ? ' AND project_id = $2' : ''} ORDER BY 1, 2`,
      projectId !== undefined ? [eventType, projectId] : [eventType],
    );
  }

  /** Every value of one trait across an event type's events. */
  async traitValues(eventType: string, traitName: string, projectId?: string): Promise<EventTrait[]> {
    const rows = await this.sql.query<{ t: EventTrait }>(
      `SELECT t FROM event, jsonb_array_elements(traits) AS t
       WHERE event_type = $1 AND t->>'name' = $2${projectId !== undefined ? ' AND project_id = $3' : ''} ORDER BY generated, message_id`,
      projectId !== undefined ? [eventType, traitName, projectId] : [eventType, traitName],
    );
    return rows.map((r) => r.t);
  }
}

function projectOf(e: Event): string | null {
  const t = e.traits.find((x) => x.name === 'project_id');
  return t === undefined ? null : String(t.value);
}

function whereOf(f: EventFilter, p: (v: unknown) => string): string[] {
  const where: string[] = [];
  if (f.eventType !== undefined) where.push(`event_type = ${p(f.eventType)}`);
  if (f.messageId !== undefined) where.push(`message_id = ${p(f.messageId)}`);
  if (f.start !== undefined) where.push(`generated >= ${p(f.start)}`);
  if (f.end !== undefined) where.push(`generated <= ${p(f.end)}`);
  if (f.projectId !== undefined) where.push(`project_id = ${p(f.projectId)}`);
  for (const t of f.traits ?? []) {
    if (t.op === 'eq') {
      // containment uses the GIN index
      where.push(`traits @> ${p(JSON.stringify([{ name: t.name, type: t.type, value: t.value }]))}::jsonb`);
      continue;
    }
    const value = t.type === 'string' ? `t->>'value'` : `(t->>'value')::float8`;
    where.push(
      `EXISTS (SELECT 1 FROM jsonb_array_elements(traits) AS t WHERE t->>'name' = ${p(t.name)} AND t->>'type' = ${p(t.type)} AND ${value} ${SQL_OP[t.op]} ${p(t.value)})`,
    );
  }
  return where;
}

/** Sort keys, then message_id as the tiebreaker that makes markers exact. */
export function parseEventSorts(sorts: readonly string[] | undefined): [string, 'asc' | 'desc'][] {
  const out: [string, 'asc' | 'desc'][] = [];
  for (const s of sorts ?? ['generated:asc']) {
    const [key, dir = 'asc'] = s.split(':');
    if (!SORT_KEYS.has(key)) throw new InvalidInputError('sort', `Invalid sort key: ${key}`);
    if (dir !== 'asc' && dir !== 'desc') throw new InvalidInputError('sort', `Invalid sort direction: ${dir}`);
    if (!out.some(([k]) => k === key)) out.push([key, dir]);
  }
  if (!out.some(([k]) => k === 'message_id')) out.push(['message_id', out[0]?.[1] ?? 'asc']);
  return out;
}
