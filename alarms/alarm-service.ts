/**
 * The alarms role of a process: the alarm store on an SQL database, the
 * evaluator on its schedule, the outbox worker delivering notifications,
 * and the Aodh v2 routes, registered on a fastify listener (the store's in
 * all-in-one mode, one of its own with `tally alarms`).
 */
import type { FastifyInstance } from 'fastify';
import type { Event } from '../tsdb/index/events.js';
import type { Sql } from '../tsdb/index/sql.js';
import { alarmRoutes } from './api/alarm-routes.js';
import type { AlarmApiDeps, AlarmApiSettings, TrustManager } from './api/deps.js';
import { queryRoutes } from './api/query-routes.js';
import { quotaRoutes } from './api/quota-routes.js';
import { type CycleStats, Evaluator, type EvaluatorOptions } from './evaluator/evaluator.js';
import { type Schedule, scheduleEvaluation } from './evaluator/scheduler.js';
import type { StatisticsSource } from './evaluator/statistics-source.js';
import type { OutboxStats } from './notifiers/outbox.js';
import { AlarmStore } from './store/alarm-store.js';

/** Delivers queued notifications (the outbox worker). */
export interface NotificationDelivery {
  start(): void;
  /** new notifications were queued: look now */
  kick(): void;
  /** what it delivered, retried and gave up since start */
  stats(): OutboxStats;
  stop(): Promise<void>;
}

/** The evaluator's work since start, beside each cycle's CycleStats. */
export interface EvaluationCounts {
  cycles: number;
  /** scheduled ticks skipped because the cycle before was still running */
  skippedCycles: number;
  /** state changes, by threshold and composite evaluation and by events firing event alarms */
  transitions: number;
  /** alarms whose evaluation failed or timed out */
  failedEvaluations: number;
}

export interface AlarmServiceOptions {
  readonly sql: Sql;
  readonly source: StatisticsSource;
  readonly settings: AlarmApiSettings;
  readonly trusts: TrustManager | null;
  /** seconds between evaluation cycles; 0: no scheduled evaluation (tests drive it) */
  readonly evaluationIntervalSeconds: number;
  readonly evaluator?: Omit<EvaluatorOptions, 'store' | 'source' | 'onNotifications' | 'log'>;
  readonly delivery: (store: AlarmStore) => NotificationDelivery;
  readonly log: (line: string) => void;
}

export class AlarmService {
  private schedule: Schedule | null = null;
  readonly counts: EvaluationCounts = { cycles: 0, skippedCycles: 0, transitions: 0, failedEvaluations: 0 };
  /** hears every cycle's stats (the cycle duration histogram) */
  onCycle: ((stats: CycleStats) => void) | null = null;

  private constructor(
    readonly store: AlarmStore,
    readonly evaluator: Evaluator,
    readonly delivery: NotificationDelivery,
    private readonly o: AlarmServiceOptions,
  ) {}

  static async start(o: AlarmServiceOptions): Promise<AlarmService> {
    const store = await AlarmStore.open(o.sql);
    const delivery = o.delivery(store);
    const evaluator = new Evaluator({ ...o.evaluator, store, source: o.source, onNotifications: () => delivery.kick(), log: o.log });
    const service = new AlarmService(store, evaluator, delivery, o);
    delivery.start();
    if (o.evaluationIntervalSeconds > 0) {
      service.schedule = scheduleEvaluation(o.evaluationIntervalSeconds, () => service.evaluate().then(() => undefined), o.log, () => void service.counts.skippedCycles++);
    }
    return service;
  }

  /** One evaluation cycle now (the schedule runs the same). */
  async evaluate(now?: number): Promise<CycleStats> {
    const stats = await this.evaluator.evaluateAll(now);
    this.counts.cycles++;
    this.counts.transitions += stats.transitions;
    this.counts.failedEvaluations += stats.failed;
    this.onCycle?.(stats);
    if (stats.alarms > 0) {
      this.o.log(
        `alarms: evaluated ${stats.evaluated} of ${stats.alarms} alarms in ${stats.durationMs.toFixed(0)} ms (${stats.reads} reads, ${stats.transitions} state changes, ${stats.notifications} notifications${stats.skipped ? `, ${stats.skipped} skipped` : ''}${stats.failed ? `, ${stats.failed} failed` : ''})`,
      );
    }
    return stats;
  }

  /** Events from the collector: fire the event alarms they match. */
  onEvents = async (events: readonly Event[]): Promise<void> => {
    try {
      this.counts.transitions += await this.evaluator.evaluateEvents(events);
    } catch (err) {
      this.o.log(`alarms: event alarm evaluation failed: ${(err as Error).message}`);
    }
  };

  /** Registers Aodh's v2 routes; `capabilities` when no events API shares the listener. */
  async register(app: FastifyInstance, options: { capabilities: boolean }): Promise<void> {
    const deps: AlarmApiDeps = { store: this.store, source: this.o.source, evaluator: this.evaluator, settings: this.o.settings, trusts: this.o.trusts, capabilities: options.capabilities };
    await app.register(alarmRoutes, deps);
    await app.register(queryRoutes, deps);
    await app.register(quotaRoutes, deps);
  }

  async stop(): Promise<void> {
    await this.schedule?.stop();
    await this.delivery.stop();
  }
}
