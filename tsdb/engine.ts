/**
 * The embedded time-series engine. Measures are appended to a durable incoming
 * buffer and acknowledged once flushed; `processPending` folds them into every
 * (granularity, method) series of the metric's archive policy. One LMDB write
 * transaction consumes a metric's incoming entries, rewrites its raw tail and
 * writes the changed splits, so a crash loses or double-counts nothing.
 */
import { type CalendarUnit, calendarFloor } from './calendar.js';
import { randomInt } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import {
  type Aggregation,
  type ArchivePolicy,
  type ParsedMethod,
  ALL_METHODS,
  blockSize,
  findAggregation,
  parseMethod,
  rawBackWindow,
} from './archive-policy.js';
import { aggregateInto } from './aggregate.js';
import { ByteWriter, copySplitColumn, decodeSeries, encodeSeries, forEachSplitColumn, readSplitColumn, startSplit, writeSplitColumn } from './codec.js';
import { AggregationNotFoundError, MetricExistsError, MetricNotFoundError } from './errors.js';
import { type IncomingBlock, type MeasureBatch, type MeasureColumns, batchesToColumns, blockMetricCount, decodeBlockTable, decodeIncomingBlock, decodeIncomingEntries, encodeIncomingBlock, encodeIncomingEntry } from './incoming.js';
import { type BlockKey, type IncomingKey, type LmdbStore, type MetricRecord, type SplitDbKey, openLmdbStore, storeFile } from './lmdb-store.js';
import { type TailShape, applyBatch, sortBatch } from './raw-tail.js';
import { type Series, emptySeries, lowerBound, mergeSeries, reserve, upperBound } from './series.js';
import { POINTS_PER_SPLIT, splitKey } from './split.js';
import { WriteKeys } from './write-keys.js';
import { MirrorLog } from './mirror-log.js';
import { type RunMode, type RunSeries, readSeriesRuns } from './series-runs.js';
import { type Micros, US_PER_SECOND } from './time.js';

export type { MeasureBatch, MeasureColumns } from './incoming.js';

export interface ReadOptions {
  readonly method: string;
  readonly granularity: Micros;
  readonly from?: Micros | null;
  readonly to?: Micros | null;
  /** regroup the stored points into coarser buckets with the same method */
  readonly resample?: Micros | null;
  /** resample to calendar buckets instead (year, half, quarter, month, week) */
  readonly resampleCalendar?: CalendarUnit | null;
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

/** A metric's plan (shared by the metrics of a policy) plus what this process knows of its splits. */
interface MetricState {
  readonly generation: number;
  readonly plan: MetricPlan;
  /** per granularity: splits below this key are known deleted; null until the first pruning (a thread that only writes never prunes) */
  prunedBelow: number[] | null;
}

/** Series reused across aggregation passes, so a pass allocates nothing per measure. */
interface Scratch {
  readonly incoming: Series;
  readonly batch: Series;
  readonly tail: Series;
  readonly merged: Series;
  readonly existing: Series;
  readonly splitMerged: Series;
  /** one per method of the granularity being stored */
  readonly computed: Series[];
  /** per method: first computed point not yet stored */
  readonly froms: Int32Array;
  readonly writer: ByteWriter;
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

/**
 * The blocks one block sweep folds, decoded, with every metric they hold in
 * id order; `next` is the position of the first metric not folded yet.
 */
interface BlockSweep {
  readonly keys: BlockKey[];
  /** identifies the key set, to compare with the stored sweep record */
  readonly signature: string;
  readonly blocks: IncomingBlock[];
  readonly metricIds: string[];
  /** per metric id: (block, position in block) pairs, flattened */
  readonly parts: Map<string, number[]>;
  next: number;
}

/** metrics an engine remembers when not configured: states (~150 bytes each) and ids known to exist (~60 bytes) */
export const DEFAULT_METRIC_CACHE_SIZE = 1_000_000;
/** write calls touching at least this many metrics go in as one incoming block */
const BLOCK_MIN_METRICS = 64;
/**
 * a block sweep step folds this many times the metrics of an entry pass: its
 * measures are decoded already, and fewer, larger commits cost less per metric
 */
const BLOCK_STEP_FACTOR = 8;
/** a block sweep takes blocks up to this many bytes (the rest wait for the next) */
const BLOCK_SWEEP_BYTES = 256 * 2 ** 20;

/** A metric's incoming entries gathered for one aggregation pass. */
interface PendingWork {
  readonly metricId: string;
  readonly keys: IncomingKey[];
  readonly chunks: Buffer[];
}

export interface ProcessorOptions {
  /** pause between sweeps, ms (default 1000) */
  readonly intervalMs?: number;
  /** sweep on a worker thread (default false: on this thread, between events) */
  readonly thread?: boolean;
}

export interface BackgroundProcessor {
  /** start the next sweep now rather than at the end of the interval */
  sweepSoon(): void;
  /** the memory of the thread the sweeps run on, when it is a thread of its own */
  threadMemory(): Promise<ThreadMemory | null>;
  /** the progress of the thread the sweeps run on, as of its last sweep, when it is a thread of its own (else the engine's own says it) */
  threadProgress(): AggregationProgress | null;
  /** finishes the sweep in progress and stops */
  stop(): Promise<void>;
}

/** What an engine holds in memory besides its scratch series. */
export interface EngineCaches {
  /** aggregation states (plan, pruning marks) of the metrics folded or written lately */
  readonly metricStates: number;
  /** metric ids known to exist, with their generation */
  readonly knownMetrics: number;
  /** idempotency keys of recent writes */
  readonly writeKeys: number;
}

/** What an engine has taken in and folded since it opened. */
export interface AggregationProgress {
  /** measures this engine accepted (made durable in the incoming buffer) */
  readonly measuresAccepted: number;
  /** measures this engine folded into rollups (those of metrics deleted meanwhile included: consumed, dropped) */
  readonly measuresFolded: number;
  /**
   * ms since the Epoch: every measure accepted before then has been folded,
   * as this engine's sweeps know it (the start of its last sweep that left
   * nothing behind of what was pending when it began; the opening until then)
   */
  readonly caughtUpAt: number;
}

/** A worker thread's memory, as V8 reports it, with its engine's caches. */
export interface ThreadMemory {
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** outside the heap: typed arrays, buffers */
  readonly external: number;
  readonly caches: EngineCaches;
}

export interface EngineOptions {
  /** directory holding tsdb.lmdb */
  readonly path: string;
  /** how many recent idempotency keys `writtenKeys` remembers (default 100,000) */
  readonly writeKeyWindow?: number;
  /** how many metrics it remembers: states (plan, pruning marks) and ids known to exist (default 1,000,000; a metric forgotten has its record read again) */
  readonly metricCacheSize?: number;
}

export class Engine {
  private readonly store: LmdbStore;
  private readonly path: string;
  private readonly states = new Map<string, MetricState>();
  /** bound of `states` and of `existing` */
  private readonly cacheSize: number;
  /** one plan per distinct policy, shared by its metrics' states */
  private readonly plans = new Map<string, MetricPlan>();
  private readonly scratch: Scratch = {
    incoming: emptySeries(4096), batch: emptySeries(4096), tail: emptySeries(4096), merged: emptySeries(4096),
    existing: emptySeries(4096), splitMerged: emptySeries(4096),
    computed: [], froms: new Int32Array(2 * ALL_METHODS.length), writer: new ByteWriter(),
  };
  private seq: number;
  private readonly writeKeys: WriteKeys;
  /** every accepted write, kept for the sinks while any is registered */
  readonly mirror: MirrorLog;
  private readonly writerId = randomInt(2 ** 31);
  /** metric id after which the next processing pass starts, so no metric starves */
  private cursor: string | null = null;
  /** metrics known to exist, with their generation, valid while the store's count of metric changes is `knownChanges` */
  private readonly existing = new Map<string, number>();
  private knownChanges = -1;
  /** the block sweep this engine is running, if any (checked against the store at each step) */
  private blockSweep: BlockSweep | null = null;
  private closed = false;
  private accepted = 0;
  private folded = 0;
  private caughtUpAt = Date.now();

  private constructor(store: LmdbStore, path: string, writeKeyWindow: number, cacheSize: number) {
    this.store = store;
    this.path = path;
    this.cacheSize = Math.max(1, cacheSize);
    let maxSeq = 0;
    for (const key of store.incoming.getKeys()) if (key[1] > maxSeq) maxSeq = key[1];
    this.seq = Math.max(maxSeq + 1, Date.now() * 1000);
    this.writeKeys = new WriteKeys(store.writeKeys, writeKeyWindow);
    this.mirror = new MirrorLog(store.root, store.mirror, store.mirrorCursors);
  }

  static open(options: EngineOptions): Engine {
    return new Engine(openLmdbStore(options.path), options.path, options.writeKeyWindow ?? 100_000, options.metricCacheSize ?? DEFAULT_METRIC_CACHE_SIZE);
  }

  /** A metric's state, its plan shared with every metric of the same policy. */
  private stateFor(record: MetricRecord): MetricState {
    const key = JSON.stringify(record.policy);
    let plan = this.plans.get(key);
    if (plan === undefined) {
      // policies are few; a store that saw many forgets them all and starts again
      if (this.plans.size >= 10_000) this.plans.clear();
      this.plans.set(key, (plan = planFor(record.policy)));
    }
    return { generation: record.generation, plan, prunedBelow: null };
  }

  /** Remembers a metric's state, forgetting all at the configured bound (the next use of each reads its record again). */
  private rememberState(metricId: string, state: MetricState): void {
    if (this.states.size >= this.cacheSize && !this.states.has(metricId)) this.states.clear();
    this.states.set(metricId, state);
  }

  // ---- metrics -------------------------------------------------------------

  async createMetric(metricId: string, policy: ArchivePolicy): Promise<void> {
    const record = { generation: this.seq++, policy };
    const created = await this.store.metrics.ifNoExists(metricId, () => {
      this.store.metrics.put(metricId, record);
    });
    if (!created) throw new MetricExistsError(metricId);
    await this.store.root.flushed;
    this.rememberState(metricId, this.stateFor(record));
  }

  /**
   * Creates the metrics this engine does not know yet, in one transaction
   * and one flush (a writer that makes many at once: the collector meeting a
   * cloud's resources). Known ids are left as they are.
   */
  async ensureMetrics(metrics: readonly { readonly id: string; readonly policy: ArchivePolicy }[]): Promise<void> {
    const records = metrics.filter((m) => !this.hasMetric(m.id)).map((m) => ({ id: m.id, record: { generation: this.seq++, policy: m.policy } }));
    if (records.length === 0) return;
    const { metrics: db } = this.store;
    this.store.root.transactionSync(() => {
      for (const { id, record } of records) if (db.get(id) === undefined) db.putSync(id, record);
    });
    await this.store.root.flushed;
    for (const { id, record } of records) this.rememberState(id, this.stateFor(db.get(id) ?? record));
  }

  /**
   * Gives existing metrics a changed policy (same granularities, other
   * retention: what Gnocchi allows). One transaction; unknown ids are skipped.
   */
  async setPolicy(metricIds: readonly string[], policy: ArchivePolicy): Promise<void> {
    const { metrics } = this.store;
    this.store.root.transactionSync(() => {
      this.recordMetricChange();
      for (const id of metricIds) {
        if (metrics.get(id) !== undefined) metrics.putSync(id, { generation: this.seq++, policy });
      }
    });
    await this.store.root.flushed;
    for (const id of metricIds) this.states.delete(id);
  }

  metricCount(): number {
    return this.store.metrics.getCount();
  }

  /** The sizes of what this engine remembers. */
  caches(): EngineCaches {
    return { metricStates: this.states.size, knownMetrics: this.existing.size, writeKeys: this.writeKeys.size };
  }

  /** Measures taken in and folded by this engine (a scrape reads them). */
  progress(): AggregationProgress {
    return { measuresAccepted: this.accepted, measuresFolded: this.folded, caughtUpAt: this.caughtUpAt };
  }

  /** Whether the store is open (not closed yet). */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** The file the store maps into memory (for accounting its resident pages). */
  storeFile(): string {
    return storeFile(this.path);
  }

  /** Whether the metric exists (a key lookup: its record is not decoded). */
  hasMetric(metricId: string): boolean {
    return this.store.metrics.doesExist(metricId);
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
      this.recordMetricChange();
      metrics.removeSync(metricId);
      raw.removeSync(metricId);
      for (const k of incoming.getKeys({ start: [metricId], end: [metricId, MAX_SEQ] })) incoming.removeSync(k);
      for (const k of splits.getKeys({ start: [metricId], end: [metricId, Infinity] })) splits.removeSync(k);
    });
    await this.store.root.flushed;
    this.states.delete(metricId);
  }

  /** The metric's state, checked against the store: another engine may have deleted or re-created it. */
  private stateOf(metricId: string): MetricState | undefined {
    const rec = this.store.metrics.get(metricId);
    if (rec === undefined) {
      this.states.delete(metricId);
      return undefined;
    }
    let state = this.states.get(metricId);
    if (state === undefined || state.generation !== rec.generation) {
      state = this.stateFor(rec);
      this.rememberState(metricId, state);
    }
    return state;
  }

  /** The metric's state, its record read only if this engine has not seen it since the last metric change; call checkChanges first. */
  private knownStateOf(metricId: string): MetricState | undefined {
    const generation = this.existing.get(metricId);
    const known = generation === undefined ? undefined : this.states.get(metricId);
    if (known !== undefined && known.generation === generation) return known;
    const state = this.stateOf(metricId);
    if (state !== undefined) this.remember(metricId, state.generation);
    return state;
  }

  private planOf(metricId: string): MetricPlan | undefined {
    return this.stateOf(metricId)?.plan;
  }

  // ---- ingest --------------------------------------------------------------

  /**
   * Appends measures to the incoming buffer. Resolves once they are on disk;
   * rejects, writing nothing, if any metric is unknown or any measure invalid.
   * `keys`: idempotency keys recorded in the same transaction (`writtenKeys`).
   */
  async addMeasures(batches: readonly MeasureBatch[], keys: readonly string[] = []): Promise<void> {
    if (batches.length >= BLOCK_MIN_METRICS) return this.addMeasureColumns(batchesToColumns(batches), keys);
    const generations = this.generationsOf(batches.map((b) => b.metricId)); // throws for an unknown metric
    const encoded = batches.map((b, i) => encodeIncomingEntry(i, b));
    let measures = 0;
    for (const b of batches) measures += b.timestamps.length;
    if (measures > 0 && this.mirror.active) {
      const mirrored = encodeIncomingBlock(batchesToColumns(batches), generations);
      await this.writeLogged(keys, mirrored, () => {
        for (let b = 0; b < encoded.length; b++) if (encoded[b].length > 0) this.store.incoming.putSync([batches[b].metricId, this.seq++, this.writerId], encoded[b]);
      });
      this.accepted += measures;
      return;
    }
    // every put of this turn goes into one LMDB transaction: measures and keys land together or not at all
    const writes: Promise<unknown>[] = this.writeKeys.record(keys);
    for (let b = 0; b < encoded.length; b++) {
      if (encoded[b].length === 0) continue;
      writes.push(this.store.incoming.put([batches[b].metricId, this.seq++, this.writerId], encoded[b]));
    }
    if (writes.length === 0) return;
    await Promise.all(writes);
    await this.store.root.flushed;
    this.accepted += measures;
  }

  /**
   * A write while sinks are registered: its puts, its keys and its copy in
   * the mirror log in one transaction callback (lmdb-js may commit single
   * puts apart from a callback), resolved once on disk.
   */
  private async writeLogged(keys: readonly string[], block: Buffer, puts: () => void): Promise<void> {
    await this.store.root.transaction(() => {
      this.writeKeys.recordSync(keys);
      puts();
      this.mirror.appendSync(block);
    });
    await this.store.root.flushed;
  }

  /**
   * Appends many metrics' measures as one incoming block (FORMAT.md), with
   * the same guarantees as addMeasures: resolves once durable, rejects
   * writing nothing if a metric is unknown or a measure invalid.
   */
  async addMeasureColumns(columns: MeasureColumns, keys: readonly string[] = []): Promise<void> {
    const block = encodeIncomingBlock(columns, this.generationsOf(columns.metricIds));
    if (columns.metricIds.length > 0 && this.mirror.active) {
      await this.writeLogged(keys, block, () => this.store.blocks.putSync([this.seq++, this.writerId], block));
      this.accepted += columns.starts[columns.metricIds.length] - columns.starts[0];
      return;
    }
    const writes: Promise<unknown>[] = this.writeKeys.record(keys);
    if (columns.metricIds.length > 0) writes.push(this.store.blocks.put([this.seq++, this.writerId], block));
    if (writes.length === 0) return;
    await Promise.all(writes);
    await this.store.root.flushed;
    this.accepted += columns.starts[columns.metricIds.length] - columns.starts[0];
  }

  /** The metrics' generations; throws MetricNotFoundError for the first that does not exist. */
  private generationsOf(metricIds: readonly string[]): Float64Array {
    // existence is all ingest needs: the policy is read when the measures are aggregated
    this.checkChanges();
    const generations = new Float64Array(metricIds.length);
    for (let m = 0; m < metricIds.length; m++) {
      const generation = this.generationOf(metricIds[m]);
      if (generation === undefined) throw new MetricNotFoundError(metricIds[m]);
      generations[m] = generation;
    }
    return generations;
  }

  /** Which of these metrics do not exist (a writer's check before a batch; one store read per id not seen before). */
  unknownMetrics(metricIds: Iterable<string>): string[] {
    this.checkChanges();
    const out: string[] = [];
    for (const id of metricIds) if (this.generationOf(id) === undefined) out.push(id);
    return out;
  }

  /** Counts a deletion or policy change in the store (inside the transaction that makes it), so other engines forget what they know. */
  private recordMetricChange(): void {
    const { metricChanges } = this.store;
    metricChanges.putSync(0, (metricChanges.get(0) ?? 0) + 1);
  }

  private remember(metricId: string, generation: number): void {
    if (this.existing.size >= this.cacheSize) this.existing.clear();
    this.existing.set(metricId, generation);
  }

  /** Forgets which metrics exist if any was deleted or changed (by any engine on the store) since the last check. */
  private checkChanges(): void {
    const changes = this.store.metricChanges.get(0) ?? 0;
    if (changes === this.knownChanges) return;
    this.existing.clear();
    this.knownChanges = changes;
  }

  /** The metric's generation, undefined if it does not exist; call checkChanges first. */
  private generationOf(metricId: string): number | undefined {
    const generation = this.existing.get(metricId);
    if (generation !== undefined) return generation;
    const record = this.store.metrics.get(metricId);
    if (record === undefined) return undefined;
    this.remember(metricId, record.generation);
    return record.generation;
  }

  /** Which of these idempotency keys a recent `addMeasures` recorded. */
  writtenKeys(keys: Iterable<string>): Set<string> {
    return this.writeKeys.written(keys);
  }

  /** Measures waiting to be aggregated, per metric (16 bytes a measure in an incoming entry). */
  backlog(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { key, value } of this.store.incoming.getRange()) out.set(key[0], (out.get(key[0]) ?? 0) + value.length / 16);
    const sweep = this.store.blockSweep.get(0);
    for (const key of this.store.blocks.getKeys({})) {
      const value = this.store.blocks.getBinaryFast(key);
      if (value === undefined) continue;
      const block = decodeBlockTable(value);
      const inSweep = sweep !== undefined && sweep.blocks.some((k) => k[0] === key[0] && k[1] === key[1]);
      block.ids.forEach((id, m) => {
        // metrics of the sweep in progress up to `after` are folded already; measures of a deleted metric will be dropped
        if ((inSweep && id <= sweep.after) || this.store.metrics.get(id)?.generation !== block.generations[m]) return;
        out.set(id, (out.get(id) ?? 0) + block.starts[m + 1] - block.starts[m]);
      });
    }
    return out;
  }

  /** Number of incoming entries (one per metric per accepted batch, a block counting its metrics) not yet aggregated. */
  pendingEntries(): number {
    let n = this.store.incoming.getCount();
    for (const key of this.store.blocks.getKeys({})) {
      const value = this.store.blocks.getBinaryFast(key);
      if (value !== undefined) n += blockMetricCount(value);
    }
    return n;
  }

  // ---- aggregation ---------------------------------------------------------

  /**
   * Aggregates the pending measures of up to `maxMetrics` metrics in one
   * transaction, continuing round-robin from where the last pass stopped.
   * Returns the number of measures consumed (0: nothing pending).
   */
  processPending(maxMetrics = 256): number {
    const step = this.stepBlocks(maxMetrics);
    if (step !== null) return step.measures;
    let pass = this.processPass(this.cursor, maxMetrics);
    if (pass === null && this.cursor !== null) pass = this.processPass(null, maxMetrics);
    this.cursor = pass?.lastMetric ?? null;
    return pass?.measures ?? 0;
  }

  /**
   * One sweep over every metric with pending measures, in key order, a
   * transaction per `maxMetrics` metrics, yielding to the event loop between
   * transactions. Measures arriving during the sweep for metrics already
   * passed wait for the next sweep, so each metric is folded once per sweep.
   */
  async processSweep(maxMetrics = 256): Promise<number> {
    const started = Date.now();
    // entries pending now are all folded by this sweep; blocks only if it takes every one there is now
    const blocksAtStart = [...this.store.blocks.getKeys({})];
    let after: string | null = null;
    let total = 0;
    // the blocks first, one block sweep (blocks written meanwhile wait for the next)
    for (;;) {
      const step = this.stepBlocks(maxMetrics * BLOCK_STEP_FACTOR);
      if (step === null) break;
      total += step.measures;
      await new Promise<void>((r) => setImmediate(r));
      if (step.done) break;
    }
    for (;;) {
      const pass = this.processPass(after, maxMetrics);
      if (pass === null) {
        if (!blocksAtStart.some((key) => this.store.blocks.doesExist(key))) this.caughtUpAt = started;
        return total;
      }
      total += pass.measures;
      after = pass.lastMetric;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Sweeps until nothing is pending. */
  async processAll(): Promise<number> {
    let total = 0;
    while (this.pendingEntries() > 0) total += await this.processSweep();
    return total;
  }

  /**
   * Starts background aggregation: a sweep every `intervalMs` (like Gnocchi's
   * metricd processing delay: a longer interval folds more measures per pass).
   * With `thread`, sweeps run on a worker thread with its own view of the
   * store, leaving this thread to ingest and serve reads.
   */
  startProcessor(options: ProcessorOptions = {}): BackgroundProcessor {
    const intervalMs = options.intervalMs ?? 1000;
    if (options.thread) return this.startWorkerProcessor(intervalMs);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const tick = (): void => {
      running = this.processSweep().then(
        () => { if (!stopped) timer = setTimeout(tick, intervalMs); },
        (err: unknown) => { if (!stopped) { this.onProcessorError(err); timer = setTimeout(tick, intervalMs); } },
      );
    };
    timer = setTimeout(tick, intervalMs);
    return {
      sweepSoon: () => {
        if (stopped) return;
        clearTimeout(timer);
        void running.then(() => { if (!stopped) { clearTimeout(timer); timer = setTimeout(tick, 0); } });
      },
      threadMemory: async () => null,
      threadProgress: () => null,
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      },
    };
  }

  private startWorkerProcessor(intervalMs: number): BackgroundProcessor {
    const worker = new Worker(workerModule('processor-worker'), {
      workerData: { path: this.path, intervalMs, metricCacheSize: this.cacheSize },
      // its measures live in reused typed arrays: a small young generation is enough (V8's default grows to 48 MB)
      resourceLimits: { maxYoungGenerationSizeMb: 16 },
    });
    const memoryAsked: ((m: ThreadMemory | null) => void)[] = [];
    let progress: AggregationProgress | null = null;
    const stopped = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: unknown) => {
        if (msg === 'stopped') resolve();
        else if (typeof msg === 'object' && msg !== null && 'error' in msg) this.onProcessorError(msg.error);
        else if (typeof msg === 'object' && msg !== null && 'memory' in msg) for (const answer of memoryAsked.splice(0)) answer(msg.memory as ThreadMemory);
        else if (typeof msg === 'object' && msg !== null && 'progress' in msg) progress = msg.progress as AggregationProgress;
      });
      worker.on('error', reject);
      worker.on('exit', () => resolve());
    });
    return {
      sweepSoon: () => worker.postMessage('sweep'),
      // answered between sweeps; a sweep in progress delays it
      threadMemory: () =>
        new Promise<ThreadMemory | null>((resolve) => {
          memoryAsked.push(resolve);
          worker.postMessage('memory');
        }),
      threadProgress: () => progress,
      stop: async () => {
        worker.postMessage('stop');
        await stopped;
        await worker.terminate();
      },
    };
  }

  /** Called when a background sweep fails; the processor retries on the next tick. */
  onProcessorError: (err: unknown) => void = (err) => {
    process.emitWarning(`tsdb: aggregation sweep failed: ${String(err)}`);
  };

  /** Aggregates the metrics after `after` (null: from the first), up to maxMetrics; null when none pending there. */
  private processPass(after: string | null, maxMetrics: number): { lastMetric: string; measures: number } | null {
    const work: PendingWork[] = [];
    const range = after === null ? {} : { start: [after, MAX_SEQ, 0] as IncomingKey };
    for (const { key, value } of this.store.incoming.getRange(range)) {
      if (after !== null && key[0] === after) continue;
      const last = work[work.length - 1];
      if (last && last.metricId === key[0]) {
        last.keys.push(key);
        last.chunks.push(value);
      } else {
        if (work.length >= maxMetrics) break;
        work.push({ metricId: key[0], keys: [key], chunks: [value] });
      }
    }
    if (work.length === 0) return null;
    return { lastMetric: work[work.length - 1].metricId, measures: this.fold(work) };
  }

  /** Aggregates now whatever is pending for these metrics (Gnocchi's `refresh`); returns measures consumed. */
  processMetrics(metricIds: readonly string[]): number {
    let measures = 0;
    // a block is folded whole, by block sweeps: the one in progress, then one taking every block there is now
    for (let sweeps = 0; sweeps < 2 && metricIds.some((id) => this.inPendingBlock(id)); sweeps++) {
      for (let step = this.stepBlocks(4096); step !== null; step = step.done ? null : this.stepBlocks(4096)) measures += step.measures;
    }
    const work: PendingWork[] = [];
    for (const metricId of new Set(metricIds)) {
      const w: PendingWork = { metricId, keys: [], chunks: [] };
      for (const { key, value } of this.store.incoming.getRange({ start: [metricId], end: [metricId, MAX_SEQ] })) {
        w.keys.push(key);
        w.chunks.push(value);
      }
      if (w.keys.length > 0) work.push(w);
    }
    return measures + (work.length === 0 ? 0 : this.fold(work));
  }

  /** One write transaction: folds each metric's entries into its series and deletes them. */
  private fold(work: readonly PendingWork[]): number {
    const { incoming } = this.store;
    let measures = 0;
    this.store.root.transactionSync(() => {
      this.checkChanges();
      for (const w of work) {
        // Gathered before the lock: skip entries another processor consumed meanwhile.
        let chunks = w.chunks;
        if (w.keys.some((k) => incoming.getBinaryFast(k) === undefined)) {
          chunks = w.chunks.filter((_, i) => incoming.getBinaryFast(w.keys[i]) !== undefined);
        }
        decodeIncomingEntries(chunks, this.scratch.incoming);
        measures += this.aggregateMetric(w.metricId, this.knownStateOf(w.metricId));
        for (const k of w.keys) incoming.removeSync(k);
      }
    });
    this.folded += measures;
    return measures;
  }

  /** Whether measures wait for aggregation for this metric. */
  hasPending(metricId: string): boolean {
    for (const _ of this.store.incoming.getKeys({ start: [metricId], end: [metricId, MAX_SEQ], limit: 1 })) return true;
    return this.inPendingBlock(metricId);
  }

  /** block key → the metric ids it holds, for the blocks seen pending */
  private readonly blockIds = new Map<string, Set<string>>();

  /** Whether a pending block holds measures of this metric (block tables are read once and remembered). */
  private inPendingBlock(metricId: string): boolean {
    const seen = new Set<string>();
    let found = false;
    for (const key of this.store.blocks.getKeys({})) {
      const k = `${key[0]}:${key[1]}`;
      seen.add(k);
      let ids = this.blockIds.get(k);
      if (ids === undefined) {
        const value = this.store.blocks.getBinaryFast(key);
        if (value === undefined) continue;
        this.blockIds.set(k, (ids = new Set(decodeBlockTable(value).ids)));
      }
      if (ids.has(metricId)) found = true;
    }
    for (const k of this.blockIds.keys()) if (!seen.has(k)) this.blockIds.delete(k);
    return found;
  }

  /**
   * One step of the block sweep (FORMAT.md, "Block sweep"): in one
   * transaction, folds the next `maxMetrics` metrics, in id order, of the
   * blocks the sweep took, and records how far it got; the last step
   * deletes the blocks. The sweep in progress is read back from the store
   * at every step, so that two engines on one store (the API's and the
   * processor thread's) continue each other's sweep rather than repeat it.
   * Null when no block is pending.
   */
  private stepBlocks(maxMetrics: number): { measures: number; done: boolean } | null {
    const { blocks, blockSweep } = this.store;
    let result: { measures: number; done: boolean } | null;
    try {
      result = this.store.root.transactionSync(() => {
        this.checkChanges();
        const record = blockSweep.get(0);
        let sweep = this.blockSweep;
        if (record === undefined) {
          const keys: BlockKey[] = [];
          let bytes = 0;
          for (const key of blocks.getKeys({})) {
            const size = blocks.getBinaryFast(key)?.length ?? 0;
            if (keys.length > 0 && bytes + size > BLOCK_SWEEP_BYTES) break;
            keys.push(key);
            bytes += size;
          }
          if (keys.length === 0) return null;
          sweep = this.openBlockSweep(keys, null);
        } else if (sweep === null || sweep.signature !== JSON.stringify(record.blocks) || sweep.metricIds[sweep.next - 1] !== record.after) {
          sweep = this.openBlockSweep(record.blocks, record.after);
        }
        this.blockSweep = sweep;
        const s = this.scratch;
        const end = Math.min(sweep.metricIds.length, sweep.next + maxMetrics);
        let measures = 0;
        for (let i = sweep.next; i < end; i++) {
          const id = sweep.metricIds[i];
          const parts = sweep.parts.get(id)!;
          const state = this.knownStateOf(id);
          const generation = state?.generation;
          s.incoming.length = 0;
          for (let p = 0; p < parts.length; p += 2) {
            const block = sweep.blocks[parts[p]];
            const from = block.starts[parts[p + 1]];
            const to = block.starts[parts[p + 1] + 1];
            // measures of a metric deleted since (or deleted and re-created) are consumed, and dropped
            if (block.generations[parts[p + 1]] !== generation) {
              measures += to - from;
              continue;
            }
            reserve(s.incoming, to - from);
            const { ts, values } = s.incoming;
            let at = s.incoming.length;
            for (let j = from; j < to; j++, at++) {
              ts[at] = block.ts[j];
              values[at] = block.values[j];
            }
            s.incoming.length = at;
          }
          measures += s.incoming.length;
          this.aggregateMetric(id, state);
        }
        const done = end >= sweep.metricIds.length;
        if (done) {
          for (const key of sweep.keys) blocks.removeSync(key);
          blockSweep.removeSync(0);
        } else {
          blockSweep.putSync(0, { blocks: sweep.keys, after: sweep.metricIds[end - 1] });
        }
        sweep.next = end;
        return { measures, done };
      });
    } catch (err) {
      this.blockSweep = null;
      throw err;
    }
    if (result?.done) this.blockSweep = null;
    if (result !== null) this.folded += result.measures;
    return result;
  }

  /** Decodes the blocks of a sweep; `after`: the last metric already folded (null: none). */
  private openBlockSweep(keys: BlockKey[], after: string | null): BlockSweep {
    const decoded: IncomingBlock[] = [];
    const parts = new Map<string, number[]>();
    for (const key of keys) {
      const value = this.store.blocks.getBinaryFast(key);
      if (value === undefined) continue;
      const b = decoded.length;
      const block = decodeIncomingBlock(value);
      decoded.push(block);
      for (let m = 0; m < block.ids.length; m++) {
        const id = block.ids[m];
        let list = parts.get(id);
        if (list === undefined) parts.set(id, (list = []));
        list.push(b, m);
      }
    }
    const metricIds = [...parts.keys()].sort();
    let next = 0;
    if (after !== null) while (next < metricIds.length && metricIds[next] <= after) next++;
    return { keys, signature: JSON.stringify(keys), blocks: decoded, metricIds, parts, next };
  }

  /** Folds the measures in the scratch's `incoming` into the metric's series; returns how many. */
  private aggregateMetric(metricId: string, state: MetricState | undefined): number {
    if (!state) return 0; // metric deleted while its measures waited
    const { plan } = state;
    const s = this.scratch;
    if (s.incoming.length === 0) return 0;
    sortBatch(s.incoming.ts, s.incoming.values, s.incoming.length, s.batch);
    s.tail.length = 0;
    const rawBytes = this.store.raw.getBinaryFast(metricId);
    if (rawBytes !== undefined) decodeSeries(rawBytes, 0, 1, s.tail);
    const update = applyBatch(s.tail, s.batch, plan.shape, s.merged);
    const merged = s.merged;
    plan.granularities.forEach((g, gi) => {
      const start = Math.floor(update.recomputeFrom / g.granularity) * g.granularity;
      while (s.computed.length < g.methods.length) s.computed.push(emptySeries(1024));
      g.methods.forEach((m, k) => {
        s.computed[k].length = 0;
        aggregateInto(merged.ts, merged.values, merged.length, start, g.granularity, m, s.computed[k]);
      });
      this.storeGranularity(metricId, state, gi, g);
    });
    this.store.raw.putSync(metricId, encodeSeries(merged, update.keepFrom, merged.length, 0, 1));
    return s.incoming.length;
  }

  /**
   * Upserts the freshly computed buckets of every method of one granularity
   * (in scratch.computed) into the stored splits, and drops splits wholly
   * past the timespan.
   */
  private storeGranularity(metricId: string, state: MetricState, gi: number, plan: GranularityPlan): void {
    const { splits } = this.store;
    const { computed, existing, splitMerged, writer } = this.scratch;
    const g = plan.granularity;
    const methods = plan.methods;
    const froms = this.scratch.froms;
    let keepKey = Infinity;
    for (let k = 0; k < methods.length; k++) {
      const c = computed[k];
      froms[k] = 0;
      if (c.length > 0 && plan.timespan !== null) {
        // Gnocchi truncates each method's new points against its own newest point.
        const oldest = c.ts[c.length - 1] - plan.timespan;
        froms[k] = upperBound(c.ts, c.length, oldest);
        keepKey = Math.min(keepKey, splitKey(oldest, g));
      }
    }
    if (keepKey !== Infinity && keepKey > (state.prunedBelow?.[gi] ?? -Infinity)) {
      for (const key of splits.getKeys({ start: [metricId, g, -Infinity], end: [metricId, g, keepKey] })) splits.removeSync(key);
      (state.prunedBelow ??= new Array<number>(state.plan.granularities.length).fill(-Infinity))[gi] = keepKey;
    }
    const width = g * POINTS_PER_SPLIT;
    const columns: { method: string; block: Uint8Array }[] = [];
    for (;;) {
      let key = Infinity;
      for (let k = 0; k < methods.length; k++) {
        if (froms[k] < computed[k].length) key = Math.min(key, splitKey(computed[k].ts[froms[k]], g));
      }
      if (key === Infinity) return;
      const dbKey: SplitDbKey = [metricId, g, key];
      columns.length = 0;
      const old = splits.getBinaryFast(dbKey);
      if (old !== undefined) {
        try {
          forEachSplitColumn(old, (method, block) => columns.push({ method, block }));
        } catch {
          columns.length = 0; // a damaged split is rewritten from what we have
        }
      }
      let count = columns.length;
      for (const m of methods) if (!columns.some((c) => c.method === m.name)) count++;
      startSplit(writer, count);
      for (const col of columns) {
        if (!methods.some((m) => m.name === col.method)) copySplitColumn(writer, col.method, col.block);
      }
      for (let k = 0; k < methods.length; k++) {
        const c = computed[k];
        const from = froms[k];
        const end = lowerBound(c.ts, c.length, key + width, from);
        froms[k] = end;
        const name = methods[k].name;
        const col = columns.find((x) => x.method === name);
        if (col === undefined) {
          writeSplitColumn(writer, name, c, from, end, key, g);
        } else if (end === from) {
          copySplitColumn(writer, name, col.block);
        } else {
          existing.length = 0;
          decodeSeries(col.block, key, g, existing);
          const part: Series = { ts: c.ts.subarray(from, end), values: c.values.subarray(from, end), length: end - from };
          mergeSeries(existing, part, splitMerged);
          writeSplitColumn(writer, name, splitMerged, 0, splitMerged.length, key, g);
        }
      }
      splits.putSync(dbKey, writer.view());
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

  /**
   * Points of one stored series between `from` (rounded down to the
   * granularity, inclusive) and `to` (exclusive), optionally resampled.
   */
  read(metricId: string, options: ReadOptions): AggregatedSeries {
    const agg = this.aggregationOf(metricId, options.method, options.granularity);
    const g = agg.granularity;
    const from = options.from ?? null;
    const to = options.to ?? null;
    // sized for the window when it is known: growing from nothing copies the points several times
    const series = emptySeries(from !== null && to !== null ? Math.min(Math.max(Math.ceil((to - from) / g) + 1, 0), 65_536) : 0);
    this.readSplits(metricId, agg, from, to, series);
    let result: Series = series;
    if (agg.timespan !== null && series.length > 0) {
      const cut = upperBound(series.ts, series.length, series.ts[series.length - 1] - agg.timespan);
      result = { ts: series.ts.subarray(cut, series.length), values: series.values.subarray(cut, series.length), length: series.length - cut };
    }
    let aggregation = agg;
    if (options.resampleCalendar != null) {
      const resampled = emptySeries(0);
      aggregateInto(result.ts, result.values, result.length, null, g, parseMethod(agg.method), resampled, options.resampleCalendar);
      const lo = from === null ? 0 : lowerBound(resampled.ts, resampled.length, calendarFloor(from, options.resampleCalendar));
      const hi = to === null ? resampled.length : lowerBound(resampled.ts, resampled.length, to);
      return { aggregation, ts: resampled.ts.slice(lo, Math.max(lo, hi)), values: resampled.values.slice(lo, Math.max(lo, hi)), length: Math.max(0, hi - lo) };
    }
    if (options.resample != null) {
      const resampled = emptySeries(0);
      aggregateInto(result.ts, result.values, result.length, null, options.resample, parseMethod(agg.method), resampled);
      result = resampled;
      aggregation = { ...agg, granularity: options.resample };
    }
    const lo = from === null ? 0 : lowerBound(result.ts, result.length, Math.floor(from / aggregation.granularity) * aggregation.granularity);
    const hi = to === null ? result.length : lowerBound(result.ts, result.length, to);
    // views, not copies: every array here was made by this call
    return {
      aggregation,
      ts: result.ts.subarray(lo, Math.max(lo, hi)),
      values: result.values.subarray(lo, Math.max(lo, hi)),
      length: Math.max(0, hi - lo),
    };
  }

  /**
   * Appends the stored points of (method, granularity) in [from, to) to
   * `out`, which grows as needed, and returns the index of the first:
   * a reader of thousands of series (PromQL) fills one buffer instead of
   * a pair of arrays per series. The points of [from, to) as read() gives
   * them, without resampling.
   */
  appendPoints(metricId: string, method: string, granularity: Micros, from: Micros, to: Micros, out: Series): number {
    const agg = this.aggregationOf(metricId, method, granularity);
    const g = agg.granularity;
    const first = out.length;
    this.readSplits(metricId, agg, from, to, out);
    let lo = first;
    // a timespan counts back from the series' newest point, as in read()
    if (agg.timespan !== null && out.length > first) lo = upperBound(out.ts, out.length, out.ts[out.length - 1] - agg.timespan, first);
    lo = lowerBound(out.ts, out.length, Math.floor(from / g) * g, lo);
    const hi = Math.max(lo, lowerBound(out.ts, out.length, to, lo));
    if (lo > first) {
      out.ts.copyWithin(first, lo, hi);
      out.values.copyWithin(first, lo, hi);
    }
    out.length = first + (hi - lo);
    return first;
  }

  /**
   * The points appendPoints gives for [from, to), appended to `out` as runs
   * (series-runs.ts): consecutive points one granularity apart with the same
   * value (`equal`), or alike in being 0 or not (`nonzero`, values 0 or 1).
   * What a reader of a month of mostly constant series needs, without
   * decoding each point. Returns the index of the first run appended.
   */
  appendRuns(metricId: string, method: string, granularity: Micros, from: Micros, to: Micros, mode: RunMode, out: RunSeries): number {
    const agg = this.aggregationOf(metricId, method, granularity);
    const g = agg.granularity;
    const first = out.length;
    const readSplit = (key: number): void => {
      const value = this.store.splits.getBinaryFast([metricId, g, key]);
      if (value === undefined) return;
      const before = out.length;
      let found = false;
      try {
        forEachSplitColumn(value, (m, block) => {
          if (found || m !== agg.method) return;
          found = true;
          readSeriesRuns(block, key, g, mode, out, first);
        });
      } catch {
        // A damaged split reads as empty, as in read().
        out.length = before;
      }
    };
    // the splits by their keys, one get each: cheaper than a range cursor for the few a month touches (a cursor past 64)
    const width = g * POINTS_PER_SPLIT;
    const firstKey = splitKey(from, g);
    const lastKey = splitKey(to, g);
    if (lastKey - firstKey <= 64 * width) for (let key = firstKey; key <= lastKey; key += width) readSplit(key);
    else for (const key of this.store.splits.getKeys({ start: [metricId, g, firstKey], end: [metricId, g, lastKey + 1] })) readSplit(key[2]);
    const n = out.length;
    if (n === first) return first;
    // the points kept: after the newest point read minus the timespan (as read() counts it), from `from`'s bucket, before `to`
    let low = Math.floor(from / g) * g;
    if (agg.timespan !== null) {
      const cut = out.lasts[n - 1] - agg.timespan;
      low = Math.max(low, cut + g - (((cut % g) + g) % g));
    }
    let w = first;
    for (let i = first; i < n; i++) {
      let s = out.starts[i];
      let l = out.lasts[i];
      if (s < low) s += Math.ceil((low - s) / g) * g;
      if (l >= to) l = out.starts[i] + (Math.ceil((to - out.starts[i]) / g) - 1) * g;
      if (l < s) continue;
      out.starts[w] = s;
      out.lasts[w] = l;
      out.values[w] = out.values[i];
      w++;
    }
    out.length = w;
    return first;
  }

  /** The splits of one stored series that [from, to) touches, decoded onto the end of `out`. */
  private readSplits(metricId: string, agg: Aggregation, from: Micros | null, to: Micros | null, out: Series): void {
    const g = agg.granularity;
    const start: SplitDbKey = [metricId, g, from === null ? -Infinity : splitKey(from, g)];
    const end: SplitDbKey = [metricId, g, to === null ? Infinity : splitKey(to, g) + 1];
    for (const { key, value } of this.store.splits.getRange({ start, end })) {
      const before = out.length;
      try {
        readSplitColumn(value, agg.method, key[2], g, out);
      } catch {
        out.length = before;
        // A damaged split reads as empty, as in Gnocchi; the rest of the series stays readable.
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.store.root.flushed;
    await this.store.root.close();
  }
}

/**
 * A worker thread's entry module beside this one: the compiled JavaScript, or,
 * when this module is the TypeScript source (tests, a checkout not built), a
 * bootstrap that registers tsx in the worker before importing it.
 */
function workerModule(name: string): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL(`./${name}.js`, import.meta.url);
  const bootstrap = [
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
    'register();',
    `await import(${JSON.stringify(new URL(`./${name}.ts`, import.meta.url).href)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}
