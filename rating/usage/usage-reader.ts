/**
 * One configured metric's usage over a span, from tally's store: the
 * resources of the metric's resource type that lived in the span (the
 * index), and the metric's stored points at the finest granularity it keeps
 * for the configured aggregation method (the engine), cut into constant
 * stretches (segments.ts) and summed per resource, revision, period and
 * level. Nothing is kept between calls: a span is recomputed whenever asked.
 */
import type { Engine } from '../../tsdb/engine.js';
import type { Sql } from '../../tsdb/index/sql.js';
import type { MetricConfig } from '../config/metrics-config.js';
import { type Revision, resourcesLivingIn } from './resource-history.js';
import { segments } from './segments.js';

/** What the usage needs of the engine. */
export type UsageEngine = Pick<Engine, 'hasMetric' | 'policyOf' | 'pendingEntries' | 'hasPending' | 'processMetrics' | 'read'>;

export interface UsageSpan {
  /** µs, [begin, end) */
  readonly begin: number;
  readonly end: number;
  /** null: every project */
  readonly projectId: string | null;
}

/** A resource's usage at one level, under one revision, in one period. */
export interface UsageEntry {
  readonly resourceId: string;
  readonly revision: Revision;
  /** µs: the start of the rating period it falls in */
  readonly periodStart: number;
  /** the stored value (before factor, offset and mutate) */
  readonly value: number;
  /** µs of usage */
  duration: number;
}

export interface UsageResult {
  readonly entries: UsageEntry[];
  /** why the metric was read otherwise than configured, or not at all */
  readonly notes: string[];
}

export interface UsageOptions {
  /** the rating period, µs */
  readonly period: number;
  /** µs: live resources are not billed past this instant */
  readonly now: number;
}

const US = 1_000_000;

export async function readUsage(sql: Sql, engine: UsageEngine, metric: MetricConfig, span: UsageSpan, options: UsageOptions): Promise<UsageResult> {
  const notes: string[] = [];
  const resources = await resourcesLivingIn(sql, metric.resourceType, metric.metric, span.begin, span.end, span.projectId);
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
    const series = engine.read(r.metricId!, { method: metric.aggregationMethod, granularity, from: span.begin - lookback, to: span.end });
    const revisionStarts = r.revisions.slice(1).map((v) => v.start);
    // one entry per (revision, period, value) run: consecutive stretches merge
    let last: UsageEntry | null = null;
    segments(window, { startedAt: r.startedAt, endedAt: r.endedAt }, series.ts, series.values, series.length, granularity, revisionStarts, (from, to, revision, periodStart, value) => {
      const rev = r.revisions[revision];
      if (last !== null && last.revision === rev && last.periodStart === periodStart && last.value === value) {
        last.duration += to - from;
        return;
      }
      const found = entries.length > 0 ? findEntry(entries, r.id, rev, periodStart, value) : null;
      if (found) {
        found.duration += to - from;
        last = found;
        return;
      }
      last = { resourceId: r.id, revision: rev, periodStart, value, duration: to - from };
      entries.push(last);
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

/** The entry of the same resource, revision, period and level: among the latest, those of the same period (stretches come in time order). */
function findEntry(entries: UsageEntry[], resourceId: string, revision: Revision, periodStart: number, value: number): UsageEntry | null {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.resourceId !== resourceId || e.periodStart !== periodStart) return null;
    if (e.revision === revision && e.value === value) return e;
  }
  return null;
}
