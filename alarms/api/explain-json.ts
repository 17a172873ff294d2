/**
 * `GET /v2/alarms/{id}/explain`: the last evaluation of the alarm in words
 * and numbers — each rule's read (what, which window), the datapoints the
 * store answered, the values compared with the threshold, and the outcome.
 */
import { formatNaiveTimestamp } from '../../tsdb/time.js';
import type { Alarm } from '../model.js';
import type { Explanation, RuleExplanation } from '../evaluator/explain.js';
import type { StatisticsRequest } from '../evaluator/statistics-source.js';
import { failureReason } from '../evaluator/threshold.js';

function readJson(read: StatisticsRequest): Record<string, unknown> {
  if (read.kind === 'promql') return { kind: read.kind, query: read.query, project: read.project, time: formatNaiveTimestamp(read.time) };
  const { kind, start, stop, aggregation, granularity, ...selector } = read;
  return { kind, ...selector, aggregation, granularity, start: formatNaiveTimestamp(start), stop: formatNaiveTimestamp(stop) };
}

function ruleJson(r: RuleExplanation): Record<string, unknown> {
  const read = r.read;
  const out: Record<string, unknown> = { name: r.name ?? undefined, read: readJson(read) };
  if (r.result.ok) {
    out.datapoints = r.result.points.map(([t, g, v]) => [formatNaiveTimestamp(t), g, v]);
  } else {
    out.datapoints = [];
    out.read_failure = failureReason(r.result.failure, {
      kind: read.kind,
      metric: 'metric' in read ? read.metric : '',
      resourceId: read.kind === 'resource' ? read.resourceId : undefined,
      metrics: read.kind === 'metrics' ? read.metrics : undefined,
      aggregation: read.kind === 'promql' ? '' : read.aggregation,
    });
  }
  out.evaluated = r.outcome.statistics.map((v, i) => [formatNaiveTimestamp(r.outcome.timestamps[i]), v]);
  out.comparison = {
    operator: r.rule.comparison_operator,
    threshold: r.rule.threshold,
    evaluation_periods: 'evaluation_periods' in r.rule ? r.rule.evaluation_periods : undefined,
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
