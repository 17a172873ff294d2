import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeArchivePolicy } from '../../tsdb/archive-policy.js';
import { Engine } from '../../tsdb/engine.js';
import type { MirrorEntry } from '../../tsdb/mirror-log.js';

const T0 = Date.UTC(2026, 0, 1) * 1000;
const policy = makeArchivePolicy({ name: 'p', aggregation_methods: ['mean'], definition: [{ granularity: 1, points: 1000 }] });

/** (metric, time, value) triples of the entries, in log order. */
function measuresOf(entries: readonly MirrorEntry[]): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const { block } of entries) {
    for (let m = 0; m < block.ids.length; m++) for (let i = block.starts[m]; i < block.starts[m + 1]; i++) out.push([block.ids[m], block.ts[i], block.values[i]]);
  }
  return out;
}

describe('mirror log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-mirror-'));
  let engine: Engine;
  const ids = Array.from({ length: 70 }, (_, i) => `m${i}`);

  before(async () => {
    engine = Engine.open({ path: dir });
    for (const id of ids) await engine.createMetric(id, policy);
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps nothing while no sink is registered', async () => {
    await engine.addMeasures([{ metricId: 'm0', timestamps: [T0], values: [1] }]);
    assert.equal(engine.mirror.active, false);
    assert.deepEqual(engine.mirror.read(0, Infinity), []);
  });

  it('logs small and large writes in order, from registration on, for each sink until it has delivered them', async () => {
    await engine.mirror.register(['a', 'b']);
    assert.deepEqual([...engine.mirror.sinks()], [['a', 0], ['b', 0]]);
    await engine.addMeasures([{ metricId: 'm1', timestamps: [T0, T0 + 1e6], values: [1, 2] }]);
    // 70 metrics: one incoming block
    await engine.addMeasures(ids.map((id, i) => ({ metricId: id, timestamps: [T0 + 5e6], values: [i] })));
    await engine.addMeasures([{ metricId: 'm2', timestamps: [], values: [] }]); // nothing to log
    const entries = engine.mirror.read(0, Infinity);
    assert.deepEqual(entries.map((e) => e.seq), [1, 2]);
    assert.deepEqual(measuresOf(entries), [['m1', T0, 1], ['m1', T0 + 1e6, 2], ...ids.map((id, i): [string, number, number] => [id, T0 + 5e6, i])]);
    assert.deepEqual(engine.mirror.backlog('a'), { entries: 2, measures: 72, oldestMs: entries[0].writtenAtMs });
    assert.ok(Math.abs(entries[0].writtenAtMs - Date.now()) < 60_000);

    // a read stops after about maxMeasures, but always gives one entry
    assert.deepEqual(engine.mirror.read(0, 1).map((e) => e.seq), [1]);
    assert.deepEqual(engine.mirror.read(1, 1).map((e) => e.seq), [2]);

    await engine.mirror.delivered('a', 2);
    assert.equal(engine.mirror.backlog('a').entries, 0);
    assert.equal(engine.mirror.backlog('b').entries, 2, 'b still waits: nothing is deleted');
    assert.equal(engine.mirror.read(0, Infinity).length, 2);
    await engine.mirror.delivered('b', 1);
    assert.deepEqual(engine.mirror.read(0, Infinity).map((e) => e.seq), [2], 'what every sink delivered is deleted');
    await engine.mirror.delivered('b', 1); // going back is ignored
    assert.deepEqual([...engine.mirror.sinks()], [['a', 2], ['b', 1]]);
  });

  it('keeps the cursors and the log across a reopening', async () => {
    await engine.close();
    engine = Engine.open({ path: dir });
    assert.deepEqual([...engine.mirror.sinks()], [['a', 2], ['b', 1]]);
    await engine.addMeasures([{ metricId: 'm3', timestamps: [T0], values: [3] }]);
    assert.deepEqual(engine.mirror.read(1, Infinity).map((e) => e.seq), [2, 3], 'numbers go on after a reopening');
  });

  it('starts a new sink at the end of the log and forgets a sink no longer named', async () => {
    await engine.mirror.register(['b', 'c']);
    assert.deepEqual([...engine.mirror.sinks()], [['b', 1], ['c', 3]]);
    await engine.mirror.delivered('b', 3);
    assert.deepEqual(engine.mirror.read(0, Infinity), [], 'b and c have everything');
    await engine.mirror.register([]);
    assert.equal(engine.mirror.active, false);
    await engine.addMeasures([{ metricId: 'm3', timestamps: [T0 + 1e6], values: [4] }]);
    assert.deepEqual(engine.mirror.read(0, Infinity), []);
  });

  it('bounds its size by giving up the oldest writes, counted per sink that had not delivered them', async () => {
    await engine.mirror.register(['slow', 'fast']);
    const big = Array.from({ length: 4000 }, (_, i) => T0 + i * 1e6);
    for (let w = 0; w < 20; w++) await engine.addMeasures([{ metricId: 'm4', timestamps: big.map((t) => t + w * 1e10), values: big.map(() => w) }]);
    const entries = engine.mirror.read(0, Infinity);
    assert.equal(entries.length, 20);
    await engine.mirror.delivered('fast', entries[9].seq);
    const before = engine.mirror.bytes();
    assert.ok(before > 20 * 4000 * 16, `the log takes its measures' bytes at least (${before})`);
    const dropped = await engine.mirror.bound(before / 2);
    assert.ok(engine.mirror.bytes() <= before / 2);
    const left = engine.mirror.read(0, Infinity);
    const gone = entries.length - left.length;
    assert.ok(gone >= 9 && gone < 20, `about half the entries went (${gone})`);
    assert.equal(left[0].seq, entries[gone].seq, 'the oldest went first');
    assert.equal(dropped.get('slow'), gone * 4000);
    assert.equal(dropped.get('fast') ?? 0, Math.max(0, gone - 10) * 4000, 'fast only loses what it had not delivered');
    // the totals are kept per sink, whichever sink's loop ran the bound
    assert.equal(engine.mirror.dropped('slow'), gone * 4000);
    assert.equal(engine.mirror.dropped('fast'), Math.max(0, gone - 10) * 4000);
    assert.equal(engine.mirror.backlog('slow').entries, left.length);
  });
});
