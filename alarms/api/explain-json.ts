/**
 * `GET /v2/alarms/{id}/explain`: the last evaluation of the alarm in words
 * and numbers — each rule's read (what, which window), the datapoints the
 * store answered, the values compared with the threshold, and the outcome.
 */
import { formatNaiveTimestamp } from '../../tsdb/time.js';
import type { Alarm } from '../model.js';
import type { Explanation, RuleExplanation } from '../evaluator/explain.js';
import { failureReason } from '../evaluator/threshold.js';

function ruleJson(r: RuleExplanation): Record<string, unknown> {
  const { kind, start, stop, aggregation, granularity, ...selector } = r.read;
  const out: Record<string, unknown> = {
    name: r.name ?? undefined,
    read: { kind, ...selector, aggregation, granularity, start: formatNaiveTimestamp(start), stop: formatNaiveTimestamp(stop) },
  };
  if (r.result.ok) {
    out.datapoints = r.result.points.map(([t, g, v]) => [formatNaiveTimestamp(t), g, v]);
  } else {
    out.datapoints = [];
    out.read_failure = failureReason(r.result.failure, {
      kind,
      metric: 'metric' in selector ? String(selector.metric) : '',
      resourceId: 'resourceId' in selector ? String(selector.resourceId) : undefined,
      metrics: 'metrics' in selector ? (selector.metrics as string[]) : undefined,
      aggregation,
    });
  }
  out.evaluated = r.outcome.statistics.map((v, i) => [formatNaiveTimestamp(r.outcome.timestamps[i]), v]);
  out.comparison = {
    operator: r.rule.comparison_operator,
    threshold: r.rule.threshold,
    evaluation_periods: r.rule.evaluation_periods,
    outside_threshold: r.outcome.compared,
  };
  out.outcome = r.outcome.state ?? `trending ${r.outcome.trending}`;
  if (r.outcome.unknownReason) out.insufficient_data_reason = r.outcome.unknownReason;
  return out;
}

export function explanationJson(alarm: Alarm, e: Explanation | undefined): Record<string, unknown> {
  const base = { alarm_id: alarm.alarm_id, type: alarm.type, state: alarm.state, state_reason: alarm.state_reason };
  if (!e) {
    return {
      ...base,
      evaluated: false,
      explanation:
        alarm.type === 'event'
          ? 'Event alarms are evaluated when a matching event arrives; none has arrived since this process started.'
          : alarm.enabled
            ? 'Not evaluated by this process yet: it is evaluated at the next cycle.'
            : 'The alarm is disabled: it is not evaluated.',
    };
  }
  return {
    ...base,
    evaluated: true,
    evaluated_at: formatNaiveTimestamp(e.evaluated_at),
    duration_ms: Math.round(e.duration_ms * 1000) / 1000,
    batch_alarms: e.batch_alarms,
    skipped: e.skipped,
    previous_state: e.previous_state,
    transition: e.transition ?? null,
    rules: e.rules.map(ruleJson),
  };
}
