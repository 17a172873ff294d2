/**
 * The alarm domain, as Aodh 15 stores and serves it: an alarm is a rule of
 * one type, a state, and the actions to run on entering each state.
 */

export type AlarmState = 'ok' | 'alarm' | 'insufficient data';
export const ALARM_STATES: readonly AlarmState[] = ['ok', 'alarm', 'insufficient data'];

export type Severity = 'low' | 'moderate' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'moderate', 'critical'];

export type ComparisonOperator = 'lt' | 'le' | 'eq' | 'ne' | 'ge' | 'gt';
export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = ['lt', 'le', 'eq', 'ne', 'ge', 'gt'];

/** The fields every Gnocchi threshold rule shares. */
export interface ThresholdRuleBase {
  readonly comparison_operator: ComparisonOperator;
  readonly threshold: number;
  readonly aggregation_method: string;
  readonly evaluation_periods: number;
  readonly granularity: number;
}

export interface ResourceThresholdRule extends ThresholdRuleBase {
  readonly metric: string;
  readonly resource_id: string;
  readonly resource_type: string;
}

export interface MetricsAggregationRule extends ThresholdRuleBase {
  readonly metrics: readonly string[];
}

export interface ResourcesAggregationRule extends ThresholdRuleBase {
  readonly metric: string;
  /** a Gnocchi search filter, as JSON text (Aodh stores it so) */
  readonly query: string;
  readonly resource_type: string;
}

export type ThresholdType = 'gnocchi_resources_threshold' | 'gnocchi_aggregation_by_metrics_threshold' | 'gnocchi_aggregation_by_resources_threshold';
export const THRESHOLD_TYPES: readonly ThresholdType[] = [
  'gnocchi_resources_threshold',
  'gnocchi_aggregation_by_metrics_threshold',
  'gnocchi_aggregation_by_resources_threshold',
];

/**
 * Aodh's `prometheus` rule (2023.2 on; Heat's OS::Aodh::PrometheusAlarm):
 * every value a PromQL instant query returns is compared with the
 * threshold. A member's alarm sees only its project's series.
 */
export interface PrometheusRule {
  readonly comparison_operator: ComparisonOperator;
  readonly threshold: number;
  readonly query: string;
  /** the project whose series the query sees; null: every series (an admin's alarm) */
  readonly scope_to_project: string | null;
}

/** A threshold rule with its type, as it appears inside a composite rule. */
export type TypedThresholdRule =
  | ({ readonly type: 'gnocchi_resources_threshold' } & ResourceThresholdRule)
  | ({ readonly type: 'gnocchi_aggregation_by_metrics_threshold' } & MetricsAggregationRule)
  | ({ readonly type: 'gnocchi_aggregation_by_resources_threshold' } & ResourcesAggregationRule);

/** and/or trees of threshold rules. */
export type CompositeRule = { readonly and: readonly CompositeRule[] } | { readonly or: readonly CompositeRule[] } | TypedThresholdRule;

export interface EventQuery {
  readonly field: string;
  readonly op: ComparisonOperator;
  readonly value: string;
  readonly type: string;
}

export interface EventRule {
  readonly event_type: string;
  readonly query: readonly EventQuery[];
}

export type AlarmType = ThresholdType | 'prometheus' | 'composite' | 'event';
export const ALARM_TYPES: readonly AlarmType[] = [...THRESHOLD_TYPES, 'prometheus', 'composite', 'event'];
/** the types the evaluation cycle evaluates (event alarms are evaluated as events arrive) */
export const EVALUATED_TYPES: readonly AlarmType[] = [...THRESHOLD_TYPES, 'prometheus', 'composite'];

export type AlarmRule = ResourceThresholdRule | MetricsAggregationRule | ResourcesAggregationRule | PrometheusRule | CompositeRule | EventRule;

export interface TimeConstraint {
  readonly name: string;
  readonly description: string;
  /** cron expression (5 fields, or 6 with seconds) */
  readonly start: string;
  /** seconds */
  readonly duration: number;
  /** IANA zone name, or "" for UTC */
  readonly timezone: string;
}

export interface Alarm {
  readonly alarm_id: string;
  readonly type: AlarmType;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly user_id: string;
  readonly project_id: string;
  readonly state: AlarmState;
  readonly state_reason: string;
  readonly severity: Severity;
  readonly ok_actions: readonly string[];
  readonly alarm_actions: readonly string[];
  readonly insufficient_data_actions: readonly string[];
  readonly repeat_actions: boolean;
  readonly rule: AlarmRule;
  readonly time_constraints: readonly TimeConstraint[];
  /** µs since the epoch: last change of the definition */
  readonly timestamp: number;
  /** µs since the epoch: last change of state */
  readonly state_timestamp: number;
  /** µs since the epoch: last evaluation, null before the first */
  readonly evaluate_timestamp: number | null;
}

export type AlarmChangeType = 'creation' | 'rule change' | 'state transition' | 'deletion' | 'action';

/** One line of an alarm's history. */
export interface AlarmChange {
  readonly event_id: string;
  readonly alarm_id: string;
  readonly type: AlarmChangeType;
  /** JSON text */
  readonly detail: string;
  readonly user_id: string | null;
  readonly project_id: string | null;
  readonly on_behalf_of: string | null;
  readonly severity: string | null;
  /** µs since the epoch */
  readonly timestamp: number;
}

/** What the notifiers receive: Aodh's `alarm.update` payload plus the action URL. */
export interface AlarmNotification {
  readonly action: string;
  readonly alarm_id: string;
  readonly alarm_name: string;
  readonly severity: Severity;
  readonly previous: AlarmState;
  readonly current: AlarmState;
  readonly reason: string;
  readonly reason_data: Readonly<Record<string, unknown>>;
}

/** The actions an alarm runs on entering `state`. */
export function actionsFor(alarm: Pick<Alarm, 'ok_actions' | 'alarm_actions' | 'insufficient_data_actions'>, state: AlarmState): readonly string[] {
  if (state === 'ok') return alarm.ok_actions;
  if (state === 'alarm') return alarm.alarm_actions;
  return alarm.insufficient_data_actions;
}

export const REASON_NOT_EVALUATED = 'Not evaluated yet';
export const REASON_MANUAL = 'Manually set via API';
