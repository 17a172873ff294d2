/**
 * The collector's way into the store, in-process: measures grouped by
 * resource and metric name go to `Engine.addMeasures` in one durable batch.
 * Resources and metrics not known yet are found or created through
 * upsertResourceMetrics (as the API's batch and remote-write endpoints do);
 * after that a cache (resource id + metric name → a MetricSlot holding the
 * metric id) answers, so a steady-state write makes no index query at all.
 * When the engine says a metric is gone (deleted through the API), every
 * cached id it no longer has is dropped, found or created again, and the
 * write retried once.
 *
 * Writers that hold MetricSlots append to them and call flush(); flushes are
 * serialised and group-committed: what is appended while one is being written
 * goes out together in the next, so concurrent writers share one write, and
 * a metric gets all its waiting measures in one run of the engine's incoming
 * block. Appended measures wait in three columns (slot, timestamp, value)
 * shared by all slots, and go to the engine as columns: a steady-state flush
 * allocates nothing per series.
 */
import type { Caller } from '../tsdb/api/auth.js';
import { type Upsert, upsertResourceMetrics } from '../tsdb/api/resource-upsert.js';
import type { Engine, MeasureColumns } from '../tsdb/engine.js';
import { MetricExistsError, MetricNotFoundError } from '../tsdb/errors.js';
import type { Index } from '../tsdb/index/index.js';
import { emptySeries, push } from '../tsdb/series.js';

/** Who the collector writes as: the admin identity of `noauth` without headers, so resource ids match what that API caller gets. */
export const COLLECTOR_CALLER: Caller = { userId: 'admin', projectId: '', roles: ['admin'], isAdmin: true, creator: 'admin:', hasProjects: true };

export type ResourceUpsert = Omit<Upsert, 'metricNames'>;

export interface Measures {
  /** µs since the Epoch */
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export interface SinkGroup {
  readonly upsert: ResourceUpsert;
  readonly measures: ReadonlyMap<string, Measures>;
}

interface ResourceEntry {
  readonly upsert: ResourceUpsert;
  readonly slots: Map<string, MetricSlot>;
}

/** One metric of one resource: its id once known, and how many measures wait for it in the next flush. */
export class MetricSlot {
  readonly resource: ResourceEntry;
  readonly name: string;
  /** null until found or created in the index (or after the engine lost it) */
  metricId: string | null = null;
  /** measures appended since the last flush took this slot's */
  count = 0;
  /** during a flush: where this slot's measures go in the flush's columns */
  offset = 0;
  /** in the sink's pending list */
  queued = false;

  constructor(resource: ResourceEntry, name: string) {
    this.resource = resource;
    this.name = name;
  }
}

/** Some resources could not be found or created; the other measures of the flush were written. */
export class SinkError extends Error {
  readonly failures: readonly string[];
  constructor(failures: readonly string[]) {
    super(failures.length === 1 ? failures[0] : `${failures.length} resources not written: ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? '; …' : ''}`);
    this.name = 'SinkError';
    this.failures = failures;
  }
}

export interface SinkStats {
  /** flushes that wrote something */
  flushes: number;
  addMeasuresCalls: number;
  /** upsertResourceMetrics calls: the index queries the cache did not spare */
  indexLookups: number;
  measures: number;
  /** values refused at append: not finite, or a timestamp before the Epoch */
  rejected: number;
  /** metric entries handed to the engine (one per metric per flush) */
  entries: number;
  /** ms this thread spent inside addMeasures calls (before their writes went to LMDB's thread) */
  engineBusyMs: number;
}

const noop = (): void => undefined;

export class TsdbSink {
  private readonly engine: Engine;
  private readonly index: Index;
  readonly caller: Caller;
  private readonly resources = new Map<string, ResourceEntry>();
  /** slots with measures waiting, in first-append order */
  private pending: MetricSlot[] = [];
  /** the waiting measures, in append order: whose (pendingSlots), when and what (waiting) */
  private pendingSlots: (MetricSlot | undefined)[] = [];
  private readonly waiting = emptySeries(4096);
  private inflight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  readonly stats: SinkStats = { flushes: 0, addMeasuresCalls: 0, indexLookups: 0, measures: 0, rejected: 0, entries: 0, engineBusyMs: 0 };

  private readonly minFlushIntervalMs: number;
  /** performance.now() before which the next flush does not start */
  private nextFlushAt = 0;
  /** starts a flush waiting for its turn now */
  private wake: (() => void) | null = null;
  /** flushNow in progress: no flush waits for its turn */
  private hurry = false;

  /**
   * `minFlushIntervalMs`: at least this long between the starts of two
   * flushes, so that each carries more measures per metric (the engine's cost
   * is per metric entry, not per measure). Whatever it is, a flush waits
   * FLUSH_SPACING times as long as the previous addMeasures call kept this
   * thread busy, so that writing never takes more than a fraction of it.
   */
  constructor(engine: Engine, index: Index, options: { caller?: Caller; minFlushIntervalMs?: number } = {}) {
    this.engine = engine;
    this.index = index;
    this.caller = options.caller ?? COLLECTOR_CALLER;
    this.minFlushIntervalMs = options.minFlushIntervalMs ?? 0;
  }

  /** The slot of a resource's metric, created (in the cache only) on first use. */
  slot(upsert: ResourceUpsert, name: string): MetricSlot {
    let entry = this.resources.get(upsert.id);
    if (entry === undefined) this.resources.set(upsert.id, (entry = { upsert, slots: new Map() }));
    let slot = entry.slots.get(name);
    if (slot === undefined) entry.slots.set(name, (slot = new MetricSlot(entry, name)));
    return slot;
  }

  /** Queues one measure for the next flush; false (and nothing queued) when the store could not keep it. */
  append(slot: MetricSlot, timestampMicros: number, value: number): boolean {
    if (value - value !== 0 || !(timestampMicros >= 0) || timestampMicros === Infinity) {
      this.stats.rejected++;
      return false;
    }
    this.pendingSlots[this.waiting.length] = slot;
    push(this.waiting, timestampMicros, value);
    if (!slot.queued) {
      slot.queued = true;
      slot.count = 0;
      this.pending.push(slot);
    }
    slot.count++;
    return true;
  }

  /** Measures appended and not yet handed to the engine. */
  get pendingMeasures(): number {
    return this.waiting.length;
  }

  /** Appends the groups' measures and flushes: resolves once they are durable. */
  write(groups: Iterable<SinkGroup>): Promise<void> {
    for (const { upsert, measures } of groups) {
      for (const [name, m] of measures) {
        const slot = this.slot(upsert, name);
        for (let i = 0; i < m.timestamps.length; i++) this.append(slot, m.timestamps[i], m.values[i]);
      }
    }
    return this.flush();
  }

  /**
   * Writes everything appended so far in one addMeasures call; resolves once
   * it is durable. While a flush is running, callers wait for the next one,
   * which takes all that was appended meanwhile.
   */
  flush(): Promise<void> {
    if (this.inflight === null) return this.startFlush();
    this.queued ??= this.inflight.then(noop, noop).then(() => {
      this.queued = null;
      return this.startFlush();
    });
    return this.queued;
  }

  /** Flushes at once, without waiting for the flush's turn: for shutting down. */
  async flushNow(): Promise<void> {
    this.hurry = true;
    this.wake?.();
    try {
      await this.flush();
    } finally {
      this.hurry = false;
    }
  }

  /** Cached metrics, for tests and status. */
  cachedMetrics(): number {
    let n = 0;
    for (const e of this.resources.values()) for (const s of e.slots.values()) if (s.metricId !== null) n++;
    return n;
  }

  private startFlush(): Promise<void> {
    const wait = this.hurry ? 0 : this.nextFlushAt - performance.now();
    const write =
      wait > 0
        ? new Promise<void>((r) => {
            const timer = setTimeout(r, wait);
            this.wake = () => {
              clearTimeout(timer);
              r();
            };
          }).then(() => {
            this.wake = null;
            return this.writePending();
          })
        : this.writePending();
    const p: Promise<void> = write.finally(() => {
      if (this.inflight === p) this.inflight = null;
    });
    this.inflight = p;
    return p;
  }

  private async writePending(): Promise<void> {
    const slots = this.pending;
    if (slots.length === 0) return;
    // the measures, grouped slot by slot (a counting sort of the append order)
    const { length: n, ts: waitingTs, values: waitingValues } = this.waiting;
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    const starts = new Uint32Array(slots.length + 1);
    let at = 0;
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k];
      slot.queued = false;
      slot.offset = at;
      starts[k] = at;
      at += slot.count;
    }
    starts[slots.length] = at;
    const bySlot = this.pendingSlots;
    for (let i = 0; i < n; i++) {
      const slot = bySlot[i]!;
      const j = slot.offset++;
      ts[j] = waitingTs[i];
      values[j] = waitingValues[i];
    }
    bySlot.fill(undefined, 0, n);
    this.pending = [];
    this.waiting.length = 0;
    const failures = await this.resolve(slots);
    let columns: MeasureColumns = { metricIds: slots.map((s) => s.metricId ?? ''), starts, timestamps: ts, values };
    let written = slots;
    if (slots.some((s) => s.metricId === null)) {
      written = slots.filter((s) => s.metricId !== null);
      columns = selectColumns(columns, slots.flatMap((s, k) => (s.metricId === null ? [] : [k])), written);
    }
    if (written.length > 0) {
      this.stats.flushes++;
      failures.push(...(await this.addMeasures(columns, written)));
      this.stats.measures += columns.starts[written.length] - columns.starts[0];
    }
    if (failures.length > 0) throw new SinkError(failures);
  }

  /**
   * Hands the measures to the engine, FLUSH_CHUNK metrics per call (a call
   * holds this thread for about a µs per metric; between calls, I/O gets a
   * turn), then waits for all of them to be durable. Calls that found a
   * metric gone are retried once after finding or creating the lost metrics
   * again. Returns what could not be resolved.
   */
  private async addMeasures(all: MeasureColumns, slots: readonly MetricSlot[]): Promise<string[]> {
    const started = performance.now();
    let busy = 0;
    const count = slots.length;
    const calls: { from: number; to: number; done: Promise<unknown> }[] = [];
    for (let from = 0; from < count; from += FLUSH_CHUNK) {
      if (from > 0) await new Promise<void>((r) => setImmediate(r));
      const to = Math.min(count, from + FLUSH_CHUNK);
      const t = performance.now();
      this.stats.addMeasuresCalls++;
      const chunk = from === 0 && to === count ? all : { ...all, metricIds: all.metricIds.slice(from, to), starts: all.starts.subarray(from, to + 1) };
      const done = this.engine.addMeasureColumns(chunk).then(
        () => null,
        (err: unknown) => err,
      );
      busy += performance.now() - t;
      calls.push({ from, to, done });
    }
    this.nextFlushAt = started + Math.max(this.minFlushIntervalMs, busy * FLUSH_SPACING);
    this.stats.engineBusyMs += busy;
    this.stats.entries += count;
    const errors = await Promise.all(calls.map((c) => c.done));
    const failed = calls.filter((_, k) => errors[k] !== null);
    if (failed.length === 0) return [];
    const other = errors.find((e) => e !== null && !(e instanceof MetricNotFoundError));
    if (other !== undefined) throw other;
    // deleted behind the cache's back: forget every id the engine lost, find or create them again, retry once
    const positions: number[] = [];
    for (const c of failed) for (let k = c.from; k < c.to; k++) positions.push(k);
    const retrySlots = positions.map((k) => slots[k]);
    for (const s of retrySlots) if (s.metricId !== null && !this.engine.hasMetric(s.metricId)) s.metricId = null;
    const failures = await this.resolve(retrySlots);
    const kept = positions.filter((k) => slots[k].metricId !== null);
    this.stats.addMeasuresCalls++;
    await this.engine.addMeasureColumns(selectColumns(all, kept, kept.map((k) => slots[k])));
    return failures;
  }

  /**
   * Finds or creates the metrics of the slots without an id; returns what
   * failed. One read per resource finds the metrics it already has (a
   * restart with a cold cache ends there); the others go through
   * upsertResourceMetrics, the first names alone (they may create the
   * resource), the rest in chunks, several at a time, so that the engine
   * makes the new metrics durable together rather than one flush each.
   */
  private async resolve(slots: readonly MetricSlot[]): Promise<string[]> {
    const byResource = new Map<ResourceEntry, MetricSlot[]>();
    for (const s of slots) {
      if (s.metricId !== null) continue;
      let list = byResource.get(s.resource);
      if (list === undefined) byResource.set(s.resource, (list = []));
      list.push(s);
    }
    const failures: string[] = [];
    const limit = new Semaphore(UPSERT_CONCURRENCY);
    await Promise.all(
      [...byResource].map(async ([entry, all]) => {
        try {
          this.stats.indexLookups++;
          for (const m of await limit.run(() => this.index.metrics.list({ resourceId: entry.upsert.id }))) {
            const s = m.name === null ? undefined : entry.slots.get(m.name);
            if (s !== undefined && this.engine.hasMetric(m.id)) s.metricId = m.id;
          }
        } catch (err) {
          failures.push(`${entry.upsert.originalId}: ${(err as Error).message}`);
          return;
        }
        const list = all.filter((s) => s.metricId === null);
        if (list.length === 0) return;
        const chunks: MetricSlot[][] = [];
        for (let i = 0; i < list.length; i += UPSERT_CHUNK) chunks.push(list.slice(i, i + UPSERT_CHUNK));
        const first = await limit.run(() => this.upsert(entry, chunks[0]));
        if (first !== null) {
          failures.push(first);
          return;
        }
        for (const f of await Promise.all(chunks.slice(1).map((c) => limit.run(() => this.upsert(entry, c))))) if (f !== null) failures.push(f);
      }),
    );
    return failures;
  }

  /** One upsertResourceMetrics call; null when every slot got its id, else what went wrong. */
  private async upsert(entry: ResourceEntry, list: readonly MetricSlot[]): Promise<string | null> {
    try {
      this.stats.indexLookups++;
      const metrics = await upsertResourceMetrics(this.engine, this.index, this.caller, { ...entry.upsert, metricNames: list.map((s) => s.name) });
      // a metric the index has but the engine lacks (a crash between the two): give it its series back
      const orphans = metrics.filter((m) => !this.engine.hasMetric(m.id));
      await Promise.all(
        orphans.map(async (m) => {
          const policy = await this.index.archivePolicies.get(m.archivePolicyName);
          if (policy) await this.engine.createMetric(m.id, policy).catch((err: unknown) => { if (!(err instanceof MetricExistsError)) throw err; });
        }),
      );
      for (const m of metrics) {
        const s = m.name === null ? undefined : entry.slots.get(m.name);
        if (s !== undefined && this.engine.hasMetric(m.id)) s.metricId = m.id;
      }
      const missing = list.filter((s) => s.metricId === null);
      return missing.length === 0 ? null : `${entry.upsert.originalId}: metric ${missing[0].name} could not be created`;
    } catch (err) {
      return `${entry.upsert.originalId}: ${(err as Error).message}`;
    }
  }
}

/** The columns of the metrics at `positions`, under the ids their slots have now. */
function selectColumns(c: MeasureColumns, positions: readonly number[], slots: readonly MetricSlot[]): MeasureColumns {
  let n = 0;
  for (const k of positions) n += c.starts[k + 1] - c.starts[k];
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  const starts = new Uint32Array(positions.length + 1);
  let at = 0;
  positions.forEach((k, i) => {
    starts[i] = at;
    timestamps.set(c.timestamps.subarray(c.starts[k], c.starts[k + 1]), at);
    values.set(c.values.subarray(c.starts[k], c.starts[k + 1]), at);
    at += c.starts[k + 1] - c.starts[k];
  });
  starts[positions.length] = at;
  return { metricIds: slots.map((s) => s.metricId!), starts, timestamps, values };
}

/** a flush starts no sooner than this many times the time its predecessor's addMeasures calls held this thread */
const FLUSH_SPACING = 3;
/** metrics per addMeasures call: a steady-state scrape of up to this many series is one call */
const FLUSH_CHUNK = 25_000;

/** names per upsertResourceMetrics call, and calls in flight */
const UPSERT_CHUNK = 2500;
const UPSERT_CONCURRENCY = 8;

class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
