/**
 * Aodh's complex queries: `POST /v2/query/alarms` and
 * `/v2/query/alarms/history` with `{"filter": "<json>", "orderby":
 * "<json>", "limit": n}`. The filter is checked as Aodh's JSON schema does
 * (operators are case-insensitive; `and`/`or` need two operands), then a
 * member's query is narrowed to its project.
 */
import type { FastifyInstance } from 'fastify';
import { WsmeError } from '../../tsdb/api/wsme.js';
import { parseTimestamp } from '../../tsdb/time.js';
import type { ComplexFilter, ComplexValue, OrderBy } from '../store/complex-query-sql.js';
import { alarmJson, changeJson } from './alarm-json.js';
import type { AlarmApiDeps } from './deps.js';
import type { Alarm } from '../model.js';
import { isObject } from '../../tsdb/json-object.js';

const ALARM_FIELDS = [
  'alarm_id', 'type', 'enabled', 'name', 'description', 'timestamp', 'user_id', 'project_id', 'state', 'state_timestamp', 'state_reason',
  'ok_actions', 'alarm_actions', 'insufficient_data_actions', 'repeat_actions', 'rule', 'time_constraints', 'severity', 'evaluate_timestamp',
];
const HISTORY_FIELDS = ['event_id', 'alarm_id', 'type', 'detail', 'user_id', 'project_id', 'on_behalf_of', 'severity', 'timestamp'];
const NAME_MAPPING: Record<string, string> = { user: 'user_id', project: 'project_id' };
const SIMPLE_OPS = new Set(['=', '!=', '<', '>', '<=', '=<', '>=', '=>', '=~']);
const TIMESTAMP_FIELDS = new Set(['timestamp', 'state_timestamp', 'evaluate_timestamp']);

const invalid = (why: string): WsmeError => new WsmeError(400, `Filter expression not valid: ${why}`);


function single(node: unknown, what: string): [string, unknown] {
  if (!isObject(node)) throw invalid(`${JSON.stringify(node)} is not of type 'object'`);
  const entries = Object.entries(node);
  if (entries.length !== 1) throw invalid(`${JSON.stringify(node)} ${entries.length === 0 ? 'does not have enough properties' : 'has too many properties'} (${what})`);
  return entries[0];
}

/** Checks and normalises a filter tree: lower-case operators, column names, timestamps in µs. */
function checkFilter(node: unknown, fields: readonly string[]): ComplexFilter {
  const [rawOp, arg] = single(node, 'expression');
  const op = rawOp.toLowerCase();
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(arg) || arg.length < 2) throw invalid(`${JSON.stringify(arg)} is too short or not a list (${op} needs at least two operands)`);
    const items = arg.map((x) => checkFilter(x, fields));
    return op === 'and' ? { and: items } : { or: items };
  }
  if (op === 'not') return { not: checkFilter(arg, fields) };
  if (op !== 'in' && !SIMPLE_OPS.has(op)) throw invalid(`${JSON.stringify(node)} is not valid under any of the given schemas (unknown operator ${rawOp})`);
  const [field, value] = single(arg, 'field');
  if (!fields.includes(field) && !(field in NAME_MAPPING)) throw invalid(`${JSON.stringify(arg)} is not valid under any of the given schemas (unknown field ${field})`);
  const column = NAME_MAPPING[field] ?? field;
  const convert = (v: unknown): ComplexValue => {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalid(`${JSON.stringify(v)} is not valid under any of the given schemas`);
    if (TIMESTAMP_FIELDS.has(column)) {
      try {
        return parseTimestamp(column, v);
      } catch {
        throw new WsmeError(400, `Failed to parse the timestamp value ${String(v)}`);
      }
    }
    return v;
  };
  if (op === 'in') {
    if (!Array.isArray(value) || value.length === 0) throw invalid(`${JSON.stringify(value)} is too short or not a list`);
    return { in: { [column]: value.map(convert) } };
  }
  return { [op]: { [column]: convert(value) } };
}

/** Every project a filter names under `field` (a member may only name its own). */
function namedValues(tree: ComplexFilter, field: string, out: unknown[] = []): unknown[] {
  const [op, arg] = Object.entries(tree)[0] as [string, unknown];
  if (op === 'and' || op === 'or') for (const t of arg as ComplexFilter[]) namedValues(t, field, out);
  else if (op === 'not') namedValues(arg as ComplexFilter, field, out);
  else {
    const [f, v] = Object.entries(arg as Record<string, unknown>)[0];
    if (f === field && op !== 'in') out.push(v);
  }
  return out;
}

interface ComplexQueryBody {
  filter?: unknown;
  orderby?: unknown;
  limit?: unknown;
}

function parseQuery(body: unknown, fields: readonly string[]): { filter: ComplexFilter | null; orderby: OrderBy | null; limit: number | null } {
  const b = (isObject(body) ? body : {}) as ComplexQueryBody;
  let filter: ComplexFilter | null = null;
  if (b.filter !== undefined && b.filter !== null) {
    let tree: unknown;
    try {
      tree = JSON.parse(String(b.filter));
    } catch (err) {
      throw invalid((err as Error).message);
    }
    filter = checkFilter(tree, fields);
  }
  let orderby: OrderBy | null = null;
  if (b.orderby !== undefined && b.orderby !== null) {
    let list: unknown;
    try {
      list = JSON.parse(String(b.orderby));
    } catch (err) {
      throw new WsmeError(400, `Order-by expression not valid: ${(err as Error).message}`);
    }
    if (!Array.isArray(list)) throw new WsmeError(400, `Order-by expression not valid: ${JSON.stringify(list)} is not of type 'array'`);
    orderby = list.map((item) => {
      const entries = isObject(item) ? Object.entries(item) : [];
      const [field, dir] = entries[0] ?? [];
      if (entries.length !== 1 || !(fields.includes(field) || field in NAME_MAPPING) || typeof dir !== 'string' || !/^(asc|desc)$/i.test(dir)) {
        throw new WsmeError(400, `Order-by expression not valid: ${JSON.stringify(item)} is not valid`);
      }
      return [NAME_MAPPING[field] ?? field, dir.toLowerCase() as 'asc' | 'desc'] as const;
    });
  }
  let limit: number | null = null;
  if (b.limit !== undefined && b.limit !== null) {
    limit = Number(b.limit);
    if (!Number.isInteger(limit)) throw new WsmeError(400, `Invalid input for field/attribute limit. Value: '${String(b.limit)}'. Wrong type.`);
    if (limit <= 0) throw new WsmeError(400, 'Limit should be positive');
  }
  return { filter, orderby, limit };
}

/** A member's filter: its project only, and no other project named. */
function restrict(filter: ComplexFilter | null, field: string, project: string | null): ComplexFilter | null {
  if (project === null) return filter;
  for (const v of filter ? namedValues(filter, field) : []) if (v !== project) throw new WsmeError(401, `Not Authorized to access project ${String(v)}`);
  const own: ComplexFilter = { '=': { [field]: project } };
  return filter ? { and: [own, filter] } : own;
}

export async function queryRoutes(app: FastifyInstance, { store, evaluator }: AlarmApiDeps): Promise<void> {
  const shown = (a: Alarm): Record<string, unknown> => alarmJson(a, evaluator?.evaluatedAt(a.alarm_id));
  app.post('/v2/query/alarms', async (request) => {
    const q = parseQuery(request.body, ALARM_FIELDS);
    const project = request.caller.isAdmin ? null : request.caller.projectId;
    return (await store.query(restrict(q.filter, 'project_id', project), q.orderby, q.limit)).map(shown);
  });

  app.post('/v2/query/alarms/history', async (request) => {
    const q = parseQuery(request.body, HISTORY_FIELDS);
    const project = request.caller.isAdmin ? null : request.caller.projectId;
    return (await store.queryHistory(restrict(q.filter, 'on_behalf_of', project), q.orderby, q.limit)).map(changeJson);
  });
}
