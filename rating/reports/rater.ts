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
 *
 * A line may stand for `periods` consecutive whole periods with the same
 * numbers (a resource at one level for a month is one line of 720 periods):
 * totals count it that many times, listings expand it (line-pages.ts).
 * Prices are computed once per project, level and the values of the
 * service's hashmap fields, and the numbers of whole periods are shared
 * objects, so a month costs arithmetic only where a period is partial.
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
  /** µs: the rating period the line falls in (the first, with periods > 1) */
  readonly begin: number;
  readonly end: number;
  /** how many consecutive periods from begin the line stands for, each with the same numbers (more than 1 only for whole periods) */
  readonly periods: number;
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
  /** in no particular order: listings sort them (line-pages.ts) */
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

/** What the lines of one revision share: its scope, groupby and metadata, and the values the hashmap fields read. */
interface RevisionView {
  readonly projectId: string;
  readonly groupby: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
  /** the values of the service's hashmap fields, as a key of the price cache */
  readonly fieldKey: string;
}

/** A price, and what whole periods at it carry. */
interface Priced {
  readonly price: Decimal;
  readonly unitPrice: Decimal;
}

/** Rates [begin, end) µs of one project (or all); `types` limits the rated types. */
export async function rateSpan(source: RatingSource, span: UsageSpan, types: ReadonlySet<string> | null = null): Promise<RatedSpan> {
  const rules = await source.rules();
  const period = source.period * US;
  const periodDecimal = Decimal.int(period);
  const periodSeconds = Decimal.int(source.period);
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
    const levels = (metric.mutate === 'NUMBOOL' || metric.mutate === 'NOTNUMBOOL') && metric.offset.isZero() ? 'zero' : 'value';
    const usage = await readUsage(source.sql, source.engine, metric, span, { period, now, levels });
    notes.push(...usage.notes);
    const quantities = new QuantityCache(metric);
    // the fields a price can depend on: those of the service, in any project's rules
    const fields = new Set<string>();
    if (rules !== null) for (const f of rules.fields) if (rules.services.some((sv) => sv.serviceId === f.serviceId && sv.name === metric.type)) fields.add(f.name);
    const views = new Map<Revision, RevisionView>();
    const viewOf = (resourceId: string, revision: Revision): RevisionView => {
      let v = views.get(revision);
      if (v === undefined) {
        const groupby: Record<string, string> = {};
        for (const k of metric.groupby) groupby[k] = valueOf(resourceId, revision, metric.resourceType, k);
        const metadata: Record<string, string> = {};
        for (const k of metric.metadata) metadata[k] = valueOf(resourceId, revision, metric.resourceType, k);
        // a key in both takes groupby's value, as pricing reads them; an absent field is not ''
        let fieldKey = '';
        for (const f of fields) fieldKey += `\u0000${Object.prototype.hasOwnProperty.call(groupby, f) ? `=${groupby[f]}` : Object.prototype.hasOwnProperty.call(metadata, f) ? `=${metadata[f]}` : '-'}`;
        views.set(revision, (v = { projectId: revision.projectId ?? '', groupby, metadata, fieldKey }));
      }
      return v;
    };
    const prices = new Map<string, Priced>();
    const pricedOf = (e: UsageEntry, view: RevisionView, level: Decimal, levelText: string): Priced => {
      const key = `${view.projectId}\u0000${levelText}${view.fieldKey}`;
      let p = prices.get(key);
      if (p === undefined) {
        let price = ZERO;
        if (rules !== null) {
          try {
            price = pricePoint(tableOf(view.projectId), { service: metric.type, qty: level, groupby: view.groupby, metadata: view.metadata });
          } catch (err) {
            if (!(err instanceof UnpriceableError)) throw err;
            notes.push(`${metric.type} ${e.resourceId}: not priced (${err.message})`);
          }
        }
        prices.set(key, (p = { price, unitPrice: level.isZero() ? ZERO : price.div(level) }));
      }
      return p;
    };
    // stored values that make the same quantity (NUMBOOL's 1 of every cpu time) make one line
    const merged = new Map<string, { e: UsageEntry; level: Decimal; levelText: string; duration: number }>();
    const runs: { e: UsageEntry; level: Decimal; levelText: string }[] = [];
    const revisionIds = new Map<Revision, number>();
    for (const e of usage.entries) {
      if (span.projectId !== null && (e.revision.projectId ?? '') !== span.projectId) continue;
      const level = quantities.of(e.value);
      const levelText = quantities.textOf(level);
      if (e.periods > 1 || e.duration === period) {
        runs.push({ e, level, levelText });
        continue;
      }
      let revision = revisionIds.get(e.revision);
      if (revision === undefined) revisionIds.set(e.revision, (revision = revisionIds.size));
      const key = `${e.resourceId} ${revision} ${e.periodStart} ${levelText}`;
      const m = merged.get(key);
      if (m) m.duration += e.duration;
      else merged.set(key, { e, level, levelText, duration: e.duration });
    }
    // whole periods: the level and the price are the line's qty and cost, shared objects
    for (const { e, level, levelText } of runs) {
      const view = viewOf(e.resourceId, e.revision);
      const p = pricedOf(e, view, level, levelText);
      lines.push({
        begin: e.periodStart, end: e.periodStart + period, periods: e.periods, type: metric.type, unit: metric.unit, resourceId: e.resourceId,
        projectId: view.projectId, groupby: view.groupby, metadata: view.metadata,
        level, seconds: periodSeconds, qty: level, price: p.price, unitPrice: p.unitPrice, cost: p.price,
      });
    }
    for (const { e, level, levelText, duration: micros } of merged.values()) {
      const view = viewOf(e.resourceId, e.revision);
      const p = pricedOf(e, view, level, levelText);
      // a whole period is CloudKitty's own point: no division, so the digits are its digits
      const whole = micros === period;
      const duration = Decimal.int(micros);
      lines.push({
        begin: e.periodStart, end: e.periodStart + period, periods: 1, type: metric.type, unit: metric.unit, resourceId: e.resourceId,
        projectId: view.projectId, groupby: view.groupby, metadata: view.metadata,
        level,
        seconds: whole ? periodSeconds : duration.div(Decimal.int(US)),
        qty: whole ? level : level.mul(duration).div(periodDecimal),
        price: p.price,
        unitPrice: p.unitPrice,
        cost: whole ? p.price : p.price.mul(duration).div(periodDecimal),
      });
    }
  }
  return { lines, notes };
}
