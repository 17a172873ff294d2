/**
 * Alarms and alarm changes as Aodh's API shows them: the rule under
 * `<type>_rule`, naive ISO timestamps, trust IDs scrubbed from actions.
 */
import { PythonFloats } from '../../tsdb/api/python-json.js';
import { formatNaiveTimestamp } from '../../tsdb/time.js';
import type { Alarm, AlarmChange, AlarmRule, AlarmType, CompositeRule, EventRule } from '../model.js';
import { scrubAction } from '../notifiers/action-url.js';

/** WSME's attribute order of each rule type, as the API prints rules. */
const SHOWN_ORDER: Partial<Record<AlarmType, readonly string[]>> = {
  gnocchi_resources_threshold: ['metric', 'resource_id', 'resource_type'],
  gnocchi_aggregation_by_metrics_threshold: ['metrics'],
  gnocchi_aggregation_by_resources_threshold: ['metric', 'query', 'resource_type'],
};
/** PrometheusRule's attributes, as newer Aodh shows them (scope_to_project is kept, not shown) */
const PROMETHEUS_SHOWN = ['comparison_operator', 'threshold', 'query'];
const BASE_SHOWN = ['comparison_operator', 'threshold', 'aggregation_method', 'evaluation_periods', 'granularity'];

/** Thresholds are Python floats in Aodh (80 prints 80.0), wherever a threshold rule appears. */
function withFloatThresholds(rule: unknown): unknown {
  if (Array.isArray(rule)) return rule.map(withFloatThresholds);
  if (rule === null || typeof rule !== 'object') return rule;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rule)) out[k] = k === 'threshold' && typeof v === 'number' ? new PythonFloats(v) : withFloatThresholds(v);
  return out;
}

/** A rule as the API shows it under `<type>_rule`. */
export function shownRule(type: AlarmType, rule: AlarmRule): unknown {
  if (type === 'composite') return withFloatThresholds(rule as CompositeRule);
  if (type === 'event') {
    const e = rule as EventRule;
    return { event_type: e.event_type, query: e.query.map((q) => ({ field: q.field, op: q.op, value: q.value, type: q.type })) };
  }
  const r = rule as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of type === 'prometheus' ? PROMETHEUS_SHOWN : [...(SHOWN_ORDER[type] ?? []), ...BASE_SHOWN]) out[k] = r[k];
  return withFloatThresholds(out);
}

/** A rule as Aodh records it in history (its as_dict order, kept in storage). */
export const recordedRule = (rule: AlarmRule): unknown => withFloatThresholds(rule);

/** Python's urlsplit().geturl(): an empty authority or query disappears ("log://" reads "log:"). */
function pythonUrl(action: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(action);
  let out = action;
  if (m && m[2] === '') out = `${m[1]}:${m[3]}`;
  return out.replace(/\?(#|$)/, '$1').replace(/#$/, '');
}

const shownAction = (action: string): string => pythonUrl(scrubAction(action));

/** `evaluatedAt`: when this process last evaluated it (µs), kept in memory rather than written every cycle. */
export function alarmJson(a: Alarm, evaluatedAt?: number): Record<string, unknown> {
  const evaluated = evaluatedAt !== undefined && (a.evaluate_timestamp === null || evaluatedAt > a.evaluate_timestamp) ? evaluatedAt : a.evaluate_timestamp;
  return {
    alarm_id: a.alarm_id,
    name: a.name,
    description: a.description,
    enabled: a.enabled,
    ok_actions: a.ok_actions.map(shownAction),
    alarm_actions: a.alarm_actions.map(shownAction),
    insufficient_data_actions: a.insufficient_data_actions.map(shownAction),
    repeat_actions: a.repeat_actions,
    type: a.type,
    time_constraints: a.time_constraints.map((tc) => ({ name: tc.name, description: tc.description, start: tc.start, duration: tc.duration, timezone: tc.timezone })),
    project_id: a.project_id,
    user_id: a.user_id,
    timestamp: formatNaiveTimestamp(a.timestamp),
    state: a.state,
    state_timestamp: formatNaiveTimestamp(a.state_timestamp),
    state_reason: a.state_reason,
    severity: a.severity,
    evaluate_timestamp: evaluated === null ? null : formatNaiveTimestamp(evaluated),
    [`${a.type}_rule`]: shownRule(a.type, a.rule),
  };
}

export function changeJson(c: AlarmChange): Record<string, unknown> {
  return {
    event_id: c.event_id,
    alarm_id: c.alarm_id,
    type: c.type,
    detail: c.detail,
    project_id: c.project_id,
    user_id: c.user_id,
    on_behalf_of: c.on_behalf_of,
    timestamp: formatNaiveTimestamp(c.timestamp),
  };
}

/**
 * The alarm as Aodh records it in a creation or change line (its
 * models.Alarm fields, timestamps as text), without evaluate_timestamp.
 */
export function alarmRecord(a: Alarm): Record<string, unknown> {
  return {
    alarm_id: a.alarm_id,
    type: a.type,
    enabled: a.enabled,
    name: a.name,
    description: a.description,
    timestamp: formatNaiveTimestamp(a.timestamp),
    user_id: a.user_id,
    project_id: a.project_id,
    state: a.state,
    state_timestamp: formatNaiveTimestamp(a.state_timestamp),
    state_reason: a.state_reason,
    ok_actions: a.ok_actions,
    alarm_actions: a.alarm_actions,
    insufficient_data_actions: a.insufficient_data_actions,
    repeat_actions: a.repeat_actions,
    time_constraints: a.time_constraints,
    severity: a.severity,
    rule: recordedRule(a.rule),
  };
}
