/**
 * The rated lines of a span: every configured metric's usage (usage/),
 * priced with the hashmap rules as they stand (the rules of the line's
 * project over the shared ones). A line is one resource's use of one metric
 * at one level, under one revision of its attributes, within one rating
 * period; it carries every number its cost comes from:
 *
 *   level     the quantity as CloudKitty counts a whole period (1 instance, 20 GiB)
 *   seconds   how long the resource held that level in the period
 *   qty       level × seconds / period  (instance-hours, GiB-hours with a 3600 s period)
 *   price     the hashmap's price of the level for a whole period
 *   cost      price × seconds / period
 *   unitPrice price / level: so that cost = qty × unitPrice
 *
 * For a resource at a constant level for whole periods, qty and cost are
 * exactly CloudKitty's quantity and price for those periods.
 */
import type { Sql } from '../../tsdb/index/sql.js';
import type { MetricConfig } from '../config/metrics-config.js';
import { Decimal } from '../decimal.js';
import type { HashMapRules } from '../hashmap/model.js';
import { type PricingTable, UnpriceableError, pricePoint, pricingTable } from '../hashmap/pricing.js';
import { QuantityCache } from '../usage/quantity.js';
import type { Revision } from '../usage/resource-history.js';
import { type UsageEngine, type UsageEntry, type UsageSpan, readUsage } from '../usage/usage-reader.js';

export interface RatedLine {
  /** µs: the rating period the line falls in */
  readonly begin: number;
  readonly end: number;
  /** the rated type (the metric's alt_name) */
  readonly type: string;
  readonly unit: string;
  readonly resourceId: string;
  /** the scope: the project of the revision in force ('' without one) */
  readonly projectId: string;
  readonly groupby: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly level: Decimal;
  readonly seconds: Decimal;
  readonly qty: Decimal;
  readonly price: Decimal;
  readonly unitPrice: Decimal;
  readonly cost: Decimal;
}

export interface RatingSource {
  readonly sql: Sql;
  readonly engine: UsageEngine;
  /** the hashmap rules, or null when the hashmap module is disabled (every price is 0, as CloudKitty's noop gives) */
  readonly rules: () => Promise<HashMapRules | null>;
  readonly metrics: readonly MetricConfig[];
  /** the rating period, seconds: what a hashmap price is for */
  readonly period: number;
  readonly now?: () => number;
}

export interface RatedSpan {
  readonly lines: RatedLine[];
  readonly notes: string[];
}

const US = 1_000_000;
const ZERO = Decimal.int(0);

/** What a revision says of a key: the resource's own columns, else its attributes; '' when it has none. */
function valueOf(resourceId: string, revision: Revision, type: string, key: string): string {
  switch (key) {
    case 'id':
      return resourceId;
    case 'project_id':
      return revision.projectId ?? '';
    case 'user_id':
      return revision.userId ?? '';
    case 'type':
      return type;
  }
  const v = revision.attributes[key];
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
}

/** Rates [begin, end) µs of one project (or all); `types` limits the rated types. */
export async function rateSpan(source: RatingSource, span: UsageSpan, types: ReadonlySet<string> | null = null): Promise<RatedSpan> {
  const rules = await source.rules();
  const period = source.period * US;
  const periodDecimal = Decimal.int(period);
  const now = (source.now ?? Date.now)() * 1000;
  const tables = new Map<string, PricingTable>();
  const tableOf = (project: string): PricingTable => {
    let t = tables.get(project);
    if (!t) tables.set(project, (t = pricingTable(rules!, project === '' ? null : project)));
    return t;
  };
  const lines: RatedLine[] = [];
  const notes: string[] = [];
  for (const metric of source.metrics) {
    if (types !== null && !types.has(metric.type)) continue;
    const usage = await readUsage(source.sql, source.engine, metric, span, { period, now });
    notes.push(...usage.notes);
    const quantities = new QuantityCache(metric);
    const prices = new Map<string, Decimal>();
    // stored values that make the same quantity (NUMBOOL's 1 of every cpu time) make one line
    const merged = new Map<string, { e: UsageEntry; level: Decimal; duration: number }>();
    const revisionIds = new Map<Revision, number>();
    for (const e of usage.entries) {
      const level = quantities.of(e.value);
      let revision = revisionIds.get(e.revision);
      if (revision === undefined) revisionIds.set(e.revision, (revision = revisionIds.size));
      const key = `${e.resourceId} ${revision} ${e.periodStart} ${level.toString()}`;
      const m = merged.get(key);
      if (m) m.duration += e.duration;
      else merged.set(key, { e, level, duration: e.duration });
    }
    for (const { e, level, duration: micros } of merged.values()) {
      const groupby: Record<string, string> = {};
      for (const k of metric.groupby) groupby[k] = valueOf(e.resourceId, e.revision, metric.resourceType, k);
      const metadata: Record<string, string> = {};
      for (const k of metric.metadata) metadata[k] = valueOf(e.resourceId, e.revision, metric.resourceType, k);
      const projectId = e.revision.projectId ?? '';
      if (span.projectId !== null && projectId !== span.projectId) continue;
      let price = ZERO;
      if (rules !== null) {
        const key = `${projectId}\u0000${level.toString()}\u0000${JSON.stringify(groupby)}\u0000${JSON.stringify(metadata)}`;
        let p = prices.get(key);
        if (p === undefined) {
          try {
            p = pricePoint(tableOf(projectId), { service: metric.type, qty: level, groupby, metadata });
          } catch (err) {
            if (!(err instanceof UnpriceableError)) throw err;
            notes.push(`${metric.type} ${e.resourceId}: not priced (${err.message})`);
            p = ZERO;
          }
          prices.set(key, p);
        }
        price = p;
      }
      // a whole period is CloudKitty's own point: no division, so the digits are its digits
      const whole = micros === period;
      const duration = Decimal.int(micros);
      lines.push({
        begin: e.periodStart,
        end: e.periodStart + period,
        type: metric.type,
        unit: metric.unit,
        resourceId: e.resourceId,
        projectId,
        groupby,
        metadata,
        level,
        seconds: duration.div(Decimal.int(US)),
        qty: whole ? level : level.mul(duration).div(periodDecimal),
        price,
        unitPrice: level.isZero() ? ZERO : price.div(level),
        cost: whole ? price : price.mul(duration).div(periodDecimal),
      });
    }
  }
  lines.sort((a, b) => a.begin - b.begin || cmp(a.projectId, b.projectId) || cmp(a.type, b.type) || cmp(a.resourceId, b.resourceId));
  return { lines, notes };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
