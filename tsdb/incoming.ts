/**
 * The two shapes of accepted, not yet aggregated measures (FORMAT.md):
 * an incoming entry holds one metric's part of a write, an incoming block
 * the whole of a write that touches many metrics, so that a scrape of
 * 10,000 series is one LMDB value rather than 10,000 B-tree inserts.
 */
import { InvalidInputError } from './errors.js';
import { type Series, reserve } from './series.js';

/** New measures for one metric: parallel arrays of µs timestamps and values. */
export interface MeasureBatch {
  readonly metricId: string;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/**
 * Many metrics' new measures as columns: metric k's are at
 * [starts[k], starts[k + 1]) of `timestamps` and `values` (a writer that
 * collects measures of many metrics builds this without an object per metric).
 */
export interface MeasureColumns {
  readonly metricIds: readonly string[];
  /** metricIds.length + 1 offsets, non-decreasing */
  readonly starts: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** A block as read back: per metric, its id and where its measures are in `ts` / `values`. */
export interface IncomingBlock {
  readonly ids: readonly string[];
  /** per metric, the generation of the metric the measures were written to (a re-created metric is another) */
  readonly generations: Float64Array;
  /** measures of metric k are [starts[k], starts[k + 1]) */
  readonly starts: Uint32Array;
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

const BLOCK_VERSION = 1;
const BLOCK_HEADER = 16;
/** bytes of a metric's table entry before its id */
const TABLE_ENTRY = 14;

/** Whether the store can keep this measure: numbers, a finite timestamp not before the Epoch, a finite value. */
function storable(t: unknown, v: unknown): boolean {
  return typeof t === 'number' && typeof v === 'number' && t >= 0 && t !== Infinity && v - v === 0;
}

/** Where a block's columns start: after its header and table, at a multiple of 8. */
function columnsOffset(tableBytes: number): number {
  return BLOCK_HEADER + tableBytes + ((8 - ((BLOCK_HEADER + tableBytes) % 8)) % 8);
}

/** Throws the API's error for a measure the store cannot keep. */
function checkMeasure(batchIndex: number, i: number, t: unknown, v: unknown): void {
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    throw new InvalidInputError(`measures[${batchIndex}][${i}].timestamp`, `invalid timestamp ${String(t)}`);
  }
  if (t < 0) throw new InvalidInputError(`measures[${batchIndex}][${i}].timestamp`, 'timestamp is before Epoch');
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InvalidInputError(`measures[${batchIndex}][${i}].value`, `invalid value ${String(v)}: must be a finite number`);
  }
}

function checkLengths(batchIndex: number, b: MeasureBatch): number {
  const n = b.timestamps.length;
  if (b.values.length !== n) throw new InvalidInputError(`measures[${batchIndex}]`, `${n} timestamps but ${b.values.length} values`);
  return n;
}

/** Validates one batch and encodes it as an incoming entry. */
export function encodeIncomingEntry(batchIndex: number, batch: MeasureBatch): Buffer {
  const n = checkLengths(batchIndex, batch);
  const { timestamps, values } = batch;
  const buf = Buffer.allocUnsafe(n * 16);
  const f = new Float64Array(buf.buffer, buf.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    const t = timestamps[i];
    const v = values[i];
    if (!storable(t, v)) checkMeasure(batchIndex, i, t, v);
    f[i] = Math.floor(t);
    f[n + i] = v;
  }
  return buf;
}

let entryScratch = new Float64Array(4096);

/** Appends a metric's incoming entries, in order, to `out` (emptied first). */
export function decodeIncomingEntries(chunks: readonly Buffer[], out: Series): void {
  let total = 0;
  for (const c of chunks) total += c.length / 16;
  out.length = 0;
  reserve(out, total);
  for (const c of chunks) {
    const n = c.length / 16;
    if (entryScratch.length < n * 2) entryScratch = new Float64Array(n * 2);
    // LMDB's buffers need not be 8-byte aligned: copy the bytes before viewing them as float64
    new Uint8Array(entryScratch.buffer, 0, c.length).set(c);
    out.ts.set(entryScratch.subarray(0, n), out.length);
    out.values.set(entryScratch.subarray(n, 2 * n), out.length);
    out.length += n;
  }
}

/** Validates the batches and lays them out as columns (for a block). */
export function batchesToColumns(batches: readonly MeasureBatch[]): MeasureColumns {
  let measures = 0;
  for (let b = 0; b < batches.length; b++) measures += checkLengths(b, batches[b]);
  const starts = new Uint32Array(batches.length + 1);
  const timestamps = new Float64Array(measures);
  const values = new Float64Array(measures);
  let k = 0;
  for (let b = 0; b < batches.length; b++) {
    const { timestamps: ts, values: vs } = batches[b];
    starts[b] = k;
    for (let i = 0; i < ts.length; i++, k++) {
      const t = ts[i];
      const v = vs[i];
      if (typeof t !== 'number' || typeof v !== 'number') checkMeasure(b, i, t, v);
      timestamps[k] = t;
      values[k] = v;
    }
  }
  starts[batches.length] = k;
  return { metricIds: batches.map((b) => b.metricId), starts, timestamps, values };
}

/** Validates the columns and encodes them as one incoming block; `generations[k]`: the generation of metric k. */
export function encodeIncomingBlock(c: MeasureColumns, generations: Float64Array): Buffer {
  const { metricIds, starts, timestamps, values } = c;
  const count = metricIds.length;
  const measures = starts[count] - starts[0];
  let tableBytes = 0;
  for (let m = 0; m < count; m++) tableBytes += TABLE_ENTRY + Buffer.byteLength(metricIds[m], 'utf8');
  const columns = columnsOffset(tableBytes);
  const buf = Buffer.allocUnsafe(columns + measures * 16);
  buf.writeUInt32LE(BLOCK_VERSION, 0);
  buf.writeUInt32LE(count, 4);
  buf.writeUInt32LE(measures, 8);
  buf.writeUInt32LE(tableBytes, 12);
  buf.fill(0, BLOCK_HEADER + tableBytes, columns);
  // the columns are written through an aligned array, then copied in once
  const f = new Float64Array(measures * 2);
  let at = BLOCK_HEADER;
  let k = 0;
  for (let m = 0; m < count; m++) {
    const from = starts[m];
    const to = starts[m + 1];
    buf.writeUInt32LE(to - from, at);
    buf.writeDoubleLE(generations[m], at + 4);
    const len = buf.write(metricIds[m], at + TABLE_ENTRY, 'utf8');
    buf.writeUInt16LE(len, at + 12);
    at += TABLE_ENTRY + len;
    for (let i = from; i < to; i++, k++) {
      const t = timestamps[i];
      const v = values[i];
      if (!storable(t, v)) checkMeasure(m, i - from, t, v);
      f[k] = Math.floor(t);
      f[measures + k] = v;
    }
  }
  buf.set(new Uint8Array(f.buffer), columns);
  return buf;
}

/** lmdb-js's getBinaryFast gives a Buffer whose `length` is the value's and whose memory is larger: the value alone. */
function exact(value: Uint8Array): Uint8Array {
  return value.length === value.byteLength ? value : value.subarray(0, value.length);
}

/** Number of metrics in a block, from its header alone. */
export function blockMetricCount(block: Uint8Array): number {
  return new DataView(block.buffer, block.byteOffset, block.byteLength).getUint32(4, true);
}

/** A block's metric ids and where each one's measures start, from its table alone. */
export function decodeBlockTable(value: Uint8Array): { ids: string[]; generations: Float64Array; starts: Uint32Array; columns: number; measures: number } {
  const block = exact(value);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const version = view.getUint32(0, true);
  if (version !== BLOCK_VERSION) throw new Error(`incoming block version ${version} is not ${BLOCK_VERSION}`);
  const count = view.getUint32(4, true);
  const measures = view.getUint32(8, true);
  const tableBytes = view.getUint32(12, true);
  const columns = columnsOffset(tableBytes);
  if (columns + measures * 16 !== block.byteLength) throw new Error('incoming block: length does not match its header');
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const ids: string[] = new Array<string>(count);
  const generations = new Float64Array(count);
  const starts = new Uint32Array(count + 1);
  let at = BLOCK_HEADER;
  let k = 0;
  for (let m = 0; m < count; m++) {
    const n = view.getUint32(at, true);
    generations[m] = view.getFloat64(at + 4, true);
    const len = view.getUint16(at + 12, true);
    ids[m] = bytes.toString('utf8', at + TABLE_ENTRY, at + TABLE_ENTRY + len);
    at += TABLE_ENTRY + len;
    starts[m] = k;
    k += n;
  }
  starts[count] = k;
  return { ids, generations, starts, columns, measures };
}

/** Reads a block back (the columns copied out, so `block` may be LMDB's reused buffer). */
export function decodeIncomingBlock(value: Uint8Array): IncomingBlock {
  const block = exact(value);
  const { ids, generations, starts, columns, measures } = decodeBlockTable(value);
  const f = new Float64Array(measures * 2);
  new Uint8Array(f.buffer).set(block.subarray(columns));
  return { ids, generations, starts, ts: f.subarray(0, measures), values: f.subarray(measures) };
}
