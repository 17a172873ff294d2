/**
 * An alarm as clients send it (POST and PUT bodies), checked and completed
 * with Aodh 15's defaults: the fields, their types, the rule of the alarm's
 * type (`<type>_rule`), time constraints and actions. Errors are WSME's
 * and Aodh's messages; the checks that need the store or the caller's
 * identity (quotas, ownership, by-resources queries) are the routes'.
 */
import { WsmeError, invalidField } from '../../tsdb/api/wsme.js';
import { pyRepr as pythonRepr } from '../../tsdb/python-repr.js';
import { cronError, isTimeZone } from '../evaluator/time-constraints.js';
import {
  ALARM_STATES,
  ALARM_TYPES,
  type AlarmRule,
  type AlarmState,
  type AlarmType,
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  type CompositeRule,
  type EventQuery,
  type EventRule,
  type PrometheusRule,
  SEVERITIES,
  type Severity,
  THRESHOLD_TYPES,
  type ThresholdRuleBase,
  type TimeConstraint,
} from '../model.js';
import { isObject } from '../../tsdb/json-object.js';
import { PromQLError } from '../../promql/errors.js';
import { parseExpr } from '../../promql/parse.js';

/** What a body says; owner and timestamps are the routes' to settle. */
export interface AlarmInput {
  readonly name: string;
  readonly type: AlarmType;
  readonly description: string;
  readonly enabled: boolean;
  readonly ok_actions: string[];
  readonly alarm_actions: string[];
  readonly insufficient_data_actions: string[];
  readonly repeat_actions: boolean;
  readonly rule: AlarmRule;
  readonly time_constraints: TimeConstraint[];
  readonly state: AlarmState;
  readonly severity: Severity;
  readonly user_id?: string;
  readonly project_id?: string;
}

const ALARM_FIELDS = new Set([
  'alarm_id', 'name', 'description', 'enabled', 'ok_actions', 'alarm_actions', 'insufficient_data_actions', 'repeat_actions', 'type', 'time_constraints',
  'project_id', 'user_id', 'timestamp', 'state', 'state_timestamp', 'state_reason', 'severity', 'evaluate_timestamp',
  ...ALARM_TYPES.map((t) => `${t}_rule`), 'loadbalancer_member_health_rule',
]);

type Body = Record<string, unknown>;


function text(body: Body, field: string, mandatory: boolean): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (mandatory) throw invalidField(field, 'None', 'Mandatory field missing.');
    return undefined;
  }
  if (typeof v !== 'string') throw invalidField(field, v, `Wrong type. Expected '<class 'str'>', got '${pyType(v)}'`);
  return v;
}

function bool(body: Body, field: string, fallback: boolean): boolean {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  // WSME accepts the usual spellings of a boolean
  if (typeof v === 'string' && /^(true|false|1|0|yes|no|on|off|y|n|t|f)$/i.test(v)) return /^(true|1|yes|on|y|t)$/i.test(v);
  throw invalidField(field, v, `Wrong type. Expected '<class 'bool'>', got '${pyType(v)}'`);
}

function textList(body: Body, field: string): string[] {
  const v = body[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidField(field, v, `Wrong type. Expected '[<class 'str'>]', got '${pyType(v)}'`);
  return v as string[];
}

function oneOf<T extends string>(body: Body, field: string, allowed: readonly T[], fallback: T | undefined): T {
  const v = body[field];
  // an absent field takes its default, but WSME checks an explicit null against the enum, as Aodh
  // answers Heat, which sends null for every property a template leaves out (comparison_operator…)
  if (v === null && fallback !== undefined) throw invalidField(field, 'None', `Value should be one of: ${(ENUM_ORDER[field] ?? allowed).join(', ')}`);
  if (v === undefined || v === null || v === '') {
    if (fallback === undefined) throw invalidField(field, 'None', 'Mandatory field missing.');
    return fallback;
  }
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw invalidField(field, v, `Value should be one of: ${(ENUM_ORDER[field] ?? allowed).join(', ')}`);
  return v as T;
}

/**
 * WSME lists an enum's values from a Python set: in an order that depends
 * on the process's hash seed. These are the orders one Aodh 15 process gave.
 */
const ENUM_ORDER: Record<string, readonly string[]> = {
  comparison_operator: ['le', 'ne', 'eq', 'ge', 'lt', 'gt'],
  severity: ['moderate', 'critical', 'low'],
  state: ['ok', 'alarm', 'insufficient data'],
  type: ['event', 'gnocchi_aggregation_by_resources_threshold', 'composite', 'gnocchi_resources_threshold', 'loadbalancer_member_health', 'gnocchi_aggregation_by_metrics_threshold'],
};

/** A value Python's float() or int() refuses: WSME reports it against the whole body. */
class ConversionFailure extends Error {}

function pyType(v: unknown): string {
  if (typeof v === 'string') return "<class 'str'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (typeof v === 'number') return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (Array.isArray(v)) return "<class 'list'>";
  if (v === null) return "<class 'NoneType'>";
  return "<class 'dict'>";
}

function number(body: Body, field: string, opts: { mandatory?: boolean; fallback?: number; integer?: boolean; minimum?: number }): number {
  const v = body[field];
  if (v === undefined || v === null) {
    if (opts.mandatory) throw invalidField(field, 'None', 'Mandatory field missing.');
    return opts.fallback!;
  }
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) && (!opts.integer || /^\s*[-+]?\d+\s*$/.test(v))) n = Number(v);
  else if (typeof v === 'string') throw new ConversionFailure(opts.integer ? `invalid literal for int() with base 10: ${pythonRepr(v)}` : `could not convert string to float: ${pythonRepr(v)}`);
  else throw new ConversionFailure(`${opts.integer ? 'int' : 'float'}() argument must be a string or a ${opts.integer ? 'number' : 'real number'}, not '${pyType(v).slice(8, -2)}'`);
  // a float given for an integer field: int() truncates, as WSME's conversion does
  if (opts.integer && !Number.isInteger(n)) n = Math.trunc(n);
  if (opts.minimum !== undefined && n < opts.minimum) throw invalidField(field, v, `Value should be greater or equal to ${opts.minimum}`);
  return n;
}

function unknownAttributes(body: Body, known: ReadonlySet<string>, argument: string): void {
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length) throw new WsmeError(400, `Unknown attribute for argument ${argument}: ${unknown.join(', ')}`);
}

const THRESHOLD_FIELDS = ['comparison_operator', 'threshold', 'aggregation_method', 'evaluation_periods', 'granularity'];
const RULE_FIELDS: Record<string, readonly string[]> = {
  gnocchi_resources_threshold: [...THRESHOLD_FIELDS, 'metric', 'resource_id', 'resource_type'],
  gnocchi_aggregation_by_metrics_threshold: [...THRESHOLD_FIELDS, 'metrics'],
  gnocchi_aggregation_by_resources_threshold: [...THRESHOLD_FIELDS, 'metric', 'query', 'resource_type'],
};

/** A Gnocchi threshold rule with its defaults, keys in Aodh's as_dict order. */
export function thresholdRule(type: string, body: Body): AlarmRule {
  const fields = RULE_FIELDS[type];
  const base: ThresholdRuleBase = {
    granularity: number(body, 'granularity', { fallback: 60, integer: true, minimum: 1 }),
    comparison_operator: oneOf<ComparisonOperator>(body, 'comparison_operator', COMPARISON_OPERATORS, 'eq'),
    threshold: number(body, 'threshold', { mandatory: true }),
    aggregation_method: text(body, 'aggregation_method', true)!,
    evaluation_periods: number(body, 'evaluation_periods', { fallback: 1, integer: true, minimum: 1 }),
  };
  if (type === 'gnocchi_resources_threshold') {
    return { ...base, metric: text(body, 'metric', true)!, resource_id: text(body, 'resource_id', true)!, resource_type: text(body, 'resource_type', true)! };
  }
  if (type === 'gnocchi_aggregation_by_metrics_threshold') {
    if (body.metrics === undefined || body.metrics === null) throw invalidField('metrics', 'None', 'Mandatory field missing.');
    return { ...base, metrics: textList(body, 'metrics') };
  }
  if (fields === undefined) throw new WsmeError(400, `Unsupported rule type ${type}`);
  return { ...base, metric: text(body, 'metric', true)!, query: text(body, 'query', true)!, resource_type: text(body, 'resource_type', true)! };
}

const INVALID_COMPOSITE = (rules: unknown): WsmeError =>
  new WsmeError(
    400,
    `Invalid input composite rule: ${pythonRepr(rules)}, it should be a dict with an "and" or "or" as key, and the value of dict should be a list of basic threshold rules or sub composite rules, can be nested.`,
  );

/** Aodh's CompositeRule.valid_composite_rule, returning the rule with its leaves completed. */
export function compositeRule(rules: unknown): CompositeRule {
  if (isObject(rules) && Object.keys(rules).length === 1 && !('type' in rules)) {
    const key = Object.keys(rules)[0];
    if (key !== 'and' && key !== 'or') throw new WsmeError(400, 'Threshold rules should be combined with "and" or "or"');
    const items = rules[key];
    if (!Array.isArray(items)) throw INVALID_COMPOSITE(rules);
    return (key === 'and' ? { and: items.map(compositeRule) } : { or: items.map(compositeRule) });
  }
  if (isObject(rules)) {
    const { type, ...rest } = rules;
    if (!type) throw new WsmeError(400, 'type must be set in every rule');
    if (!THRESHOLD_TYPES.includes(type as never)) {
      throw new WsmeError(400, `Unsupported sub-rule type :${String(type)} in composite rule, should be one of: ${pythonRepr([...THRESHOLD_TYPES].sort())}`);
    }
    unknownAttributes(rest, new Set(RULE_FIELDS[type as string]), 'rule');
    return { ...rest, ...thresholdRule(type as string, rest), type } as CompositeRule;
  }
  throw INVALID_COMPOSITE(rules);
}

/**
 * Aodh's PrometheusRule: a PromQL query and its threshold. The query is
 * parsed here, so that a rule that can never be evaluated is refused with
 * Prometheus's parse error rather than kept in insufficient data.
 */
export function prometheusRule(body: Body): PrometheusRule {
  unknownAttributes(body, new Set(['comparison_operator', 'threshold', 'query']), 'rule');
  const query = text(body, 'query', true)!;
  try {
    parseExpr(query);
  } catch (err) {
    if (err instanceof PromQLError) throw invalidField('query', query, err.message);
    throw err;
  }
  return {
    comparison_operator: oneOf<ComparisonOperator>(body, 'comparison_operator', COMPARISON_OPERATORS, 'eq'),
    threshold: number(body, 'threshold', { mandatory: true }),
    query,
    scope_to_project: null,
  };
}

const Q_FIELD = /^[a-zA-Z.',0-9_-]*$/;
const Q_TYPES = ['string', 'integer', 'float', 'boolean', ''];

/** Aodh's AlarmEventRule with its validate_alarm. */
export function eventRule(body: Body): EventRule {
  unknownAttributes(body, new Set(['event_type', 'query']), 'rule');
  const eventType = text(body, 'event_type', false) || '*';
  const raw = body.query ?? [];
  if (!Array.isArray(raw)) throw invalidField('query', raw, `Wrong type. Expected '[<class 'aodh.api.controllers.v2.base.Query'>]', got '${pyType(raw)}'`);
  const query: EventQuery[] = raw.map((q: unknown) => {
    if (!isObject(q)) throw invalidField('query', q, "Wrong type. Expected '<class 'aodh.api.controllers.v2.base.Query'>'");
    unknownAttributes(q, new Set(['field', 'op', 'value', 'type']), 'query');
    const field = text(q, 'field', true)!;
    const op = (text(q, 'op', false) || 'eq') as ComparisonOperator;
    const value = q.value === undefined || q.value === null ? undefined : String(q.value);
    if (value === undefined) throw invalidField('value', 'None', 'Mandatory field missing.');
    const type = text(q, 'type', false);
    checkQueryValue(value, type ?? '');
    // Aodh's voluptuous schema over field, op and the value's type
    const invalid = (what: string, key: string): WsmeError => new WsmeError(400, `Query value or traits invalid: ${what} for dictionary value @ data['${key}']`);
    if (!Q_FIELD.test(field)) throw invalid("does not match regular expression ^[a-zA-Z.',0-9_-]*$", 'field');
    if (!COMPARISON_OPERATORS.includes(op)) throw invalid(`value must be one of ${pythonRepr([...COMPARISON_OPERATORS].sort())}`, 'op');
    if (type === undefined || !Q_TYPES.includes(type)) throw invalid(`value must be one of ${pythonRepr([...Q_TYPES].sort())}`, 'value');
    return { field, op, value, type };
  });
  return { event_type: eventType, query };
}

/** Query.get_value: the value must convert to its declared type. */
function checkQueryValue(value: string, type: string): void {
  const ok =
    type === '' || type === 'string'
      ? true
      : type === 'integer'
        ? /^\s*[-+]?\d+\s*$/.test(value)
        : type === 'float'
          ? value.trim() !== '' && Number.isFinite(Number(value))
          : type === 'boolean'
            ? /^(true|false|1|0|yes|no|on|off|y|n|t|f)$/i.test(value.trim())
            : type === 'datetime'
              ? !Number.isNaN(Date.parse(value))
              : null;
  if (ok === null) throw new WsmeError(400, `The data type ${type} is not supported. The supported data type list is: ['integer', 'float', 'string', 'boolean', 'datetime']`);
  if (!ok) throw new WsmeError(400, `Unable to convert the value ${value} to the expected data type ${type}.`);
}

function timeConstraints(body: Body): TimeConstraint[] {
  const raw = body.time_constraints;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidField('time_constraints', raw, `Wrong type. Expected '[<class 'aodh.api.controllers.v2.alarms.AlarmTimeConstraint'>]', got '${pyType(raw)}'`);
  const out = raw.map((tc: unknown) => {
    if (!isObject(tc)) throw invalidField('time_constraints', tc, 'Wrong type.');
    unknownAttributes(tc, new Set(['name', 'description', 'start', 'duration', 'timezone']), 'time_constraints');
    const name = text(tc, 'name', true)!;
    const start = text(tc, 'start', true)!;
    const cron = cronError(start);
    if (cron !== null) throw invalidField('start', start, `Exactly 5 or 6 columns has to be specified for iterator expression.`);
    const duration = number(tc, 'duration', { mandatory: true, integer: true, minimum: 0 });
    const timezone = text(tc, 'timezone', false) ?? '';
    if (timezone && !isTimeZone(timezone)) throw new WsmeError(400, `Timezone ${timezone} is not valid`);
    const description = text(tc, 'description', false) || `Time constraint at ${start} lasting for ${duration} seconds`;
    return { name, description, start, duration, timezone };
  });
  if (new Set(out.map((tc) => tc.name)).size !== out.length) throw new WsmeError(400, 'Time constraint names must be unique for a given alarm.');
  return out;
}

/** Checks a body and completes it with Aodh's defaults; rule-specific store checks come after. */
export function parseAlarmBody(body: unknown): AlarmInput {
  try {
    return parseBody(body);
  } catch (err) {
    if (err instanceof ConversionFailure) throw invalidField('data', pythonRepr(body), err.message);
    throw err;
  }
}

function parseBody(body: unknown): AlarmInput {
  if (!isObject(body)) throw new WsmeError(400, 'Missing argument: "data"');
  unknownAttributes(body, ALARM_FIELDS, 'data');
  const name = text(body, 'name', true)!;
  const type = oneOf<AlarmType>(body, 'type', [...ALARM_TYPES, 'loadbalancer_member_health' as AlarmType], undefined);
  if ((type as string) === 'loadbalancer_member_health') throw new WsmeError(400, 'loadbalancer_member_health alarms (Octavia member health) are not supported');
  const ruleField = `${type}_rule`;
  // in Aodh's plugin order (its entry points, alphabetical), which its message follows
  const given = [...ALARM_TYPES].sort().map((t) => `${t}_rule`).filter((f) => body[f] !== undefined && body[f] !== null);
  if (!given.includes(ruleField)) throw new WsmeError(400, `${ruleField} must be set for ${type} type alarm`);
  if (given.length > 1) {
    const [a, b] = given;
    throw new WsmeError(400, `${a} and ${b} cannot be set at the same time`);
  }
  const rawRule = body[ruleField];
  let rule: AlarmRule;
  if (type === 'composite') rule = compositeRule(rawRule);
  else {
    if (!isObject(rawRule)) throw invalidField(ruleField, rawRule, `Wrong type. Expected a rule object, got '${pyType(rawRule)}'`);
    if (type === 'event') rule = eventRule(rawRule);
    else if (type === 'prometheus') rule = prometheusRule(rawRule);
    else {
      unknownAttributes(rawRule, new Set(RULE_FIELDS[type]), ruleField);
      rule = thresholdRule(type, rawRule);
    }
  }
  const defaultDescription = type === 'event' ? `Alarm when ${(rule as EventRule).event_type} event occurred.` : `${type} alarm rule`;
  return {
    name,
    type,
    description: text(body, 'description', false) || defaultDescription,
    enabled: bool(body, 'enabled', true),
    ok_actions: textList(body, 'ok_actions'),
    alarm_actions: textList(body, 'alarm_actions'),
    insufficient_data_actions: textList(body, 'insufficient_data_actions'),
    repeat_actions: bool(body, 'repeat_actions', false),
    rule,
    time_constraints: timeConstraints(body),
    state: oneOf<AlarmState>(body, 'state', ALARM_STATES, 'insufficient data'),
    severity: oneOf<Severity>(body, 'severity', SEVERITIES, 'low'),
    user_id: text(body, 'user_id', false),
    project_id: text(body, 'project_id', false),
  };
}
