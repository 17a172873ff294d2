/**
 * Event alarms (Aodh's evaluator/event.py): an event fires the enabled event
 * alarms of its project (its `project_id` or `tenant_id` trait) whose
 * event_type pattern matches and whose every query condition holds. Such an
 * alarm goes to `alarm` and never back by itself; one already in alarm fires
 * again only with repeat_actions.
 */
import type { Event, EventTrait } from '../../tsdb/index/events.js';
import { fnmatch } from '../../tsdb/index/archive-policies.js';
import { pythonJson } from '../../tsdb/api/python-json.js';
import { formatNaiveTimestamp, parseTimestamp } from '../../tsdb/time.js';
import type { Alarm, ComparisonOperator, EventRule } from '../model.js';
import type { Transition } from './threshold.js';

/** Ceilometer's trait type numbers, as events travel to Aodh. */
const DTYPE: Record<EventTrait['type'], number> = { string: 1, integer: 2, float: 3, datetime: 4 };

/** A datetime trait or query value: Python neither orders nor equates a datetime with a number. */
class DateTime {
  constructor(readonly us: number) {}
}

type Value = string | number | DateTime | null;

/** The project an event belongs to, as Aodh reads it. */
export function eventProject(e: Event): string {
  let project = '';
  for (const t of e.traits) if (t.name === 'tenant_id' || t.name === 'project_id') project = String(t.value);
  return project;
}

/** The event as Ceilometer publishes it to Aodh (reason_data.event). */
export function eventPayload(e: Event): Record<string, unknown> {
  return {
    message_id: e.messageId,
    event_type: e.eventType,
    generated: formatNaiveTimestamp(e.generated),
    traits: e.traits.map((t) => [t.name, DTYPE[t.type], t.type === 'datetime' ? formatNaiveTimestamp(t.value as number) : t.value]),
    raw: e.raw,
  };
}

function convert(value: string, type: string): Value {
  switch (type) {
    case 'integer': {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new Error(`invalid integer ${value}`);
      return n;
    }
    case 'float':
      return Number(value);
    case 'datetime':
      return new DateTime(parseTimestamp('value', value));
    default:
      return value;
  }
}

const kindOf = (v: Value): string => (v === null ? 'None' : v instanceof DateTime ? 'datetime' : typeof v);

/** Python's comparisons; ordering None or mixed types is a TypeError there: the alarm is not fired. */
function compare(op: ComparisonOperator, a: Value, b: Value): boolean {
  const comparable = kindOf(a) === kindOf(b);
  const x = a instanceof DateTime ? a.us : a;
  const y = b instanceof DateTime ? b.us : b;
  if (op === 'eq') return comparable && x === y;
  if (op === 'ne') return !comparable || x !== y;
  if (x === null || y === null || !comparable) throw new Error(`'${op}' not supported between ${kindOf(a)} and ${kindOf(b)}`);
  const [p, q] = typeof x === 'string' ? [codePointOrder(x, y as string), 0] : [x, y as number];
  if (op === 'lt') return p < q;
  if (op === 'le') return p <= q;
  if (op === 'gt') return p > q;
  return p >= q;
}

/**
 * Python orders strings by code point, JavaScript by UTF-16 unit: they differ
 * where a character beyond U+FFFF (a surrogate pair) meets one in U+E000–U+FFFF.
 */
function codePointOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // a surrogate starts a character above every one of the BMP
    return xs === ys ? x - y : xs ? 1 : -1;
  }
  return a.length - b.length;
}

function fieldValue(e: Event, field: string): Value {
  if (field.startsWith('traits.')) {
    const name = field.slice('traits.'.length);
    let v: Value = null;
    for (const t of e.traits) if (t.name === name) v = t.type === 'datetime' ? new DateTime(t.value as number) : t.value;
    return v;
  }
  if (field === 'event_type') return e.eventType;
  if (field === 'message_id') return e.messageId;
  if (field === 'generated') return e.generated;
  return null;
}

/** Whether the event fires the alarm; throws when a condition cannot be evaluated (Aodh logs and skips). */
export function eventMatches(alarm: Pick<Alarm, 'rule'>, e: Event): boolean {
  const rule = alarm.rule as EventRule;
  if (!fnmatch(e.eventType, rule.event_type)) return false;
  for (const q of rule.query) {
    const expected = q.field.startsWith('traits.') ? convert(q.value, q.type || 'string') : q.value;
    if (!compare(q.op, fieldValue(e, q.field), expected)) return false;
  }
  return true;
}

/** The alarm's transition for a matching event; null when it already fired and does not repeat. */
export function eventTransition(alarm: Pick<Alarm, 'state' | 'repeat_actions' | 'rule'>, e: Event): Transition | null {
  if (!alarm.repeat_actions && alarm.state === 'alarm') return null;
  const query = pythonJson(sortKeys((alarm.rule as EventRule).query));
  return {
    state: 'alarm',
    reason: `Event <id=${e.messageId},event_type=${e.eventType}> hits the query <query=${query}>.`,
    reasonData: { type: 'event', event: eventPayload(e) },
  };
}

/** json.dumps(sort_keys=True) orders keys; values keep their order. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}
