/**
 * Series codec for chunks and raw tails (format in FORMAT.md, "series block").
 * Timestamps: delta-of-delta in units of `unit` after `base`, zigzag varints.
 * Values: XOR with the previous value, stored as a control byte plus only the
 * bytes that differ, so repeated or slowly changing values take 1–4 bytes.
 */
import type { Series } from './series.js';
import { reserve } from './series.js';

const VERSION = 1;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

let buf = new Uint8Array(64 * 1024);

function ensure(pos: number, extra: number): void {
  if (pos + extra <= buf.length) return;
  let cap = buf.length * 2;
  while (cap < pos + extra) cap *= 2;
  const next = new Uint8Array(cap);
  next.set(buf.subarray(0, pos));
  buf = next;
}

function writeVarint(pos: number, v: number): number {
  // v is a non-negative integer below 2^53: plain arithmetic, no 32-bit ops
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function unzigzag(v: number): number {
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

/** Encodes points [from, to) of `s`; timestamps must be base + k·unit. */
export function encodeSeries(s: Series, from: number, to: number, base: number, unit: number): Uint8Array {
  const n = to - from;
  ensure(0, 16 + n * 19);
  let pos = 0;
  buf[pos++] = VERSION;
  pos = writeVarint(pos, n);
  let prevK = 0;
  let prevDelta = 0;
  for (let i = from; i < to; i++) {
    const k = (s.ts[i] - base) / unit;
    const delta = k - prevK;
    pos = writeVarint(pos, zigzag(delta - prevDelta));
    prevDelta = delta;
    prevK = k;
  }
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
    let lead = 0;
    if (xh === 0) lead = 4 + (Math.clz32(xl) >>> 3);
    else lead = Math.clz32(xh) >>> 3;
    let trail = 0;
    if (xl === 0) trail = 4 + ((31 - Math.clz32(xh & -xh)) >>> 3);
    else trail = (31 - Math.clz32(xl & -xl)) >>> 3;
    const width = 8 - lead - trail;
    buf[pos++] = (trail << 4) | width;
    for (let b = trail; b < trail + width; b++) {
      buf[pos++] = b < 4 ? (xl >>> (b * 8)) & 0xff : (xh >>> ((b - 4) * 8)) & 0xff;
    }
  }
  return buf.slice(0, pos);
}

/** Appends the decoded points to `out`. Throws on a malformed block. */
export function decodeSeries(data: Uint8Array, base: number, unit: number, out: Series): void {
  let pos = 0;
  if (data[pos++] !== VERSION) throw new Error(`series block: unknown version ${data[0]}`);
  let n = 0;
  let mul = 1;
  for (;;) {
    const b = data[pos++];
    n += (b & 127) * mul;
    if (b < 128) break;
    mul *= 128;
  }
  reserve(out, n);
  const start = out.length;
  let prevK = 0;
  let prevDelta = 0;
  for (let i = 0; i < n; i++) {
    let v = 0;
    mul = 1;
    for (;;) {
      const b = data[pos++];
      v += (b & 127) * mul;
      if (b < 128) break;
      mul *= 128;
    }
    const delta = prevDelta + unzigzag(v);
    const k = prevK + delta;
    out.ts[start + i] = base + k * unit;
    prevDelta = delta;
    prevK = k;
  }
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const ctl = data[pos++];
    if (ctl !== 0) {
      const trail = ctl >>> 4;
      const width = ctl & 15;
      let xl = 0;
      let xh = 0;
      for (let b = trail; b < trail + width; b++) {
        const byte = data[pos++];
        if (b < 4) xl |= byte << (b * 8);
        else xh |= byte << ((b - 4) * 8);
      }
      lo = (lo ^ xl) >>> 0;
      hi = (hi ^ xh) >>> 0;
    }
    u32[0] = lo;
    u32[1] = hi;
    out.values[start + i] = f64[0];
  }
  if (pos > data.length) throw new Error('series block: truncated');
  out.length = start + n;
}
