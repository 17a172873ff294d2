/**
 * What `GET /v2/alarms/{id}/explain` answers: the last evaluation of an
 * alarm by this process — the window and query of each rule, the datapoints
 * the store returned, the values compared, the comparison and the outcome —
 * so that "why is my alarm in insufficient data?" has an answer.
 */
import type { AlarmState, PrometheusRule, ThresholdRuleBase } from '../model.js';
import type { StatisticsRequest, StatisticsResult } from './statistics-source.js';
import type { RuleOutcome } from './threshold.js';

export interface RuleExplanation {
  /** rule1, rule2… in a composite alarm */
  readonly name: string | null;
  readonly rule: ThresholdRuleBase | PrometheusRule;
  readonly read: StatisticsRequest;
  /** the store's answer: its datapoints, or why there were none */
  readonly result: StatisticsResult;
  readonly outcome: RuleOutcome;
}

export interface Explanation {
  readonly alarm_id: string;
  /** µs */
  readonly evaluated_at: number;
  /** how long the batch this alarm was evaluated in took */
  readonly duration_ms: number;
  readonly batch_alarms: number;
  readonly state: AlarmState;
  readonly previous_state?: AlarmState;
  readonly skipped?: string;
  readonly transition?: { readonly state: AlarmState; readonly reason: string; readonly reason_data: Readonly<Record<string, unknown>> } | null;
  readonly rules: readonly RuleExplanation[];
}

export function explainRule(name: string | null, rule: ThresholdRuleBase | PrometheusRule, read: StatisticsRequest, result: StatisticsResult, outcome: RuleOutcome): RuleExplanation {
  return { name, rule, read, result, outcome };
}
