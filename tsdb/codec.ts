/**
 * Encodings of series (format in FORMAT.md):
 * - series block: timestamps as delta-of-delta in units of `unit` after
 *   `base` (zigzag varints); values XOR-ed with the previous value, stored as
 *   a control byte plus only the bytes that differ;
 * - split block: several named series blocks (one per aggregation method)
 *   sharing one split key.
 */
import type { Series } from './series.js';
import { reserve } from './series.js';

const SERIES_VERSION = 1;
const SPLIT_VERSION = 2;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** An append-only byte buffer, reused across calls. */
export class ByteWriter {
  buf: Buffer;
  pos = 0;
  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }
  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    const next = Buffer.allocUnsafeSlow(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  /** The bytes written so far: a view, valid until the writer is reused. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function writeVarint(w: ByteWriter, v: number): void {
  // v is a non-negative integer below 2^53: plain arithmetic, no 32-bit ops
  const buf = w.buf;
  let pos = w.pos;
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  w.pos = pos;
}

function readVarint(data: Uint8Array, at: { pos: number }): number {
  let v = 0;
  let mul = 1;
  let pos = at.pos;
  for (;;) {
    const b = data[pos++];
    v += (b & 127) * mul;
    if (b < 128) break;
    mul *= 128;
  }
  at.pos = pos;
  return v;
}

/** Appends a series block of points [from, to) of `s`; timestamps must be base + k·unit. */
export function writeSeries(w: ByteWriter, s: Series, from: number, to: number, base: number, unit: number): void {
  const n = to - from;
  w.ensure(16 + n * 19);
  const buf = w.buf;
  w.buf[w.pos++] = SERIES_VERSION;
  writeVarint(w, n);
  let prevK = 0;
  let prevDelta = 0;
  for (let i = from; i < to; i++) {
    const k = (s.ts[i] - base) / unit;
    const delta = k - prevK;
    const dod = delta - prevDelta;
    writeVarint(w, dod >= 0 ? dod * 2 : -dod * 2 - 1);
    prevDelta = delta;
    prevK = k;
  }
  let pos = w.pos;
  let prevLo = 0;
  let prevHi = 0;
  for (let i = from; i < to; i++) {
    f64[0] = s.values[i];
    const lo = u32[0];
    const hi = u32[1];
    const xl = (lo ^ prevLo) >>> 0;
    const xh = (hi ^ prevHi) >>> 0;
    prevLo = lo;
    prevHi = hi;
    if (xl === 0 && xh === 0) {
      buf[pos++] = 0;
      continue;
    }
    // bytes 0..7, little endian; keep [trail, 8 - lead)
    const lead = xh === 0 ? 4 + (Math.clz32(xl) >>> 3) : Math.clz32(xh) >>> 3;
    const trail = xl === 0 ? 4 + ((31 - Math.clz32(xh & -xh)) >>> 3) : (31 - Math.clz32(xl & -xl)) >>> 3;
    const width = 8 - lead - trail;
    buf[pos++] = (trail << 4) | width;
    for (let b = trail; b < trail + width; b++) {
      buf[pos++] = b < 4 ? (xl >>> (b * 8)) & 0xff : (xh >>> ((b - 4) * 8)) & 0xff;
    }
  }
  w.pos = pos;
}

const shared = new ByteWriter();

/** A series block of points [from, to) of `s`, as a view valid until the next call: write or copy it at once. */
export function encodeSeries(s: Series, from: number, to: number, base: number, unit: number): Buffer {
  shared.pos = 0;
  writeSeries(shared, s, from, to, base, unit);
  return shared.view();
}

/**
 * XORs the bytes of one value that follow its control byte `ctl` (they start
 * at `data[pos]`) into `bits`, the previous value's two 32-bit halves, low
 * first; returns the position after them.
 */
export function xorValueBytes(data: Uint8Array, pos: number, ctl: number, bits: Uint32Array): number {
  const trail = ctl >>> 4;
  const end = trail + (ctl & 15);
  let xl = 0;
  let xh = 0;
  for (let b = trail; b < end; b++) {
    const byte = data[pos++];
    if (b < 4) xl |= byte << (b * 8);
    else xh |= byte << ((b - 4) * 8);
  }
  bits[0] ^= xl;
  bits[1] ^= xh;
  return pos;
}

/** Decodes the series block at `at.pos`, appending to `out`; advances `at.pos`. */
export function readSeries(data: Uint8Array, at: { pos: number }, base: number, unit: number, out: Series): void {
  if (data[at.pos] !== SERIES_VERSION) throw new Error(`series block: unknown version ${data[at.pos]}`);
  at.pos++;
  const n = readVarint(data, at);
  reserve(out, n);
  const start = out.length;
  let pos = at.pos;
  let prevK = 0;
  let prevDelta = 0;
  for (let i = 0; i < n; i++) {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = data[pos++];
      v += (b & 127) * mul;
      if (b < 128) break;
      mul *= 128;
    }
    const delta = prevDelta + (v % 2 === 0 ? v / 2 : -(v + 1) / 2);
    const k = prevK + delta;
    out.ts[start + i] = base + k * unit;
    prevDelta = delta;
    prevK = k;
  }
  u32[0] = 0;
  u32[1] = 0;
  for (let i = 0; i < n; i++) {
    const ctl = data[pos++];
    if (ctl !== 0) pos = xorValueBytes(data, pos, ctl, u32);
    out.values[start + i] = f64[0];
  }
  if (pos > data.length) throw new Error('series block: truncated');
  at.pos = pos;
  out.length = start + n;
}

/** Decodes a whole series block, appending to `out`. */
export function decodeSeries(data: Uint8Array, base: number, unit: number, out: Series): void {
  readSeries(data, { pos: 0 }, base, unit, out);
}

// ---- split blocks: one series block per aggregation method ------------------

export function startSplit(w: ByteWriter, columns: number): void {
  w.pos = 0;
  w.ensure(16);
  w.buf[w.pos++] = SPLIT_VERSION;
  writeVarint(w, columns);
}

export function writeSplitColumn(w: ByteWriter, method: string, s: Series, from: number, to: number, base: number, unit: number): void {
  const nameLength = Buffer.byteLength(method);
  w.ensure(16 + nameLength);
  writeVarint(w, nameLength);
  w.pos += w.buf.write(method, w.pos, 'latin1');
  const lengthAt = w.pos;
  w.pos += 4;
  writeSeries(w, s, from, to, base, unit);
  w.buf.writeUInt32LE(w.pos - lengthAt - 4, lengthAt);
}

/** Copies an already encoded column (a method no longer computed) into a new split. */
export function copySplitColumn(w: ByteWriter, method: string, block: Uint8Array): void {
  w.ensure(16 + method.length + block.length);
  writeVarint(w, method.length);
  w.pos += w.buf.write(method, w.pos, 'latin1');
  w.buf.writeUInt32LE(block.length, w.pos);
  w.pos += 4;
  w.buf.set(block, w.pos);
  w.pos += block.length;
}

/** Calls `visit` with each column's method and its series block (a view into `data`). */
export function forEachSplitColumn(data: Uint8Array, visit: (method: string, block: Uint8Array) => void): void {
  if (data[0] !== SPLIT_VERSION) throw new Error(`split block: unknown version ${data[0]}`);
  const at = { pos: 1 };
  const columns = readVarint(data, at);
  for (let c = 0; c < columns; c++) {
    const nameLength = readVarint(data, at);
    const method = Buffer.from(data.buffer, data.byteOffset + at.pos, nameLength).toString('latin1');
    at.pos += nameLength;
    const len = (data[at.pos] | (data[at.pos + 1] << 8) | (data[at.pos + 2] << 16)) + data[at.pos + 3] * 2 ** 24;
    at.pos += 4;
    if (at.pos + len > data.length) throw new Error('split block: truncated');
    visit(method, data.subarray(at.pos, at.pos + len));
    at.pos += len;
  }
}

/** Appends the points of `method` from a split block to `out`; false when the split has no such column. */
export function readSplitColumn(data: Uint8Array, method: string, base: number, unit: number, out: Series): boolean {
  let found = false;
  forEachSplitColumn(data, (m, block) => {
    if (!found && m === method) {
      decodeSeries(block, base, unit, out);
      found = true;
    }
  });
  return found;
}
