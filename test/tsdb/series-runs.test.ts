/**
 * Engine.appendRuns against appendPoints: the same points, grouped in runs
 * (consecutive buckets with the same value, or alike in being 0 or not),
 * over series with gaps, changes, zeros, negative and tiny values, several
 * splits, windows cut anywhere and a timespan that drops the oldest points.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeArchivePolicy } from '../../tsdb/archive-policy.js';
import { Engine } from '../../tsdb/engine.js';
import { emptySeries } from '../../tsdb/series.js';
import { type RunMode, emptyRuns } from '../../tsdb/series-runs.js';
import { prng } from '../helpers/prng.js';

const S = 1_000_000;
const G = 300 * S;
const T0 = Date.UTC(2024, 0, 1) * 1000;

/** The points of runs, as [ts, value] pairs. */
function expand(starts: Float64Array, lasts: Float64Array, values: Float64Array, length: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < length; i++) for (let t = starts[i]; t <= lasts[i]; t += G) out.push([t, values[i]]);
  return out;
}

describe('Engine.appendRuns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-runs-'));
  let engine: Engine;
  const random = prng(7);
  const series = new Map<string, number>();

  before(async () => {
    engine = Engine.open({ path: dir });
    // 300 s for 20 days: a timespan shorter than the 25 days written, splits of 12.5 days
    const policy = makeArchivePolicy({ name: 'p', aggregation_methods: ['mean', 'max'], definition: [{ granularity: 300, timespan: 20 * 86_400 }] });
    const shapes: ((i: number) => number)[] = [
      () => 20,
      (i) => (i < 3000 ? 50 : 60),
      (i) => 1e9 * (i + 1),
      (i) => (i % 700 < 30 ? 0 : 1e9 * i),
      (i) => (i % 500 === 0 ? -0 : -3.5),
      (i) => (i % 900 < 5 ? 1e-310 : 2),
      () => Math.floor(random() * 3),
    ];
    for (let s = 0; s < shapes.length; s++) {
      const id = `m${s}`;
      await engine.createMetric(id, policy);
      const ts: number[] = [];
      const values: number[] = [];
      for (let i = 0; i < 25 * 288; i++) {
        // gaps: a quiet stretch, and a missed sample now and then
        if ((i > 1000 && i < 1100) || random() < 0.01) continue;
        ts.push(T0 + i * G + 17 * S);
        values.push(shapes[s](i));
      }
      await engine.addMeasures([{ metricId: id, timestamps: ts, values }]);
      series.set(id, ts.length);
    }
    await engine.processAll();
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the points appendPoints gives, grouped', () => {
    const windows: [number, number][] = [[T0 - 86_400 * S, T0 + 30 * 86_400 * S], [T0 + 3 * 86_400 * S + 7 * S, T0 + 14 * 86_400 * S + 123 * S], [T0 + 1050 * G, T0 + 1200 * G]];
    for (let w = 0; w < 20; w++) {
      const a = T0 + Math.floor(random() * 25 * 86_400) * S;
      windows.push([a, a + Math.floor(random() * 10 * 86_400) * S]);
    }
    const points = emptySeries(16);
    const runs = emptyRuns(4);
    for (const id of series.keys()) {
      for (const mode of ['equal', 'nonzero'] as RunMode[]) {
        for (const [from, to] of windows) {
          points.length = 0;
          engine.appendPoints(id, 'mean', G, from, to, points);
          // something before, which the runs must leave alone
          runs.length = 0;
          runs.starts[0] = from - 10 * G;
          runs.lasts[0] = from - G;
          runs.values[0] = 20;
          runs.length = 1;
          const first = engine.appendRuns(id, 'mean', G, from, to, mode, runs);
          assert.equal(first, 1);
          assert.equal(runs.lasts[0], from - G);
          const got = expand(runs.starts.subarray(1), runs.lasts.subarray(1), runs.values.subarray(1), runs.length - 1);
          const want: [number, number][] = [];
          for (let i = 0; i < points.length; i++) want.push([points.ts[i], mode === 'equal' ? points.values[i] : points.values[i] === 0 ? 0 : 1]);
          assert.deepEqual(got, want, `${id} ${mode} [${from}, ${to})`);
          // runs are maximal: neighbours either apart or different
          for (let i = 2; i < runs.length; i++) {
            assert.ok(runs.starts[i] !== runs.lasts[i - 1] + G || !Object.is(runs.values[i], runs.values[i - 1]), `${id} ${mode}: runs ${i - 1} and ${i} should be one`);
          }
        }
      }
    }
  });

  it('reads a constant month as one run', async () => {
    const policy = makeArchivePolicy({ name: 'q', aggregation_methods: ['mean'], definition: [{ granularity: 300, timespan: 30 * 86_400 }] });
    await engine.createMetric('flat', policy);
    const ts = Array.from({ length: 8640 }, (_, i) => T0 + i * G);
    await engine.addMeasures([{ metricId: 'flat', timestamps: ts, values: ts.map(() => 100) }]);
    await engine.processAll();
    const runs = emptyRuns();
    engine.appendRuns('flat', 'mean', G, T0, T0 + 30 * 86_400 * S, 'equal', runs);
    assert.equal(runs.length, 1);
    assert.deepEqual([runs.starts[0], runs.lasts[0], runs.values[0]], [T0, T0 + 8639 * G, 100]);
  });
});
