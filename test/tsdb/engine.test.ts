import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeArchivePolicy } from '../../tsdb/archive-policy.js';
import { aggregateAcross } from '../../tsdb/cross-aggregate.js';
import { Engine } from '../../tsdb/engine.js';
import { AggregationNotFoundError, InvalidInputError, MetricExistsError, MetricNotFoundError, UnaggregableSeriesError } from '../../tsdb/errors.js';

const S = 1_000_000;
const T0 = Date.UTC(2024, 0, 1) * 1000;

describe('engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-engine-'));
  let engine: Engine;
  const policy = makeArchivePolicy({ name: 'p', aggregation_methods: ['mean', 'count', 'sum'], definition: [{ granularity: 60, points: 5 }, { granularity: 3600 }] });

  before(async () => {
    engine = Engine.open({ path: dir });
    await engine.createMetric('m', policy);
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad batch whole, naming the field, and writes nothing', async () => {
    const cases: [number[], number[], string][] = [
      [[T0, T0 + S], [1, NaN], 'measures[1][1].value'],
      [[T0, T0 + S], [Infinity, 1], 'measures[1][0].value'],
      [[T0, NaN], [1, 2], 'measures[1][1].timestamp'],
      [[-5 * S], [1], 'measures[1][0].timestamp'],
      [[T0, T0 + S], [1], 'measures[1]'],
    ];
    for (const [timestamps, values, field] of cases) {
      await assert.rejects(
        engine.addMeasures([{ metricId: 'm', timestamps: [T0], values: [1] }, { metricId: 'm', timestamps, values }]),
        (e: unknown) => e instanceof InvalidInputError && e.field === field,
        field,
      );
    }
    await assert.rejects(engine.addMeasures([{ metricId: 'm', timestamps: [T0], values: [1] }, { metricId: 'nope', timestamps: [T0], values: [1] }]), MetricNotFoundError);
    assert.equal(engine.pendingEntries(), 0, 'a rejected call leaves nothing behind');
  });

  it('knows its metrics', async () => {
    await assert.rejects(engine.createMetric('m', policy), MetricExistsError);
    assert.throws(() => engine.read('nope', { method: 'mean', granularity: 60 * S }), MetricNotFoundError);
    assert.throws(() => engine.read('m', { method: 'max', granularity: 60 * S }), AggregationNotFoundError);
    assert.throws(() => engine.read('m', { method: 'mean', granularity: 61 * S }), AggregationNotFoundError);
  });

  it('aggregates in the background and keeps only the retained points', async () => {
    const processor = engine.startProcessor({ intervalMs: 10 });
    const ts = Array.from({ length: 600 }, (_, i) => T0 + i * 10 * S);
    await engine.addMeasures([{ metricId: 'm', timestamps: ts, values: ts.map(() => 2) }]);
    for (let i = 0; i < 200 && engine.pendingEntries() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await processor.stop();
    assert.equal(engine.pendingEntries(), 0);
    const perMinute = engine.read('m', { method: 'count', granularity: 60 * S });
    assert.deepEqual(Array.from(perMinute.values), [6, 6, 6, 6, 6], '5 points of retention');
    assert.equal(perMinute.ts[4], T0 + 99 * 60 * S);
    const hourly = engine.read('m', { method: 'sum', granularity: 3600 * S });
    assert.deepEqual(Array.from(hourly.values), [720, 480]);
    const window = engine.read('m', { method: 'sum', granularity: 3600 * S, from: T0 + 1800 * S, to: T0 + 3600 * S });
    assert.deepEqual(Array.from(window.values), [720], 'from is rounded down to the granularity, to is exclusive');
  });

  it('aggregates on a worker thread; this thread sees the results at once', async () => {
    await engine.createMetric('threaded', policy);
    const processor = engine.startProcessor({ intervalMs: 5, thread: true });
    try {
      for (let round = 1; round <= 3; round++) {
        await engine.addMeasures([{ metricId: 'threaded', timestamps: [T0 + round * 60 * S], values: [round] }]);
        processor.sweepSoon();
        let seen = 0;
        for (let i = 0; i < 500 && seen < round; i++) {
          await new Promise((r) => setTimeout(r, 5));
          seen = engine.read('threaded', { method: 'count', granularity: 60 * S }).length;
        }
        assert.equal(seen, round, `round ${round} aggregated by the worker and visible here`);
      }
      // a metric deleted and re-created with another policy is seen as new by the worker
      await engine.deleteMetric('threaded');
      await engine.createMetric('threaded', makeArchivePolicy({ name: 'q', aggregation_methods: ['max'], definition: [{ granularity: 120 }] }));
      await engine.addMeasures([{ metricId: 'threaded', timestamps: [T0], values: [9] }]);
      processor.sweepSoon();
      let points = 0;
      for (let i = 0; i < 500 && points === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
        points = engine.read('threaded', { method: 'max', granularity: 120 * S }).length;
      }
      assert.equal(points, 1);
    } finally {
      await processor.stop();
    }
    assert.equal(engine.read('threaded', { method: 'max', granularity: 120 * S }).values[0], 9);
  });

  it('survives a reopen with its data and deletes metrics whole', async () => {
    await engine.close();
    engine = Engine.open({ path: dir });
    assert.equal(engine.read('m', { method: 'sum', granularity: 3600 * S }).length, 2);
    await engine.createMetric('gone', policy);
    await engine.addMeasures([{ metricId: 'gone', timestamps: [T0], values: [1] }]);
    await engine.processAll();
    await engine.addMeasures([{ metricId: 'gone', timestamps: [T0 + S], values: [1] }]);
    await engine.deleteMetric('gone');
    assert.equal(engine.hasMetric('gone'), false);
    assert.equal(engine.pendingEntries(), 0);
    await engine.createMetric('gone', policy);
    assert.equal(engine.read('gone', { method: 'count', granularity: 60 * S }).length, 0, 'a re-created metric starts empty');
  });

  it('folds writes of many metrics (incoming blocks) once, across reopens and two engines on one store', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `b${i}`);
    for (const id of ids) await engine.createMetric(id, policy);
    // three writes of 100 metrics each: blocks; metric bK gets K+1, K+2, K+3 in minute 0, 1, 2
    for (let w = 0; w < 3; w++) {
      await engine.addMeasures(ids.map((id, k) => ({ metricId: id, timestamps: [T0 + w * 60 * S], values: [k + w + 1] })));
    }
    assert.equal(engine.backlog().get('b7'), 3);
    assert.equal(engine.hasPending('b7'), true);
    // a metric deleted and re-created while its measures wait in blocks starts empty
    await engine.deleteMetric('b3');
    await engine.createMetric('b3', policy);
    // a partial sweep (30 of 100 metrics) by this engine, the next step by another engine on the store, then a reopen
    assert.ok(engine.processPending(30) > 0);
    const other = Engine.open({ path: dir });
    try {
      assert.ok(other.processPending(30) > 0);
    } finally {
      await other.close();
    }
    await engine.close();
    engine = Engine.open({ path: dir });
    // a read with refresh folds the rest of the blocks
    engine.processMetrics(['b99']);
    assert.equal(engine.hasPending('b99'), false);
    assert.equal(engine.pendingEntries(), 0);
    for (const [k, id] of ids.entries()) {
      const sums = engine.read(id, { method: 'sum', granularity: 60 * S });
      const counts = engine.read(id, { method: 'count', granularity: 60 * S });
      if (id === 'b3') {
        assert.equal(sums.length, 0, 'the re-created metric got none of the old measures');
        continue;
      }
      assert.deepEqual(Array.from(counts.values), [1, 1, 1], `${id}: each measure once`);
      assert.deepEqual(Array.from(sums.values), [k + 1, k + 2, k + 3], id);
    }
  });

  it('refuses to aggregate metrics without a common granularity', async () => {
    await engine.createMetric('other', makeArchivePolicy({ name: 'o', aggregation_methods: ['mean'], definition: [{ granularity: 300 }] }));
    assert.throws(
      () => aggregateAcross(engine, [{ metricId: 'm', method: 'mean' }, { metricId: 'other', method: 'mean' }], ['aggregate', 'mean', ['metric', ['m', 'mean'], ['other', 'mean']]]),
      (e: unknown) => e instanceof UnaggregableSeriesError && e.reason === 'No granularity match',
    );
    assert.throws(
      () => aggregateAcross(engine, [{ metricId: 'm', method: 'mean' }, { metricId: 'other', method: 'mean' }], ['metric', ['m', 'mean'], ['other', 'mean']], { granularities: [60 * S] }),
      (e: unknown) => e instanceof UnaggregableSeriesError && e.reason === 'Granularities are missing',
    );
    assert.throws(() => aggregateAcross(engine, [{ metricId: 'other', method: 'max' }], ['metric', 'other', 'max']), AggregationNotFoundError);
  });
});

describe('engine caches', () => {
  it('stay within metric_cache_size, and a metric forgotten is read again, folded and read alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-engine-cache-'));
    const engine = Engine.open({ path: dir, metricCacheSize: 3 });
    try {
      const policy = makeArchivePolicy({ name: 'p', aggregation_methods: ['sum'], definition: [{ granularity: 60, points: 10 }] });
      const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
      for (const id of ids) await engine.createMetric(id, policy);
      for (let round = 0; round < 3; round++) {
        await engine.addMeasures(ids.map((id, i) => ({ metricId: id, timestamps: [T0 + round * S], values: [i] })));
        assert.deepEqual(engine.unknownMetrics(ids), []);
        await engine.processAll();
        const caches = engine.caches();
        assert.ok(caches.metricStates <= 3 && caches.knownMetrics <= 3, JSON.stringify(caches));
      }
      for (const [i, id] of ids.entries()) assert.deepEqual(Array.from(engine.read(id, { method: 'sum', granularity: 60 * S }).values), [3 * i], id);
      // one plan per policy, shared: the states of 1,000 metrics cost little
      const many = Engine.open({ path: join(dir, 'many') });
      await many.ensureMetrics(Array.from({ length: 1000 }, (_, i) => ({ id: `x${i}`, policy })));
      assert.equal(many.caches().metricStates, 1000);
      await many.close();
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
