/**
 * What every evaluation of one query shares: the samples fetched once per
 * selector for the whole query, the lookback window, the query's own start
 * and end (for `@ start()`/`@ end()`), and its limits (deadline, abort
 * signal, sample budget).
 */
import type { AtModifier, VectorSelector } from '../ast.js';
import { CanceledError, TimeoutError, TooManySamplesError } from '../errors.js';
import type { Labels } from '../series-source.js';

/** A selected series with what the engine needs precomputed. */
export interface SelectedSeries {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  /** 1 where the sample is Prometheus's stale marker, or null when none is */
  readonly stale: Uint8Array | null;
  /** the samples without stale markers, which range vectors skip */
  readonly rangeTimestamps: Float64Array;
  readonly rangeValues: Float64Array;
}

export class QueryContext {
  private samples = 0;
  private checks = 0;

  constructor(
    readonly data: ReadonlyMap<VectorSelector, readonly SelectedSeries[]>,
    readonly lookbackMs: number,
    readonly queryStartMs: number,
    readonly queryEndMs: number,
    readonly subqueryStepMs: number,
    readonly maxSamples: number,
    private readonly deadline: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The fixed evaluation time of an @ modifier, or undefined without one. */
  atTime(at: AtModifier | undefined): number | undefined {
    if (at === undefined) return undefined;
    if (at.kind === 'time') return at.ms;
    return at.kind === 'start' ? this.queryStartMs : this.queryEndMs;
  }

  /** Throws when the query was aborted or ran past its deadline; called per series or step, not per sample. */
  check(): void {
    if ((++this.checks & 7) !== 0) return;
    this.checkNow();
  }

  checkNow(): void {
    if (this.signal?.aborted) {
      const reason: unknown = this.signal.reason;
      if (reason instanceof Error && reason.name === 'TimeoutError') throw new TimeoutError();
      throw new CanceledError();
    }
    if (Date.now() > this.deadline) throw new TimeoutError();
  }

  /** Accounts for samples held by an intermediate result. */
  count(n: number): void {
    this.samples += n;
    if (this.samples > this.maxSamples) throw new TooManySamplesError();
  }

  release(n: number): void {
    this.samples -= n;
  }
}

const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

function firstAtOrAfter(t: Float64Array, ms: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Prepares fetched samples: keeps exactly [fromMs, toMs] (Prometheus's
 * storage returns no more, and some of its quirks show it), marks stale
 * markers (NaN with Prometheus's bit pattern) and builds the marker-free copy.
 */
export function prepareSeries(labels: Labels, allTimestamps: Float64Array, allValues: Float64Array, fromMs: number, toMs: number): SelectedSeries {
  const lo = firstAtOrAfter(allTimestamps, fromMs);
  const hi = firstAtOrAfter(allTimestamps, toMs + 1);
  const timestamps = allTimestamps.subarray(lo, hi);
  const values = allValues.subarray(lo, hi);
  let stale: Uint8Array | null = null;
  let words: Uint32Array | null = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) continue;
    words ??= new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    if (words[2 * i + 1] === STALE_HI && words[2 * i] === STALE_LO) {
      stale ??= new Uint8Array(values.length);
      stale[i] = 1;
    }
  }
  if (stale === null) return { labels, timestamps, values, stale, rangeTimestamps: timestamps, rangeValues: values };
  let n = 0;
  for (let i = 0; i < stale.length; i++) if (stale[i] === 0) n++;
  const rt = new Float64Array(n);
  const rv = new Float64Array(n);
  for (let i = 0, j = 0; i < stale.length; i++) {
    if (stale[i] === 1) continue;
    rt[j] = timestamps[i];
    rv[j] = values[i];
    j++;
  }
  return { labels, timestamps, values, stale, rangeTimestamps: rt, rangeValues: rv };
}
