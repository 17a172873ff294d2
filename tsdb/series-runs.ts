/**
 * A series block read as runs rather than points: a run is consecutive
 * points one `unit` apart with the same value (mode `equal`: bitwise; mode
 * `nonzero`: all 0 or all not 0, the run's value then 0 or 1). A month of a
 * gauge held constant at 300 s is one run instead of 8,640 points.
 *
 * The encoding (codec.ts, FORMAT.md) makes this cheap: a timestamp at the
 * same step as the one before is a zero byte (delta of delta 0), a value
 * equal to the one before a zero control byte. Long stretches of zero bytes
 * are passed over with native comparisons against a zero buffer, not byte by
 * byte. In `nonzero` mode the values are not rebuilt: only the top byte of
 * each (sign and high exponent bits) is followed through the XOR chain, which
 * tells a normal number from 0; a block holding a value whose top byte says
 * neither (0, or smaller than 2^-1007) is read point by point instead.
 */
import { decodeSeries, xorValueBytes } from './codec.js';
import { type Series, emptySeries } from './series.js';

export type RunMode = 'equal' | 'nonzero';

/** Runs as parallel arrays: run i holds points starts[i], starts[i] + unit, …, lasts[i], all at values[i]. */
export interface RunSeries {
  starts: Float64Array;
  lasts: Float64Array;
  values: Float64Array;
  length: number;
}

export function emptyRuns(capacity = 16): RunSeries {
  return { starts: new Float64Array(capacity), lasts: new Float64Array(capacity), values: new Float64Array(capacity), length: 0 };
}

function reserveRuns(r: RunSeries, extra: number): void {
  const need = r.length + extra;
  if (need <= r.starts.length) return;
  let cap = Math.max(16, r.starts.length * 2);
  while (cap < need) cap *= 2;
  for (const key of ['starts', 'lasts', 'values'] as const) {
    const next = new Float64Array(cap);
    next.set(r[key].subarray(0, r.length));
    r[key] = next;
  }
}

/** Appends a run, or extends the last one (if at `first` or after) when the point continues it. */
export function pushRun(r: RunSeries, start: number, last: number, value: number, unit: number, first = 0): void {
  const n = r.length;
  if (n > first && r.lasts[n - 1] + unit === start && Object.is(r.values[n - 1], value)) {
    r.lasts[n - 1] = last;
    return;
  }
  if (n === r.starts.length) reserveRuns(r, 1);
  r.starts[n] = start;
  r.lasts[n] = last;
  r.values[n] = value;
  r.length = n + 1;
}

const ZEROS = Buffer.alloc(65_536);

/** The first index in [pos, end) whose byte is not 0, or end. */
function skipZeros(data: Uint8Array, pos: number, end: number): number {
  // a short stretch byte by byte: a native call costs more than a few bytes
  const near = Math.min(end, pos + 16);
  while (pos < near && data[pos] === 0) pos++;
  if (pos < near || pos === end) return pos;
  // the whole rest at once (a series regular to its end), then by doubling and halving chunks
  if (end - pos <= ZEROS.length && ZEROS.compare(data, pos, end, 0, end - pos) === 0) return end;
  let chunk = 64;
  while (pos < end) {
    const c = Math.min(chunk, end - pos);
    if (c <= 16) {
      while (pos < end && data[pos] === 0) pos++;
      return pos;
    }
    if (ZEROS.compare(data, pos, pos + c, 0, c) === 0) {
      pos += c;
      chunk = Math.min(chunk * 2, ZEROS.length);
    } else chunk = c >>> 1;
  }
  return end;
}

/** Per block: where the timestamps' step changes, and where the value changes (reused). */
const scratch: { at: Int32Array; k: Float64Array; step: Float64Array; vAt: Int32Array; v: Float64Array } = { at: new Int32Array(1024), k: new Float64Array(1024), step: new Float64Array(1024), vAt: new Int32Array(1024), v: new Float64Array(1024) };

function grow(): void {
  const n = scratch.at.length * 2;
  const i32 = (a: Int32Array): Int32Array => {
    const b = new Int32Array(n);
    b.set(a);
    return b;
  };
  const f64 = (a: Float64Array): Float64Array => {
    const b = new Float64Array(n);
    b.set(a);
    return b;
  };
  scratch.at = i32(scratch.at);
  scratch.k = f64(scratch.k);
  scratch.step = f64(scratch.step);
  scratch.vAt = i32(scratch.vAt);
  scratch.v = f64(scratch.v);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const fallback: Series = emptySeries(4096);

/**
 * Appends the runs of the series block `data` (timestamps base + k·unit)
 * to `out`, merging with out's last run where the first point continues it
 * (runs before index `first` are left as they are).
 */
export function readSeriesRuns(data: Uint8Array, base: number, unit: number, mode: RunMode, out: RunSeries, first = 0): void {
  if (data[0] !== 1) throw new Error(`series block: unknown version ${data[0]}`);
  let pos = 1;
  let n = 0;
  for (let mul = 1; ; mul *= 128) {
    const b = data[pos++];
    n += (b & 127) * mul;
    if (b < 128) break;
  }
  if (n === 0) return;
  // timestamps: a record where the step changes; points after it at the same step
  let records = 0;
  let k = 0;
  let step = 0;
  for (let i = 0; i < n; ) {
    if (data[pos] === 0 && i > 0) {
      const next = skipZeros(data, pos, Math.min(pos + (n - i), data.length));
      const z = next - pos;
      k += z * step;
      i += z;
      pos = next;
      continue;
    }
    let v = 0;
    for (let mul = 1; ; mul *= 128) {
      const b = data[pos++];
      v += (b & 127) * mul;
      if (b < 128) break;
    }
    step += v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    k += step;
    if (records === scratch.at.length) grow();
    scratch.at[records] = i;
    scratch.k[records] = k;
    scratch.step[records] = step;
    records++;
    i++;
  }
  // values: a record where the value (or, nonzero, whether it is 0) changes
  let changes = 0;
  if (mode === 'equal') {
    u32[0] = 0;
    u32[1] = 0;
    for (let i = 0; i < n; ) {
      const ctl = data[pos];
      if (ctl === 0 && i > 0) {
        const next = skipZeros(data, pos, Math.min(pos + (n - i), data.length));
        i += next - pos;
        pos = next;
        continue;
      }
      pos++;
      if (ctl !== 0) pos = xorValueBytes(data, pos, ctl, u32);
      if (changes === scratch.vAt.length) grow();
      scratch.vAt[changes] = i;
      scratch.v[changes] = f64[0];
      changes++;
      i++;
    }
  } else {
    let top = 0;
    let last = -1;
    for (let i = 0; i < n; ) {
      const ctl = data[pos];
      if (ctl === 0 && i > 0) {
        const next = skipZeros(data, pos, Math.min(pos + (n - i), data.length));
        i += next - pos;
        pos = next;
        continue;
      }
      const width = ctl & 15;
      // the XOR reaches byte 7 (sign and high exponent bits) when trail + width is 8
      if (ctl !== 0 && (ctl >>> 4) + width === 8) top ^= data[pos + width];
      pos += 1 + width;
      if ((top & 0x7f) === 0) {
        // 0, or a number too small to tell from it by its top byte: point by point
        readByPoints(data, base, unit, out, first);
        return;
      }
      if (last !== 1) {
        if (changes === scratch.vAt.length) grow();
        scratch.vAt[changes] = i;
        scratch.v[changes] = 1;
        changes++;
        last = 1;
      }
      i++;
    }
  }
  // runs: walk the points by pieces where neither the step nor the value changes
  let r = 0;
  let c = 0;
  for (let i = 0; i < n; ) {
    while (r + 1 < records && scratch.at[r + 1] <= i) r++;
    while (c + 1 < changes && scratch.vAt[c + 1] <= i) c++;
    const end = Math.min(r + 1 < records ? scratch.at[r + 1] : n, c + 1 < changes ? scratch.vAt[c + 1] : n);
    const k0 = scratch.k[r] + (i - scratch.at[r]) * scratch.step[r];
    const s = scratch.step[r];
    const value = scratch.v[c];
    if (s === 1) pushRun(out, base + k0 * unit, base + (k0 + (end - 1 - i)) * unit, value, unit, first);
    else for (let j = i; j < end; j++) pushRun(out, base + (k0 + (j - i) * s) * unit, base + (k0 + (j - i) * s) * unit, value, unit, first);
    i = end;
  }
}

/** The block decoded point by point, its runs appended (nonzero mode's way around a value it cannot classify by its top byte). */
function readByPoints(data: Uint8Array, base: number, unit: number, out: RunSeries, first: number): void {
  fallback.length = 0;
  decodeSeries(data, base, unit, fallback);
  for (let i = 0; i < fallback.length; i++) pushRun(out, fallback.ts[i], fallback.ts[i], fallback.values[i] === 0 ? 0 : 1, unit, first);
}
