/**
 * The embedded time-series engine. Measures are appended to a durable incoming
 * buffer and acknowledged once flushed; `processPending` folds them into every
 * (granularity, method) series of the metric's archive policy. One LMDB write
 * transaction consumes a metric's incoming entries, rewrites its raw tail and
 * writes the changed splits, so a crash loses or double-counts nothing.
 */
import {
  type Aggregation,
  type ArchivePolicy,
  type ParsedMethod,
  aggregationsOf,
  blockSize,
  findAggregation,
  parseMethod,
  rawBackWindow,
} from './archive-policy.js';
import { aggregateInto } from './aggregate.js';
import { decodeSeries, encodeSeries } from './codec.js';
import { AggregationNotFoundError, InvalidInputError, MetricExistsError, MetricNotFoundError } from './errors.js';
import { type IncomingKey, type LmdbStore, type SplitDbKey, openLmdbStore } from './lmdb-store.js';
import { type TailShape, applyBatch, sortBatch } from './raw-tail.js';
import { type Series, emptySeries, lowerBound, mergeSeries, upperBound } from './series.js';
import { POINTS_PER_SPLIT, splitKey } from './split.js';
import { type Micros, US_PER_SECOND } from './time.js';

/** New measures for one metric: parallel arrays of µs timestamps and values. */
export interface MeasureBatch {
  readonly metricId: string;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export interface ReadOptions {
  readonly method: string;
  readonly granularity: Micros;
  readonly from?: Micros | null;
  readonly to?: Micros | null;
  /** regroup the stored points into coarser buckets with the same method */
  readonly resample?: Micros | null;
}

/** Points read back, with the granularity they are bucketed at. */
export interface AggregatedSeries extends Series {
  readonly aggregation: Aggregation;
}

interface GranularityPlan {
  readonly granularity: Micros;
  readonly timespan: Micros | null;
  readonly methods: readonly ParsedMethod[];
}

interface MetricPlan {
  readonly policy: ArchivePolicy;
  readonly shape: TailShape;
  readonly granularities: readonly GranularityPlan[];
}

function planFor(policy: ArchivePolicy): MetricPlan {
  const methods = policy.aggregationMethods.map((m) => parseMethod(m));
  return {
    policy,
    shape: { blockSize: blockSize(policy), backWindow: rawBackWindow(policy) },
    granularities: policy.definition.map((d) => ({ granularity: d.granularity, timespan: d.timespan, methods })),
  };
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export interface EngineOptions {
  /** directory holding tsdb.lmdb */
  readonly path: string;
}

export class Engine {
  private readonly store: LmdbStore;
  private readonly plans = new Map<string, MetricPlan>();
  private seq: number;
  /** metric id after which the next processing pass starts, so no metric starves */
  private cursor: string | null = null;
  private pendingHint = true;
  private processing: Promise<void> | null = null;
  private closed = false;

  private constructor(store: LmdbStore) {
    this.store = store;
    let maxSeq = 0;
    for (const key of store.incoming.getKeys()) if (key[1] > maxSeq) maxSeq = key[1];
    this.seq = Math.max(maxSeq + 1, Date.now() * 1000);
  }

  static open(options: EngineOptions): Engine {
    return new Engine(openLmdbStore(options.path));
  }

  // ---- metrics -------------------------------------------------------------

  async createMetric(metricId: string, policy: ArchivePolicy): Promise<void> {
    if (this.store.metrics.get(metricId) !== undefined) throw new MetricExistsError(metricId);
    await this.store.metrics.put(metricId, { policy });
    await this.store.root.flushed;
    this.plans.set(metricId, planFor(policy));
  }

  hasMetric(metricId: string): boolean {
    return this.planOf(metricId) !== undefined;
  }

  policyOf(metricId: string): ArchivePolicy {
    const plan = this.planOf(metricId);
    if (!plan) throw new MetricNotFoundError(metricId);
    return plan.policy;
  }

  /** Removes the metric, its pending measures and every stored series. */
  async deleteMetric(metricId: string): Promise<void> {
    if (!this.planOf(metricId)) throw new MetricNotFoundError(metricId);
    const { metrics, incoming, raw, splits } = this.store;
    this.store.root.transactionSync(() => {
      metrics.removeSync(metricId);
      raw.removeSync(metricId);
      for (const k of incoming.getKeys({ start: [metricId, 0], end: [metricId, MAX_SEQ] })) incoming.removeSync(k);
      for (const k of splits.getKeys({ start: [metricId], end: [metricId, Infinity] })) splits.removeSync(k);
    });
    await this.store.root.flushed;
    this.plans.delete(metricId);
  }

  private planOf(metricId: string): MetricPlan | undefined {
    let plan = this.plans.get(metricId);
    if (plan === undefined) {
      const rec = this.store.metrics.get(metricId);
      if (rec === undefined) return undefined;
      plan = planFor(rec.policy);
      this.plans.set(metricId, plan);
    }
    return plan;
  }

  // ---- ingest --------------------------------------------------------------

  /**
   * Appends measures to the incoming buffer. Resolves once they are on disk;
   * rejects, writing nothing, if any metric is unknown or any measure invalid.
   */
  async addMeasures(batches: readonly MeasureBatch[]): Promise<void> {
    const encoded: Buffer[] = [];
    for (let b = 0; b < batches.length; b++) {
      const { metricId, timestamps, values } = batches[b];
      if (!this.planOf(metricId)) throw new MetricNotFoundError(metricId);
      encoded.push(encodeIncoming(b, timestamps, values));
    }
    const writes: Promise<boolean>[] = [];
    for (let b = 0; b < batches.length; b++) {
      if (encoded[b].length === 0) continue;
      writes.push(this.store.incoming.put([batches[b].metricId, this.seq++], encoded[b]));
    }
    if (writes.length === 0) return;
    await Promise.all(writes);
    await this.store.root.flushed;
    this.pendingHint = true;
  }

  /** Number of incoming entries (one per metric per accepted batch) not yet aggregated. */
  pendingEntries(): number {
    return this.store.incoming.getCount();
  }

  // ---- aggregation ---------------------------------------------------------

  /**
   * Aggregates the pending measures of up to `maxMetrics` metrics in one
   * transaction. Returns the number of measures consumed (0: nothing pending).
   */
  processPending(maxMetrics = 256): number {
    const { incoming } = this.store;
    const work: { metricId: string; keys: IncomingKey[]; chunks: Buffer[] }[] = [];
    const collect = (start: IncomingKey | undefined): void => {
      for (const { key, value } of incoming.getRange(start ? { start } : {})) {
        const last = work[work.length - 1];
        if (last && last.metricId === key[0]) {
          last.keys.push(key);
          last.chunks.push(value);
        } else {
          if (work.length >= maxMetrics) return;
          if (work.some((w) => w.metricId === key[0])) return; // wrapped around
          work.push({ metricId: key[0], keys: [key], chunks: [value] });
        }
      }
    };
    collect(this.cursor === null ? undefined : [this.cursor, MAX_SEQ]);
    if (work.length < maxMetrics && this.cursor !== null) collect(undefined);
    if (work.length === 0) {
      this.pendingHint = false;
      return 0;
    }
    this.cursor = work[work.length - 1].metricId;
    let consumed = 0;
    this.store.root.transactionSync(() => {
      for (const w of work) {
        consumed += this.aggregateMetric(w.metricId, w.chunks);
        for (const k of w.keys) incoming.removeSync(k);
      }
    });
    return consumed;
  }

  /** Runs processing passes until nothing is pending, yielding between passes. */
  async processAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = this.processPending();
      if (n === 0 && this.pendingEntries() === 0) return total;
      total += n;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private aggregateMetric(metricId: string, chunks: Buffer[]): number {
    const plan = this.planOf(metricId);
    if (!plan) return 0; // metric deleted while its measures waited
    const incomingSeries = decodeIncoming(chunks);
    if (incomingSeries.length === 0) return 0;
    const batch = sortBatch(incomingSeries.ts, incomingSeries.values, incomingSeries.length);
    const tail = emptySeries(0);
    const rawBytes = this.store.raw.get(metricId);
    if (rawBytes !== undefined) decodeSeries(rawBytes, 0, 1, tail);
    const update = applyBatch(tail, batch, plan.shape);
    const merged = update.merged;
    const out = emptySeries(256);
    for (const g of plan.granularities) {
      const start = Math.floor(update.recomputeFrom / g.granularity) * g.granularity;
      for (const m of g.methods) {
        out.length = 0;
        aggregateInto(merged.ts, merged.values, merged.length, start, g.granularity, m, out);
        this.storeAggregated(metricId, g.granularity, g.timespan, m.name, out);
      }
    }
    this.store.raw.putSync(metricId, Buffer.from(encodeSeries(update.tail, 0, update.tail.length, 0, 1)));
    return incomingSeries.length;
  }

  /** Upserts freshly computed buckets into the stored splits; drops splits past the timespan. */
  private storeAggregated(metricId: string, g: Micros, timespan: Micros | null, method: string, computed: Series): void {
    const n = computed.length;
    if (n === 0) return;
    const { splits } = this.store;
    let from = 0;
    if (timespan !== null) {
      const oldest = computed.ts[n - 1] - timespan;
      from = upperBound(computed.ts, n, oldest);
      const keepKey = splitKey(oldest, g);
      for (const k of splits.getKeys({ start: [metricId, g, method, -Infinity], end: [metricId, g, method, keepKey] })) {
        splits.removeSync(k);
      }
    }
    const existing = emptySeries(0);
    while (from < n) {
      const key = splitKey(computed.ts[from], g);
      const end = lowerBound(computed.ts, n, key + g * POINTS_PER_SPLIT, from);
      const dbKey: SplitDbKey = [metricId, g, method, key];
      const old = splits.get(dbKey);
      let data: Uint8Array;
      if (old === undefined) {
        data = encodeSeries(computed, from, end, key, g);
      } else {
        existing.length = 0;
        decodeSeries(old, key, g, existing);
        const part: Series = { ts: computed.ts.subarray(from, end), values: computed.values.subarray(from, end), length: end - from };
        const mergedSplit = mergeSeries(existing, part);
        data = encodeSeries(mergedSplit, 0, mergedSplit.length, key, g);
      }
      splits.putSync(dbKey, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      from = end;
    }
  }

  // ---- reads ---------------------------------------------------------------

  /** The Aggregation of a metric for (method, granularity), or a typed error. */
  aggregationOf(metricId: string, method: string, granularity: Micros): Aggregation {
    const plan = this.planOf(metricId);
    if (!plan) throw new MetricNotFoundError(metricId);
    const agg = findAggregation(plan.policy, method, granularity);
    if (!agg) throw new AggregationNotFoundError(metricId, method, granularity / US_PER_SECOND);
    return agg;
  }

  /** Every aggregation of a metric, finest granularity first. */
  aggregationsOfMetric(metricId: string): Aggregation[] {
    const plan = this.planOf(metricId);
    if (!plan) throw new MetricNotFoundError(metricId);
    return aggregationsOf(plan.policy);
  }

  /**
   * Points of one stored series between `from` (rounded down to the
   * granularity, inclusive) and `to` (exclusive), optionally resampled.
   */
  read(metricId: string, options: ReadOptions): AggregatedSeries {
    const agg = this.aggregationOf(metricId, options.method, options.granularity);
    const g = agg.granularity;
    const from = options.from ?? null;
    const to = options.to ?? null;
    const series = emptySeries(0);
    const start: SplitDbKey = [metricId, g, agg.method, from === null ? -Infinity : splitKey(from, g)];
    const end: SplitDbKey = [metricId, g, agg.method, to === null ? Infinity : splitKey(to, g) + 1];
    for (const { key, value } of this.store.splits.getRange({ start, end })) {
      try {
        decodeSeries(value, key[3], g, series);
      } catch {
        // A damaged split reads as empty, as in Gnocchi; the rest of the series stays readable.
      }
    }
    let result: Series = series;
    if (agg.timespan !== null && series.length > 0) {
      const cut = upperBound(series.ts, series.length, series.ts[series.length - 1] - agg.timespan);
      result = { ts: series.ts.subarray(cut, series.length), values: series.values.subarray(cut, series.length), length: series.length - cut };
    }
    let aggregation = agg;
    if (options.resample != null) {
      const resampled = emptySeries(0);
      aggregateInto(result.ts, result.values, result.length, null, options.resample, parseMethod(agg.method), resampled);
      result = resampled;
      aggregation = { ...agg, granularity: options.resample };
    }
    const lo = from === null ? 0 : lowerBound(result.ts, result.length, Math.floor(from / aggregation.granularity) * aggregation.granularity);
    const hi = to === null ? result.length : lowerBound(result.ts, result.length, to);
    return {
      aggregation,
      ts: result.ts.slice(lo, Math.max(lo, hi)),
      values: result.values.slice(lo, Math.max(lo, hi)),
      length: Math.max(0, hi - lo),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.store.root.flushed;
    await this.store.root.close();
  }
}

/** Validates one batch and encodes it as an incoming entry (FORMAT.md, "incoming"). */
function encodeIncoming(batchIndex: number, timestamps: ArrayLike<number>, values: ArrayLike<number>): Buffer {
  const n = timestamps.length;
  if (values.length !== n) {
    throw new InvalidInputError(`measures[${batchIndex}]`, `${n} timestamps but ${values.length} values`);
  }
  const buf = Buffer.allocUnsafe(n * 16);
  const f = new Float64Array(buf.buffer, buf.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const t = timestamps[i];
    const v = values[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new InvalidInputError(`measures[${batchIndex}][${i}].timestamp`, `invalid timestamp ${String(t)}`);
    }
    if (t < 0) throw new InvalidInputError(`measures[${batchIndex}][${i}].timestamp`, 'timestamp is before Epoch');
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidInputError(`measures[${batchIndex}][${i}].value`, `invalid value ${String(v)}: must be a finite number`);
    }
    f[i] = Math.floor(t);
    f[n + i] = v;
  }
  return buf;
}

let incomingScratch = new Float64Array(4096);

function decodeIncoming(chunks: Buffer[]): Series {
  let total = 0;
  for (const c of chunks) total += c.length / 16;
  const out = emptySeries(total);
  for (const c of chunks) {
    const n = c.length / 16;
    if (incomingScratch.length < n * 2) incomingScratch = new Float64Array(n * 2);
    new Uint8Array(incomingScratch.buffer, 0, c.length).set(c);
    out.ts.set(incomingScratch.subarray(0, n), out.length);
    out.values.set(incomingScratch.subarray(n, 2 * n), out.length);
    out.length += n;
  }
  return out;
}
