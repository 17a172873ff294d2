/**
 * Engine behaviour the comparison with Prometheus cannot reach or that is
 * easier to pin down alone: stale markers, lookback edges, result
 * formatting to the byte, typed errors, limits, and fetching each
 * selector once per query.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExecutionError, PromQLError } from '../../promql/errors.js';
import { formatResult, formatResultJSON } from '../../promql/format.js';
import { formatFloatE, formatFloatF } from '../../promql/go-float.js';
import { instantQuery, rangeQuery } from '../../promql/query.js';
import { MemorySource, type MemorySeries } from './memory-source.js';

const series = (name: string, labels: Record<string, string>, points: [number, number][]): MemorySeries => ({
  labels: [['__name__', name], ...Object.entries(labels)],
  timestamps: points.map((p) => p[0]),
  values: points.map((p) => p[1]),
});

/** Prometheus's stale marker, a NaN with its own bit pattern, at the given indexes */
function withStaleMarkers(s: MemorySeries, at: number[]): MemorySeries {
  const values = Float64Array.from(s.values);
  const words = new Uint32Array(values.buffer);
  for (const i of at) {
    words[2 * i] = 2;
    words[2 * i + 1] = 0x7ff00000;
  }
  return { ...s, values };
}

async function errorOf(p: Promise<unknown>): Promise<PromQLError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PromQLError, String(err));
    return err;
  }
  assert.fail('no error');
}

describe('PromQL engine', () => {
  it('treats a stale marker as no sample, in instant and range vectors', async () => {
    const src = new MemorySource([withStaleMarkers(series('m', {}, [[0, 1], [15_000, 2], [30_000, 0], [45_000, 4]]), [2])]);
    const at = async (ms: number): Promise<number[]> => {
      const r = await instantQuery(src, 'm', ms);
      return r.resultType === 'vector' ? r.result.map((s) => s.value) : [];
    };
    assert.deepEqual(await at(20_000), [2]);
    assert.deepEqual(await at(30_000), []);
    assert.deepEqual(await at(40_000), []);
    assert.deepEqual(await at(45_000), [4]);
    const c = await instantQuery(src, 'count_over_time(m[1m])', 60_000);
    assert.equal(c.resultType === 'vector' ? c.result[0].value : -1, 3);
  });

  it('looks back five minutes, both ends included, and can be told otherwise', async () => {
    const src = new MemorySource([series('m', {}, [[0, 7]])]);
    const count = async (ms: number, lookbackDeltaMs?: number): Promise<number> => {
      const r = await instantQuery(src, 'm', ms, { lookbackDeltaMs });
      return r.resultType === 'vector' ? r.result.length : -1;
    };
    assert.equal(await count(300_000), 1);
    assert.equal(await count(300_001), 0);
    assert.equal(await count(60_000, 30_000), 0);
  });

  it('writes results as Prometheus does, to the byte', async () => {
    const src = new MemorySource([series('m', { a: '<b>' }, [[1_500, 0.1], [2_000, 1e-7]])]);
    const v = await instantQuery(src, 'm', 1_500);
    assert.equal(formatResultJSON(v), '{"resultType":"vector","result":[{"metric":{"__name__":"m","a":"\\u003cb\\u003e"},"value":[1.500,"0.1"]}]}');
    assert.deepEqual(formatResult(v), { resultType: 'vector', result: [{ metric: { __name__: 'm', a: '<b>' }, value: [1.5, '0.1'] }] });
    const m = await rangeQuery(src, 'm * 1', 1_000, 3_000, 1_000);
    assert.equal(formatResultJSON(m), '{"resultType":"matrix","result":[{"metric":{"a":"\\u003cb\\u003e"},"values":[[2,"1e-07"],[3,"1e-07"]]}]}');
    assert.equal(formatResultJSON(await instantQuery(src, '1e-7', 1_000)), '{"resultType":"scalar","result":[1,"0.0000001"]}');
    assert.equal(formatResultJSON(await instantQuery(src, '"x"', 1_000)), '{"resultType":"string","result":[1,"x"]}');
    assert.deepEqual(formatResult(await instantQuery(src, '-Inf', 0)), { resultType: 'scalar', result: [0, '-Inf'] });
    assert.equal(formatFloatF(1e21), '1000000000000000000000');
    assert.equal(formatFloatF(0.000001234), '0.000001234');
    assert.equal(formatFloatE(1.5e-7), '1.5e-07');
    assert.equal(formatFloatE(2e100), '2e+100');
  });

  it('fails with Prometheus error types', async () => {
    const src = new MemorySource([series('a', { x: '1' }, [[0, 1]]), series('b', { x: '1' }, [[0, 2]]), series('c', { x: '1', y: '1' }, [[0, 1]]), series('c', { x: '1', y: '2' }, [[0, 1]])]);
    assert.equal((await errorOf(instantQuery(src, 'sum(', 0))).errorType, 'bad_data');
    const dup = await errorOf(instantQuery(src, 'rate({__name__=~"a|b"}[5m]) or -{__name__=~"a|b"}', 0));
    assert.equal(dup.errorType, 'execution');
    assert.match(dup.message, /vector cannot contain metrics with the same labelset/);
    const many = await errorOf(instantQuery(src, 'a + on(x) c', 0));
    assert.ok(many instanceof ExecutionError);
    assert.match(many.message, /^found duplicate series for the match group \{x="1"\} on the right hand-side of the operation: .*many-to-many matching not allowed/);
    assert.match((await errorOf(instantQuery(src, 'c + on(x) group_right a', 0))).message, /multiple matches for labels: grouping labels must ensure unique matches|on the left hand-side/);
    assert.equal((await errorOf(rangeQuery(src, 'a[5m]', 0, 60_000, 15_000))).errorType, 'bad_data');
    assert.equal((await errorOf(rangeQuery(src, 'a', 60_000, 0, 15_000))).errorType, 'bad_data');
    assert.equal((await errorOf(rangeQuery(src, 'a', 0, 1e9, 1))).errorType, 'bad_data');
    assert.equal((await errorOf(instantQuery(src, 'a', 0, { maxSamples: 0 }))).errorType, 'execution');
  });

  it('stops on timeout and on cancel', async () => {
    const points: [number, number][] = [];
    for (let i = 0; i < 20_000; i++) points.push([i * 15_000, i]);
    const many: MemorySeries[] = [];
    for (let k = 0; k < 50; k++) many.push(series('m', { k: String(k) }, points));
    const src = new MemorySource(many);
    const slow = 'max_over_time(sum_over_time(m[1h:15s])[1h:15s])';
    assert.equal((await errorOf(rangeQuery(src, slow, 0, 20_000 * 15_000, 60_000, { timeoutMs: 50 }))).errorType, 'timeout');
    const ac = new AbortController();
    ac.abort();
    assert.equal((await errorOf(instantQuery(src, 'm', 0, { signal: ac.signal }))).errorType, 'canceled');
  });

  it('fetches each selector once for a whole range query', async () => {
    const points: [number, number][] = [];
    for (let i = 0; i < 500; i++) points.push([i * 15_000, i]);
    const src = new MemorySource([series('m', { a: '1' }, points), series('n', { a: '1' }, points)]);
    const r = await rangeQuery(src, 'rate(m[5m]) + on(a) max_over_time(n[10m:1m])', 600_000, 7_000_000, 30_000);
    assert.equal(src.selects, 2);
    assert.equal(r.resultType, 'matrix');
    assert.equal(r.resultType === 'matrix' ? r.result[0].values.length : 0, Math.floor((7_000_000 - 600_000) / 30_000) + 1);
  });
});
