/**
 * collector/tsdb-sink.ts, the way scraped series reach the store, on a real
 * engine and index: a steady-state write of 10,000 series makes no index
 * query and one engine write; metrics deleted behind its back are
 * re-created and the write retried; concurrent writers share a flush.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resourceOf } from '../../collector/prometheus/series-mapping.js';
import { type Measures, TsdbSink } from '../../collector/tsdb-sink.js';
import { Engine } from '../../tsdb/engine.js';
import { Index } from '../../tsdb/index/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-sink-'));
let engine: Engine;
let index: Index;
let sqlCalls = 0;
let engineWrites = 0;

before(async () => {
  engine = Engine.open({ path: join(dir, 'tsdb') });
  index = await Index.open(join(dir, 'index'));
  const sql = index.sql;
  const query = sql.query.bind(sql);
  const transaction = sql.transaction.bind(sql);
  sql.query = ((text: string, params?: readonly unknown[]) => {
    sqlCalls++;
    return query(text, params);
  }) as typeof sql.query;
  sql.transaction = ((fn) => {
    sqlCalls++;
    return transaction(fn);
  }) as typeof sql.transaction;
  const add = engine.addMeasureColumns.bind(engine);
  engine.addMeasureColumns = (columns, keys) => {
    engineWrites++;
    return add(columns, keys);
  };
});

after(async () => {
  await engine.close();
  await index.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (s: number): number => (1_700_000_000 + s) * 1e6;
const one = (t: number, v: number): Measures => ({ timestamps: [t], values: [v] });

describe('TsdbSink', () => {
  const resource = resourceOf('node', '10.0.0.1:9100', 'admin:');
  const names = Array.from({ length: 10_000 }, (_, i) => `node_x{i="${i}"}`);

  test('10,000 series: the first write finds them, the next ones make no index query and one engine write', async () => {
    // created in bulk here: upsertResourceMetrics makes them one by one, which takes long (see collector/prometheus/README.md)
    await index.resourceTypes.create('prometheus', resource.typeAttributes ?? {});
    const links = Object.fromEntries(names.slice(0, 9_990).map((n) => [n, { archivePolicyName: 'low', unit: null }]));
    const { createdMetrics } = await index.resources.create('prometheus', { id: resource.id, originalResourceId: resource.originalId, creator: 'admin:', attributes: resource.attributes, metrics: links });
    const low = await index.archivePolicies.get('low');
    assert.ok(low);
    await Promise.all(createdMetrics.map((m) => engine.createMetric(m.id, low)));

    const sink = new TsdbSink(engine, index);
    await sink.write([{ upsert: resource, measures: new Map(names.map((n, i) => [n, one(at(0), i)])) }]);
    assert.ok(sink.stats.indexLookups > 0);
    assert.equal(sink.cachedMetrics(), 10_000);
    const metrics = await index.metrics.list({ resourceId: resource.id });
    assert.equal(metrics.length, 10_000);
    const r = await index.resources.get('prometheus', resource.id);
    assert.equal(r?.originalResourceId, 'node@10.0.0.1:9100');

    for (let round = 1; round <= 3; round++) {
      const [sql0, add0, lookups0] = [sqlCalls, engineWrites, sink.stats.indexLookups];
      await sink.write([{ upsert: resource, measures: new Map(names.map((n, i) => [n, one(at(round * 10), i + round)])) }]);
      assert.equal(sqlCalls - sql0, 0, 'index queries in a steady-state write');
      assert.equal(engineWrites - add0, 1, 'engine writes in a steady-state write');
      assert.equal(sink.stats.indexLookups, lookups0);
    }
    assert.equal(sink.stats.measures, 40_000);

    await engine.processAll();
    const m = metrics.find((x) => x.name === 'node_x{i="42"}');
    assert.ok(m);
    assert.deepEqual(engine.backlog().get(m.id), undefined);
  });

  test('values the store cannot keep are refused at append, the rest is written', async () => {
    const sink = new TsdbSink(engine, index);
    const slot = sink.slot(resource, 'node_x{i="1"}');
    assert.equal(sink.append(slot, at(100), Number.NaN), false);
    assert.equal(sink.append(slot, at(100), Number.POSITIVE_INFINITY), false);
    assert.equal(sink.append(slot, -1, 1), false);
    assert.equal(sink.append(slot, at(100), 7), true);
    await sink.flush();
    assert.equal(sink.stats.rejected, 3);
    assert.equal(sink.stats.measures, 1);
  });

  test('a metric deleted through the API is created again and the write retried once', async () => {
    const sink = new TsdbSink(engine, index);
    const own = resourceOf('node', 'deleted:1', 'admin:');
    await sink.write([{ upsert: own, measures: new Map([['a', one(at(0), 1)], ['b', one(at(0), 2)]]) }]);
    const [a] = (await index.metrics.list({ resourceId: own.id })).filter((m) => m.name === 'a');
    // as DELETE /v1/metric/<id> does
    await index.metrics.delete(a.id);
    await engine.deleteMetric(a.id);
    const add0 = engineWrites;
    await sink.write([{ upsert: own, measures: new Map([['a', one(at(10), 3)], ['b', one(at(10), 4)]]) }]);
    assert.equal(engineWrites - add0, 2, 'the failed call and its retry');
    const again = (await index.metrics.list({ resourceId: own.id })).find((m) => m.name === 'a');
    assert.ok(again && again.id !== a.id);
    assert.ok(engine.hasMetric(again.id));
    await engine.processAll();
    const points = engine.read(again.id, { method: 'mean', granularity: engine.policyOf(again.id).definition[0].granularity });
    assert.deepEqual([...points.values.subarray(0, points.length)], [3]);
  });

  test('a metric the index has but the engine lost gets its series back', async () => {
    const sink = new TsdbSink(engine, index);
    const own = resourceOf('node', 'orphan:1', 'admin:');
    await sink.write([{ upsert: own, measures: new Map([['a', one(at(0), 1)]]) }]);
    const [a] = await index.metrics.list({ resourceId: own.id });
    await engine.deleteMetric(a.id);
    await sink.write([{ upsert: own, measures: new Map([['a', one(at(10), 5)]]) }]);
    assert.ok(engine.hasMetric(a.id));
    assert.equal(engine.backlog().get(a.id), 1);
  });

  test('writers during a flush share the next one', async () => {
    await new TsdbSink(engine, index).write([{ upsert: resource, measures: new Map([['shared', one(at(0), 0)]]) }]);
    const sink = new TsdbSink(engine, index);
    const add0 = engineWrites;
    const writes = [1, 2, 3, 4].map((i) => sink.write([{ upsert: resource, measures: new Map([['shared', one(at(i), i)]]) }]));
    await Promise.all(writes);
    assert.equal(engineWrites - add0, 2, 'the first write, then the three that came during it together');
    assert.equal(sink.stats.measures, 4);
    // a flush waits its turn (minFlushIntervalMs): what comes meanwhile joins it
    const paced = new TsdbSink(engine, index, { minFlushIntervalMs: 300 });
    await paced.write([{ upsert: resource, measures: new Map([['shared', one(at(10), 10)]]) }]);
    const add1 = engineWrites;
    const t0 = performance.now();
    await Promise.all([11, 12, 13].map((i) => paced.write([{ upsert: resource, measures: new Map([['shared', one(at(i), i)]]) }])));
    assert.ok(performance.now() - t0 >= 250, 'waited for its turn');
    assert.equal(engineWrites - add1, 1);
  });

  test('flushNow does not wait for the flush\'s turn', async () => {
    const sink = new TsdbSink(engine, index, { minFlushIntervalMs: 60_000 });
    await sink.write([{ upsert: resource, measures: new Map([['shared', one(at(20), 20)]]) }]);
    sink.append(sink.slot(resource, 'shared'), at(21), 21);
    const waiting = sink.flush();
    const t0 = performance.now();
    await sink.flushNow();
    await waiting;
    assert.ok(performance.now() - t0 < 10_000);
    assert.equal(sink.stats.measures, 2);
  });

  test('a resource that cannot be created fails alone', async () => {
    const sink = new TsdbSink(engine, index);
    await index.resourceTypes.create('other', {}).catch(() => undefined);
    const clash = resourceOf('node', 'clash:1', 'admin:');
    await index.resources.create('other', { id: clash.id, originalResourceId: 'clash', creator: 'admin:', metrics: {} });
    const fine = resourceOf('node', 'fine:1', 'admin:');
    await assert.rejects(
      sink.write([
        { upsert: clash, measures: new Map([['a', one(at(0), 1)]]) },
        { upsert: fine, measures: new Map([['a', one(at(0), 1)]]) },
      ]),
      /node@clash:1: .*already exists/,
    );
    assert.equal((await index.metrics.list({ resourceId: fine.id })).length, 1);
    assert.equal(sink.stats.measures, 1);
  });
});
