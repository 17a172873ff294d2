/**
 * Aodh's threshold semantics (evaluator/threshold.py and gnocchi.py), as
 * pure functions: the window a rule reads, the datapoints it keeps, the
 * state they give, and the transition (with Aodh's reason texts) that the
 * alarm makes from its current state.
 */
import { pythonFloat } from '../../tsdb/api/python-json.js';
import type { Alarm, AlarmState, ComparisonOperator, PrometheusRule, ThresholdRuleBase } from '../model.js';
import type { Datapoint, ReadFailure, StatisticsResult } from './statistics-source.js';

/** Aodh reads one period more than it evaluates: the last one may still be filling. */
const LOOK_BACK = 1;

/** [start, stop) in µs that a rule reads at `now` (µs). */
export function windowOf(rule: Pick<ThresholdRuleBase, 'granularity' | 'evaluation_periods'>, now: number, ingestionLagSeconds: number): [number, number] {
  const seconds = rule.granularity * (rule.evaluation_periods + LOOK_BACK) + ingestionLagSeconds;
  return [now - seconds * 1e6, now];
}

const COMPARE: Record<ComparisonOperator, (v: number, limit: number) => boolean> = {
  lt: (v, l) => v < l,
  le: (v, l) => v <= l,
  eq: (v, l) => v === l,
  ne: (v, l) => v !== l,
  ge: (v, l) => v >= l,
  gt: (v, l) => v > l,
};

/** What one threshold rule says about its data. */
export interface RuleOutcome {
  /** 'ok' / 'alarm' when every datapoint agrees, 'insufficient data', or null when they disagree */
  readonly state: AlarmState | null;
  /** when they disagree: what the most recent datapoint says */
  readonly trending: AlarmState | null;
  /** the values compared (the last evaluation_periods datapoints at the rule's granularity) */
  readonly statistics: readonly number[];
  /** their timestamps (µs), for explain */
  readonly timestamps: readonly number[];
  /** per value: outside the threshold (the comparison holds) */
  readonly compared: readonly boolean[];
  readonly outsideCount: number;
  /** the insufficient-data reason */
  readonly unknownReason: string | null;
}

/** Aodh's reason when a read failed, by rule kind. */
export function failureReason(failure: ReadFailure, describe: { metric: string; resourceId?: string; metrics?: readonly string[]; aggregation: string; kind: 'resource' | 'metrics' | 'resources' | 'promql' }): string {
  const { kind, metric, resourceId, aggregation } = describe;
  const metricsList = `[${(describe.metrics ?? []).map((m) => `'${m}'`).join(', ')}]`;
  switch (failure.kind) {
    case 'metric-not-found':
      if (kind === 'resource') return `metric ${metric} for resource ${resourceId} does not exists`;
      if (kind === 'metrics') return `At least of metrics in ${metricsList} does not exist`;
      return `metric ${metric} does not exists`;
    case 'resource-not-found':
    case 'not-found':
      // the aggregate reads have no resource to miss: any 404 is the aggregation's
      if (failure.kind === 'resource-not-found' && kind === 'resource') return `resource ${resourceId} does not exists`;
      if (kind === 'resource') return `aggregation ${aggregation} does not exist for metric ${metric} of resource ${resourceId}`;
      if (kind === 'metrics') return `aggregation ${aggregation} does not exist for at least one metrics in ${metricsList}`;
      return `aggregation ${aggregation} does not exist for at least one metric of the query`;
    case 'error':
      return `alarm statistics retrieval failed: ${failure.message}`;
  }
}

/** evaluate_rule: the rule's datapoints at its granularity, compared to its threshold. */
export function evaluateRule(rule: ThresholdRuleBase, result: StatisticsResult, failure: () => string): RuleOutcome {
  if (!result.ok) return unknown(failure(), [], []);
  const g = rule.granularity;
  const values: number[] = [];
  const stamps: number[] = [];
  const pts: readonly Datapoint[] = result.points;
  for (let i = 0; i < pts.length; i++) {
    if (pts[i][1] === g) {
      values.push(pts[i][2]);
      stamps.push(pts[i][0]);
    }
  }
  if (values.length === 0) return unknown(`No datapoint for granularity ${g}`, [], []);
  const n = rule.evaluation_periods;
  const statistics = values.slice(-n);
  const timestamps = stamps.slice(-n);
  if (statistics.length < n) return unknown(`${n} datapoints are unknown`, statistics, timestamps);
  return compareAll(rule, statistics, timestamps);
}

/** Aodh's prometheus rule: every sample the query returned is a statistic. */
export function evaluatePrometheusRule(rule: PrometheusRule, result: StatisticsResult, failure: () => string): RuleOutcome {
  if (!result.ok) return unknown(failure(), [], []);
  if (result.points.length === 0) return unknown('datapoints are unknown', [], []);
  return compareAll(
    rule,
    result.points.map((p) => p[2]),
    result.points.map((p) => p[0]),
  );
}

/** _process_statistics: all outside the threshold (alarm), none (ok), or some (unknown, trending as the last). */
function compareAll(rule: Pick<ThresholdRuleBase, 'comparison_operator' | 'threshold'>, statistics: number[], timestamps: number[]): RuleOutcome {
  const cmp = COMPARE[rule.comparison_operator];
  const compared = statistics.map((v) => cmp(v, rule.threshold));
  const outsideCount = compared.filter(Boolean).length;
  const all = outsideCount === compared.length;
  const none = outsideCount === 0;
  if (all || none) return { state: all ? 'alarm' : 'ok', trending: null, statistics, timestamps, compared, outsideCount, unknownReason: null };
  return { state: null, trending: compared[compared.length - 1] ? 'alarm' : 'ok', statistics, timestamps, compared, outsideCount, unknownReason: null };
}

function unknown(reason: string, statistics: number[], timestamps: number[]): RuleOutcome {
  return { state: 'insufficient data', trending: null, statistics, timestamps, compared: [], outsideCount: 0, unknownReason: reason };
}

/** A state the alarm moves to (or repeats), with Aodh's reason and reason data. */
export interface Transition {
  readonly state: AlarmState;
  readonly reason: string;
  readonly reasonData: Record<string, unknown>;
}

const pyValue = (v: number | undefined): string => (v === undefined ? 'None' : pythonFloat(v));

function thresholdReason(alarm: Pick<Alarm, 'state'>, statistics: readonly number[], state: AlarmState, outside: number): Transition {
  const disposition = state === 'ok' ? 'inside' : 'outside';
  const count = state === 'ok' ? statistics.length - outside : outside;
  const last = statistics.length ? statistics[statistics.length - 1] : undefined;
  const reasonData = { type: 'threshold', disposition, count, most_recent: last ?? null };
  const lead = alarm.state !== state ? `Transition to ${state}` : `Remaining as ${state}`;
  return { state, reason: `${lead} due to ${count} samples ${disposition} threshold, most recent: ${pyValue(last)}`, reasonData };
}

/**
 * _transition_alarm: what the alarm does with this outcome; null when it
 * stays as it is without notifying.
 */
export function thresholdTransition(alarm: Pick<Alarm, 'state' | 'repeat_actions' | 'rule'>, o: RuleOutcome): Transition | null {
  const unknownNow = alarm.state === 'insufficient data';
  const continuous = alarm.repeat_actions;
  if (o.trending) {
    if (unknownNow || continuous) return thresholdReason(alarm, o.statistics, unknownNow ? o.trending : alarm.state, o.outsideCount);
    return null;
  }
  if (o.state === 'insufficient data' && !unknownNow) {
    const last = o.statistics.length ? o.statistics[o.statistics.length - 1] : null;
    // a prometheus rule has no periods: Aodh counts the statistics it had
    const periods = 'evaluation_periods' in alarm.rule ? (alarm.rule as ThresholdRuleBase).evaluation_periods : o.statistics.length;
    return { state: 'insufficient data', reason: o.unknownReason ?? '', reasonData: { type: 'threshold', disposition: 'unknown', count: periods, most_recent: last } };
  }
  if (o.state && (alarm.state !== o.state || continuous)) return thresholdReason(alarm, o.statistics, o.state, o.outsideCount);
  return null;
}
