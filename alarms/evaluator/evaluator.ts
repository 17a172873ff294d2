/**
 * The evaluation cycle. Every enabled threshold and composite alarm is
 * evaluated against one `now`; alarms are taken in batches, each batch's
 * reads are collected, deduplicated (alarms reading the same data share one
 * read) and answered by the statistics source at once, then every alarm of
 * the batch is decided and the batch's state changes, history lines and
 * notifications are written in one transaction. Batches run a few at a time
 * with a deadline each, so a slow read holds back only its own batch.
 *
 * Event alarms are evaluated as events arrive (evaluateEvents).
 */
import { randomUUID } from 'node:crypto';
import { pythonJson } from '../../tsdb/api/python-json.js';
import type { Event } from '../../tsdb/index/events.js';
import type { Alarm, AlarmChange, AlarmState, AlarmNotification, CompositeRule, MetricsAggregationRule, PrometheusRule, ResourceThresholdRule, ResourcesAggregationRule, ThresholdRuleBase, TypedThresholdRule } from '../model.js';
import { EVALUATED_TYPES, actionsFor } from '../model.js';
import { AlarmStore, type StateUpdate } from '../store/alarm-store.js';
import { type WorkingAlarm, compactAlarm, stringPool } from './compact-alarm.js';
import { compositeLeaves, compositeTransition } from './composite.js';
import { eventMatches, eventProject, eventTransition } from './event-alarms.js';
import { type Explanation, type RuleExplanation, explainRule } from './explain.js';
import type { StatisticsRequest, StatisticsResult, StatisticsSource } from './statistics-source.js';
import { requestKey } from './statistics-source.js';
import { type RuleOutcome, type Transition, evaluatePrometheusRule, evaluateRule, failureReason, thresholdTransition, windowOf } from './threshold.js';
import { withinTimeConstraints } from './time-constraints.js';

export interface EvaluatorOptions {
  readonly store: AlarmStore;
  readonly source: StatisticsSource;
  /** seconds added to every window for reporting/ingestion lag (Aodh's additional_ingestion_lag) */
  readonly ingestionLagSeconds?: number;
  /** alarms per batch */
  readonly batchSize?: number;
  /** batches in flight at once */
  readonly concurrency?: number;
  /** a batch not done by then is abandoned for this cycle (ms) */
  readonly batchTimeoutMs?: number;
  /** how long event alarms are cached per project (Aodh's event_alarm_cache_ttl, seconds) */
  readonly eventAlarmCacheSeconds?: number;
  /** called when notifications were queued */
  readonly onNotifications?: () => void;
  readonly log?: (line: string) => void;
}

export interface CycleStats {
  readonly alarms: number;
  readonly evaluated: number;
  readonly skipped: number;
  readonly failed: number;
  readonly reads: number;
  readonly transitions: number;
  readonly notifications: number;
  readonly durationMs: number;
}

/** One rule of an alarm, with the read it needs. */
interface RulePlan {
  readonly rule: TypedThresholdRule | (ThresholdRuleBase & { type: Alarm['type'] }) | (PrometheusRule & { type: 'prometheus' });
  readonly request: StatisticsRequest;
  readonly key: string;
}

function requestOf(type: Alarm['type'], rule: ThresholdRuleBase, now: number, lag: number): StatisticsRequest {
  const [start, stop] = windowOf(rule, now, lag);
  const base = { aggregation: rule.aggregation_method, granularity: rule.granularity, start, stop };
  if (type === 'gnocchi_resources_threshold') {
    const r = rule as ResourceThresholdRule;
    return { kind: 'resource', resourceId: r.resource_id, metric: r.metric, ...base };
  }
  if (type === 'gnocchi_aggregation_by_metrics_threshold') return { kind: 'metrics', metrics: (rule as MetricsAggregationRule).metrics, ...base };
  const r = rule as ResourcesAggregationRule;
  let query: Record<string, unknown> = {};
  try {
    query = JSON.parse(r.query) as Record<string, unknown>;
  } catch {
    // validated at creation; an unparsable stored query reads everything of the type, as an empty search
  }
  return { kind: 'resources', resourceType: r.resource_type, query, metric: r.metric, ...base };
}

function plansOf(alarm: WorkingAlarm, now: number, lag: number): RulePlan[] {
  if (alarm.type === 'prometheus') {
    const rule = alarm.rule as PrometheusRule;
    const request: StatisticsRequest = { kind: 'promql', query: rule.query, project: rule.scope_to_project, time: now };
    return [{ rule: { ...rule, type: 'prometheus' }, request, key: requestKey(request) }];
  }
  const rules: TypedThresholdRule[] =
    alarm.type === 'composite' ? compositeLeaves(alarm.rule as CompositeRule) : [{ ...(alarm.rule as ThresholdRuleBase), type: alarm.type } as TypedThresholdRule];
  return rules.map((rule) => {
    const request = requestOf(rule.type, rule, now, lag);
    return { rule, request, key: requestKey(request) };
  });
}

/** What a threshold or composite alarm in its state makes of its rules' outcomes. */
function transitionOf(alarm: WorkingAlarm, outcome: (j: number) => RuleOutcome): Transition | null {
  return alarm.type === 'composite' ? compositeTransition(alarm, outcome) : thresholdTransition(alarm, outcome(0));
}

function outcomeOf(plan: RulePlan, result: StatisticsResult): RuleOutcome {
  const r = plan.request;
  if (r.kind === 'promql') {
    return evaluatePrometheusRule(plan.rule as PrometheusRule, result, () =>
      failureReason((result as Extract<StatisticsResult, { ok: false }>).failure, { kind: 'promql', metric: '', aggregation: '' }),
    );
  }
  return evaluateRule(plan.rule as ThresholdRuleBase, result, () =>
    failureReason((result as Extract<StatisticsResult, { ok: false }>).failure, {
      kind: r.kind,
      metric: 'metric' in r ? r.metric : '',
      resourceId: r.kind === 'resource' ? r.resourceId : undefined,
      metrics: r.kind === 'metrics' ? r.metrics : undefined,
      aggregation: r.aggregation,
    }),
  );
}

/**
 * What one batch read, kept while the last evaluation of one of its alarms
 * refers to it: an explanation is rebuilt from it when asked, rather than
 * kept for every alarm (a rule's read, datapoints and outcome cost ~1.4 KB;
 * 100,000 alarms held 140 MB of explanations nobody asked for).
 */
interface BatchReads {
  readonly evaluatedAt: number;
  readonly durationMs: number;
  readonly alarms: number;
  readonly lag: number;
  readonly reads: ReadonlyMap<string, { readonly request: StatisticsRequest; readonly result: StatisticsResult }>;
}

/** An alarm's last evaluation by this process, compact. */
interface LastEvaluation {
  /** µs */
  readonly at: number;
  /** null: evaluated without reads (skipped, an event alarm) */
  readonly batch: BatchReads | null;
  readonly state: AlarmState;
  readonly previous?: AlarmState;
  readonly skipped?: string;
  /**
   * Whether it made a transition. Given its batch, the transition itself is
   * rebuilt when asked (a function of the previous state, the rule and the
   * outcomes); without one (an event alarm), it is kept.
   */
  readonly transitioned?: boolean;
  readonly transition?: Explanation['transition'];
}

export class Evaluator {
  private readonly last = new Map<string, LastEvaluation>();
  private readonly inFlight = new Set<string>();
  private readonly eventAlarms = new Map<string, { alarms: Alarm[]; until: number }>();
  /** the threshold and composite alarms as last read, by id, compacted (their version is AlarmStore.versionOf) */
  private readonly working = new Map<string, WorkingAlarm>();
  private readonly strings = stringPool();
  private lastCycle: CycleStats | null = null;

  constructor(private readonly o: EvaluatorOptions) {}

  /**
   * The last evaluation of an alarm by this process: its rules' reads and
   * outcomes rebuilt from what its batch read (outcomes are a function of the
   * rule and the datapoints). Undefined when it was not evaluated, or its
   * rules changed since.
   */
  explain(alarm: Alarm): Explanation | undefined {
    const last = this.last.get(alarm.alarm_id);
    if (!last) return undefined;
    const rules: RuleExplanation[] = [];
    let transition = last.transition;
    if (last.batch) {
      const plans = plansOf(alarm, last.at, last.batch.lag);
      const outcomes: RuleOutcome[] = [];
      for (const [j, p] of plans.entries()) {
        const read = last.batch.reads.get(p.key);
        if (!read) return undefined;
        outcomes.push(outcomeOf(p, read.result));
        rules.push(explainRule(alarm.type === 'composite' ? `rule${j + 1}` : null, p.rule, read.request, read.result, outcomes[j]));
      }
      if (last.transitioned !== undefined) {
        const t = last.transitioned ? transitionOf({ ...alarm, state: last.previous ?? alarm.state }, (j) => outcomes[j]) : null;
        transition = t ? { state: t.state, reason: t.reason, reason_data: t.reasonData } : null;
      }
    }
    return {
      alarm_id: alarm.alarm_id,
      evaluated_at: last.at,
      duration_ms: last.batch?.durationMs ?? 0,
      batch_alarms: last.batch?.alarms ?? 0,
      state: last.state,
      ...(last.previous ? { previous_state: last.previous } : {}),
      ...(last.skipped ? { skipped: last.skipped } : {}),
      ...(transition !== undefined ? { transition } : {}),
      rules,
    };
  }

  /** When this process last evaluated the alarm (µs), if it did. */
  evaluatedAt(alarmId: string): number | undefined {
    return this.last.get(alarmId)?.at;
  }

  /** How many alarms it holds: the working set, and the last evaluations kept. */
  get held(): { workingSet: number; lastEvaluations: number } {
    return { workingSet: this.working.size, lastEvaluations: this.last.size };
  }

  get lastCycleStats(): CycleStats | null {
    return this.lastCycle;
  }

  /** Forget cached event alarms (after an alarm was created, changed or deleted here). */
  alarmsChanged(alarmId?: string): void {
    this.eventAlarms.clear();
    if (alarmId) {
      this.working.delete(alarmId);
      this.last.delete(alarmId);
    }
  }

  /** One cycle over every enabled threshold and composite alarm, at `now` (µs). */
  async evaluateAll(now: number = Date.now() * 1000): Promise<CycleStats> {
    const started = performance.now();
    const all = await this.workingSet();
    const { batches, skipped } = this.batchesOf(all, now);
    const totals = { evaluated: 0, failed: 0, reads: 0, transitions: 0, notifications: 0 };
    const batchTimeoutMs = this.o.batchTimeoutMs ?? 50_000;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++];
        for (const a of batch) this.inFlight.add(a.alarm_id);
        const work = this.evaluateBatch(batch, now);
        // the cycle stops waiting at the deadline; the batch finishes (or fails) on its own and frees its alarms then
        work.then(
          () => batch.forEach((a) => this.inFlight.delete(a.alarm_id)),
          (err: unknown) => {
            batch.forEach((a) => this.inFlight.delete(a.alarm_id));
            this.o.log?.(`alarms: evaluation of ${batch.length} alarms failed: ${(err as Error).message}`);
          },
        );
        const r = await withDeadline(work.catch(() => null), batchTimeoutMs);
        if (r === undefined) {
          totals.failed += batch.length;
          this.o.log?.(`alarms: a batch of ${batch.length} alarms is still being evaluated after ${batchTimeoutMs} ms; the cycle goes on without it`);
        } else if (r === null) totals.failed += batch.length;
        else {
          totals.evaluated += batch.length;
          totals.reads += r.reads;
          totals.transitions += r.transitions;
          totals.notifications += r.notifications;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 2, batches.length) }, worker));
    if (totals.notifications > 0) this.o.onNotifications?.();
    this.lastCycle = { alarms: all.length, skipped, ...totals, durationMs: performance.now() - started };
    return this.lastCycle;
  }

  /**
   * The alarms due at `now`, in batches of alarms reading the same data next
   * to each other, so that they share their batch's read. A batch plans its
   * reads when it runs (the plans of 100,000 alarms held ~50 MB through the
   * cycle), and the sort keys live only here.
   */
  private batchesOf(all: readonly WorkingAlarm[], now: number): { batches: WorkingAlarm[][]; skipped: number } {
    const due: WorkingAlarm[] = [];
    let skipped = 0;
    for (const a of all) {
      if (this.inFlight.has(a.alarm_id)) skipped++;
      else if (!safeWithin(a, now)) {
        skipped++;
        this.last.set(a.alarm_id, { at: now, batch: null, skipped: 'outside its time constraints', state: a.state });
      } else due.push(a);
    }
    const lag = this.o.ingestionLagSeconds ?? 0;
    const keys = due.map((alarm) => plansOf(alarm, now, lag)[0].key);
    const order = Array.from(due.keys()).sort((i, j) => (keys[i] < keys[j] ? -1 : keys[i] > keys[j] ? 1 : 0));
    const size = this.o.batchSize ?? 2000;
    const batches: WorkingAlarm[][] = [];
    for (let i = 0; i < order.length; i += size) batches.push(order.slice(i, i + size).map((k) => due[k]));
    return { batches, skipped };
  }

  /**
   * Every enabled threshold and composite alarm, current: a cheap poll of
   * their versions, then a full read of those new or changed since the last
   * cycle (by this process's API, by another process, or by evaluation).
   */
  private async workingSet(): Promise<WorkingAlarm[]> {
    const types: readonly string[] = EVALUATED_TYPES;
    const versions = await this.o.store.enabledVersions(types);
    for (const id of this.working.keys()) if (!versions.has(id)) this.working.delete(id);
    const stale: string[] = [];
    for (const [id, v] of versions) {
      const known = this.working.get(id);
      if (known === undefined || AlarmStore.versionOf(known) !== v) stale.push(id);
    }
    for (let i = 0; i < stale.length; i += 10_000) {
      for (const a of await this.o.store.getMany(stale.slice(i, i + 10_000))) {
        // changed again between the two reads: disabled or of another type now
        if (a.enabled && types.includes(a.type)) this.working.set(a.alarm_id, compactAlarm(a, this.strings));
      }
    }
    return [...this.working.values()];
  }

  private async evaluateBatch(batch: readonly WorkingAlarm[], now: number): Promise<{ reads: number; transitions: number; notifications: number }> {
    const started = performance.now();
    const lag = this.o.ingestionLagSeconds ?? 0;
    const plans = batch.map((alarm) => plansOf(alarm, now, lag));
    const unique = new Map<string, StatisticsRequest>();
    for (const ps of plans) for (const p of ps) if (!unique.has(p.key)) unique.set(p.key, p.request);
    const keys = [...unique.keys()];
    const results = await this.o.source.read([...unique.values()]);
    const reads = new Map<string, { request: StatisticsRequest; result: StatisticsResult }>();
    for (let i = 0; i < keys.length; i++) reads.set(keys[i], { request: unique.get(keys[i])!, result: results[i] });

    const updates: StateUpdate[] = [];
    const evaluated: { alarm: WorkingAlarm; t: Transition | null }[] = [];
    let notifications = 0;
    for (let i = 0; i < batch.length; i++) {
      const alarm = batch[i];
      const ps = plans[i];
      const outcomes: (RuleOutcome | undefined)[] = new Array(ps.length);
      const outcome = (j: number): RuleOutcome => (outcomes[j] ??= outcomeOf(ps[j], reads.get(ps[j].key)!.result));
      const t = transitionOf(alarm, outcome);
      if (t) {
        const u = this.stateUpdate(alarm, t, now, false);
        updates.push(u);
        notifications += u.notifications.length;
      }
      evaluated.push({ alarm, t });
    }
    // only changes are written: the time of every evaluation stays in memory (explain, evaluate_timestamp)
    const applied = await this.o.store.applyStateUpdates(updates);
    const record: BatchReads = { evaluatedAt: now, durationMs: performance.now() - started, alarms: batch.length, lag, reads };
    for (const { alarm, t } of evaluated) {
      this.last.set(alarm.alarm_id, {
        at: now,
        batch: record,
        state: t?.state ?? alarm.state,
        previous: alarm.state,
        transitioned: t !== null,
      });
    }
    return { reads: keys.length, transitions: updates.filter((u) => u.change && applied.has(u.alarmId)).length, notifications };
  }

  /** The write a transition makes: history (when the state changes or `alwaysRecord`) and notifications. */
  private stateUpdate(alarm: WorkingAlarm, t: Transition, now: number, alwaysRecord: boolean): StateUpdate {
    const changed = t.state !== alarm.state || alwaysRecord;
    const change: AlarmChange | undefined = changed
      ? {
          event_id: randomUUID(),
          alarm_id: alarm.alarm_id,
          type: 'state transition',
          detail: pythonJson({ state: t.state, transition_reason: t.reason }),
          user_id: null,
          project_id: null,
          on_behalf_of: alarm.project_id,
          severity: alarm.severity,
          timestamp: now,
        }
      : undefined;
    const notifications: AlarmNotification[] = actionsFor(alarm, t.state).map((action) => ({
      action,
      alarm_id: alarm.alarm_id,
      alarm_name: alarm.name,
      severity: alarm.severity,
      previous: alarm.state,
      current: t.state,
      reason: t.reason,
      reason_data: t.reasonData,
    }));
    return { alarmId: alarm.alarm_id, projectId: alarm.project_id, state: t.state, reason: t.reason, at: now, change, notifications };
  }

  /** Fires the event alarms the events match; returns how many alarms fired. */
  async evaluateEvents(events: readonly Event[]): Promise<number> {
    if (events.length === 0) return 0;
    const now = Date.now() * 1000;
    const updates: StateUpdate[] = [];
    for (const e of events) {
      const alarms = await this.eventAlarmsOf(eventProject(e), now);
      for (let i = 0; i < alarms.length; i++) {
        const alarm = alarms[i];
        let fires: boolean;
        try {
          fires = eventMatches(alarm, e);
        } catch (err) {
          this.o.log?.(`alarms: event ${e.messageId} cannot be compared with alarm ${alarm.alarm_id}: ${(err as Error).message}`);
          continue;
        }
        if (!fires) continue;
        const t = eventTransition(alarm, e);
        if (!t) continue;
        updates.push(this.stateUpdate(alarm, t, now, alarm.repeat_actions));
        // later events of this batch see the alarm fired
        alarms[i] = { ...alarm, state: t.state, state_reason: t.reason };
        this.last.set(alarm.alarm_id, { at: now, batch: null, state: t.state, previous: alarm.state, transition: { state: t.state, reason: t.reason, reason_data: t.reasonData } });
      }
    }
    await this.o.store.applyStateUpdates(updates);
    if (updates.some((u) => u.notifications.length > 0)) this.o.onNotifications?.();
    return updates.length;
  }

  private async eventAlarmsOf(project: string, now: number): Promise<Alarm[]> {
    const ttl = (this.o.eventAlarmCacheSeconds ?? 60) * 1e6;
    const cached = this.eventAlarms.get(project);
    if (cached && cached.until > now) return cached.alarms;
    const alarms = await this.o.store.enabledOfTypes(['event'], project);
    if (ttl > 0) this.eventAlarms.set(project, { alarms, until: now + ttl });
    return alarms;
  }
}

function safeWithin(a: WorkingAlarm, now: number): boolean {
  try {
    return withinTimeConstraints(a.time_constraints, now / 1000);
  } catch {
    return true;
  }
}

/**
 * What `work` resolves to, or undefined once `ms` have passed. The timer is
 * cleared as soon as the work is done: a pending timer would keep the batch
 * it waits for (alarms, plans, reads) in memory until it fired.
 */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

