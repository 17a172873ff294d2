import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSeries, encodeSeries } from '../../tsdb/codec.js';
import { emptySeries, seriesFrom } from '../../tsdb/series.js';

function roundTrip(ts: number[], values: number[], base: number, unit: number): void {
  const s = seriesFrom(ts, values);
  const bytes = encodeSeries(s, 0, s.length, base, unit);
  const out = emptySeries(0);
  decodeSeries(bytes, base, unit, out);
  assert.equal(out.length, ts.length);
  assert.deepEqual(Array.from(out.ts.subarray(0, out.length)), ts);
  for (let i = 0; i < values.length; i++) assert.ok(Object.is(out.values[i], values[i]), `value ${i}: ${out.values[i]} != ${values[i]}`);
}

describe('series codec', () => {
  it('round-trips regular and irregular series bit for bit', () => {
    const ts: number[] = [];
    const vs: number[] = [];
    let t = 1_700_000_000_000_000;
    let v = 100;
    for (let i = 0; i < 5000; i++) {
      t += 1_000_000 * (1 + (i % 7 === 0 ? 13 : 0)) + (i % 11);
      v += Math.sin(i) * 3;
      ts.push(t);
      vs.push(i % 50 === 0 ? v : i % 3 === 0 ? vs[vs.length - 1] ?? 0 : v);
    }
    roundTrip(ts, vs, 0, 1);
  });

  it('keeps special values: -0, tiny, huge, integers', () => {
    roundTrip([0, 60, 120, 180, 240, 300], [-0, 5e-324, 1.7976931348623157e308, -42, 0, 2 ** 53], 0, 60);
  });

  it('encodes bucket indexes relative to the split key', () => {
    const g = 300_000_000;
    const base = 1_699_999_200_000_000;
    roundTrip([base, base + g, base + 5 * g, base + 3599 * g], [1, 1, 1, 2], base, g);
    const s = seriesFrom(Array.from({ length: 1000 }, (_, i) => base + i * g), new Array(1000).fill(7));
    assert.ok(encodeSeries(s, 0, s.length, base, g).length < 2100, 'a constant regular series costs ~2 bytes a point');
  });

  it('rejects a block of an unknown version', () => {
    assert.throws(() => decodeSeries(new Uint8Array([9, 0]), 0, 1, emptySeries(0)), /unknown version/);
  });
});
