/**
 * One configured metric's usage over a span, from tally's store: the
 * resources of the metric's resource type that lived in the span (the
 * index), and the metric's stored points at the finest granularity it keeps
 * for the configured aggregation method (the engine), cut into constant
 * stretches (segments.ts) and summed per resource, revision, period and
 * level. Nothing is kept between calls: a span is recomputed whenever asked.
 */
import type { Engine } from '../../tsdb/engine.js';
import { emptyRuns } from '../../tsdb/series-runs.js';
import type { Sql } from '../../tsdb/index/sql.js';
import type { MetricConfig } from '../config/metrics-config.js';
import { type Revision, resourcesLivingIn } from './resource-history.js';
import { type LevelClass, segments } from './segments.js';

/** What the usage needs of the engine. */
export type UsageEngine = Pick<Engine, 'hasMetric' | 'policyOf' | 'pendingEntries' | 'hasPending' | 'processMetrics' | 'appendRuns'>;

export interface UsageSpan {
  /** µs, [begin, end) */
  readonly begin: number;
  readonly end: number;
  /** null: every project */
  readonly projectId: string | null;
}

/**
 * A resource's usage at one level, under one revision, in one period, or in
 * `periods` consecutive whole periods (a resource at one level for a month
 * is one entry, not 720).
 */
export interface UsageEntry {
  readonly resourceId: string;
  readonly revision: Revision;
  /** µs: the start of the (first) rating period it falls in */
  readonly periodStart: number;
  /** how many consecutive periods from periodStart; more than 1 only when each is whole */
  periods: number;
  /** the stored value (before factor, offset and mutate); with levels 'zero', 0 or 1 for any value not 0 */
  readonly value: number;
  /** µs of usage in each period */
  duration: number;
}

export interface UsageResult {
  readonly entries: UsageEntry[];
  /** why the metric was read otherwise than configured, or not at all */
  readonly notes: string[];
}

export interface UsageOptions {
  /** how stored values compare as levels (segments.ts): 'zero' when only zero or not matters */
  readonly levels: LevelClass;
  /** the rating period, µs */
  readonly period: number;
  /** µs: live resources are not billed past this instant */
  readonly now: number;
}

const US = 1_000_000;

export async function readUsage(sql: Sql, engine: UsageEngine, metric: MetricConfig, span: UsageSpan, options: UsageOptions): Promise<UsageResult> {
  const notes: string[] = [];
  // the attributes a line can show: the groupby and metadata keys that are not the resource's own columns
  const keys = [...new Set([...metric.groupby, ...metric.metadata])].filter((k) => !COLUMNS.has(k));
  const resources = await resourcesLivingIn(sql, metric.resourceType, metric.metric, span.begin, span.end, span.projectId, keys);
  const live = resources.filter((r) => r.metricId !== null && engine.hasMetric(r.metricId));
  // measures still waiting for aggregation are folded first, as a refresh does
  if (engine.pendingEntries() > 0) {
    const pending = live.filter((r) => engine.hasPending(r.metricId!)).map((r) => r.metricId!);
    if (pending.length > 0) engine.processMetrics(pending);
  }
  const entries: UsageEntry[] = [];
  const granularities = new Set<number>();
  const window = { begin: span.begin, end: span.end, period: options.period, now: options.now };
  let missingMethod = 0;
  // one buffer for every resource's points, read as runs of one level (a constant month is one)
  const runs = emptyRuns(1024);
  const byZero = options.levels === 'zero';
  for (const r of live) {
    const policy = engine.policyOf(r.metricId!);
    if (!policy.aggregationMethods.includes(metric.aggregationMethod)) {
      missingMethod++;
      continue;
    }
    const granularity = policy.definition[0].granularity;
    granularities.add(granularity);
    // from far enough back that the point in force at the span's start is read
    const lookback = Math.max(2 * granularity, options.period);
    runs.length = 0;
    engine.appendRuns(r.metricId!, metric.aggregationMethod, granularity, span.begin - lookback, span.end, byZero ? 'nonzero' : 'equal', runs);
    const revisionStarts = r.revisions.length > 1 ? r.revisions.slice(1).map((v) => v.start) : NO_STARTS;
    const first = entries.length;
    segments(window, { startedAt: r.startedAt, endedAt: r.endedAt }, runs.starts, runs.lasts, runs.values, runs.length, granularity, revisionStarts, options.levels, (periodStart, periods, micros, revision, value) => {
      const rev = r.revisions[revision];
      if (byZero) value = value === 0 ? 0 : 1;
      // a partial period may come back at the same level (a gap within it): one entry, as one line
      if (periods === 1) {
        for (let i = entries.length - 1; i >= first; i--) {
          const e = entries[i];
          if (e.periodStart !== periodStart || e.periods !== 1) break;
          if (e.revision === rev && e.value === value) {
            e.duration += micros;
            return;
          }
        }
      }
      entries.push({ resourceId: r.id, revision: rev, periodStart, periods, value, duration: micros });
    });
  }
  if (missingMethod > 0) notes.push(`${metric.metric}: ${missingMethod} metric(s) keep no ${metric.aggregationMethod} aggregates, not rated`);
  if (metric.granularity > 0) {
    for (const g of granularities) {
      if (g !== metric.granularity * US) notes.push(`${metric.metric}: read at ${g / US} s, the finest granularity it keeps (configured: ${metric.granularity} s)`);
    }
  }
  return { entries, notes };
}

const NO_STARTS: readonly number[] = [];
/** keys a rated line takes from the resource itself, not its attributes (rater.ts) */
const COLUMNS = new Set(['id', 'project_id', 'user_id', 'type']);
