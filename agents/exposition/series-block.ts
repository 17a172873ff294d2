/**
 * One source's series of one family as a poll left them: each series'
 * labels a run of piece numbers (label-pieces.ts), its value in a
 * Float64Array. About 60 bytes a Ceilometer series, where a `name{labels}`
 * string, a labels object and a map entry took about 1 KB.
 */
import type { LabelPieces } from './label-pieces.js';
import type { Labels } from './prom-text.js';

export class SeriesBlock {
  constructor(
    readonly pieces: LabelPieces,
    /** series i's pieces are ids[starts[i]] … ids[starts[i + 1] - 1] */
    private readonly starts: Int32Array,
    private readonly ids: Int32Array,
    readonly values: Float64Array,
  ) {}

  get size(): number {
    return this.values.length;
  }

  /** label pieces of all the series together */
  get pieceCount(): number {
    return this.ids.length;
  }

  /** Bytes of series i's `{a="x",b="y"}` (none without labels). */
  labelBytes(i: number): number {
    const from = this.starts[i];
    const to = this.starts[i + 1];
    if (from === to) return 0;
    let length = to - from + 1;
    for (let j = from; j < to; j++) length += this.pieces.start(this.ids[j] + 1) - this.pieces.start(this.ids[j]);
    return length;
  }

  /** Writes series i's `{a="x",b="y"}` at `at` in `out` (which has room: labelBytes); where it ends. */
  writeLabels(out: Uint8Array, at: number, i: number): number {
    const from = this.starts[i];
    const to = this.starts[i + 1];
    if (from === to) return at;
    const bytes = this.pieces.bytes;
    out[at++] = OPEN;
    for (let j = from; j < to; j++) {
      if (j > from) out[at++] = COMMA;
      // a piece is a few dozen bytes: a loop copies it without the view object a subarray() or copy() makes
      const end = this.pieces.start(this.ids[j] + 1);
      for (let k = this.pieces.start(this.ids[j]); k < end; k++) out[at++] = bytes[k];
    }
    out[at++] = CLOSE;
    return at;
  }

  /** `{a="x",b="y"}` of series i, or '' without labels. */
  labelText(i: number): string {
    const out = Buffer.allocUnsafe(this.labelBytes(i));
    return out.toString('utf8', 0, this.writeLabels(out, 0, i));
  }

  labels(i: number): Labels {
    return this.pieces.labels(this.ids, this.starts[i], this.starts[i + 1]);
  }
}

const EMPTY = 0;
const OPEN = 0x7b;
const COMMA = 0x2c;
const CLOSE = 0x7d;

/**
 * A family's series of one poll, added one at a time: a series' pieces with
 * label(), then close(value). A series already added (the same pieces in
 * the same order) keeps its first place and takes the last value, as a
 * prometheus_client Gauge set twice; an open-addressing table of series
 * numbers finds it without a key string per series.
 */
export class SeriesBlockBuilder {
  private ids: Int32Array;
  private idCount = 0;
  private starts: Int32Array;
  private values: Float64Array;
  private count = 0;
  /** series number + 1 by hash of its pieces, EMPTY where free; kept at most half full */
  private table: Int32Array;

  /** `expected`: the same family's series of the source's previous poll, whose sizes this poll's likely has */
  constructor(
    private readonly pieces: LabelPieces,
    expected?: SeriesBlock,
  ) {
    const series = expected?.size ?? 0;
    this.ids = new Int32Array(Math.max(64, expected?.pieceCount ?? 0));
    this.starts = new Int32Array(Math.max(16, series + 1));
    this.values = new Float64Array(Math.max(16, series));
    this.table = new Int32Array(Math.max(32, 2 ** Math.ceil(Math.log2(series * 2 + 1))));
  }

  get size(): number {
    return this.count;
  }

  label(piece: number): void {
    if (this.idCount === this.ids.length) this.ids = grown(this.ids, new Int32Array(this.ids.length * 2));
    this.ids[this.idCount++] = piece;
  }

  /** Ends the series whose pieces were just given; false when it was there already (its value replaced). */
  close(value: number): boolean {
    const from = this.starts[this.count];
    const to = this.idCount;
    const mask = this.table.length - 1;
    for (let slot = hashRun(this.ids, from, to) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot];
      if (entry === EMPTY) {
        this.table[slot] = this.count + 1;
        break;
      }
      if (this.sameRun(entry - 1, from, to)) {
        this.values[entry - 1] = value;
        this.idCount = from;
        return false;
      }
    }
    if (this.count === this.values.length) this.values = grown(this.values, new Float64Array(this.values.length * 2));
    if (this.count + 1 === this.starts.length) this.starts = grown(this.starts, new Int32Array(this.starts.length * 2));
    this.values[this.count] = value;
    this.starts[++this.count] = to;
    if (this.count * 2 > this.table.length) this.rehash();
    return true;
  }

  /** The block; its arrays are the builder's own when the poll filled them exactly (as the previous one did), else trimmed copies. */
  build(): SeriesBlock {
    const fit = <T extends Int32Array | Float64Array>(a: T, n: number): T => (a.length === n ? a : (a.slice(0, n) as T));
    return new SeriesBlock(this.pieces, fit(this.starts, this.count + 1), fit(this.ids, this.idCount), fit(this.values, this.count));
  }

  private sameRun(series: number, from: number, to: number): boolean {
    const start = this.starts[series];
    if (this.starts[series + 1] - start !== to - from) return false;
    for (let j = 0; j < to - from; j++) if (this.ids[start + j] !== this.ids[from + j]) return false;
    return true;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let s = 0; s < this.count; s++) {
      let slot = hashRun(this.ids, this.starts[s], this.starts[s + 1]) & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = s + 1;
    }
    this.table = table;
  }
}

function hashRun(ids: Int32Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let j = from; j < to; j++) h = Math.imul(h ^ ids[j], 0x01000193);
  // the low bits pick the slot: mix the high ones in
  return (h ^ (h >>> 15)) >>> 0;
}

function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
