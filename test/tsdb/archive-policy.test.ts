import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_ARCHIVE_POLICIES,
  aggregationsOf,
  blockSize,
  makeArchivePolicy,
  parseMethod,
  rawBackWindow,
  resolveAggregationMethods,
} from '../../tsdb/archive-policy.js';
import { InvalidInputError, UnknownAggregationMethodError } from '../../tsdb/errors.js';

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidInputError, `expected InvalidInputError, got ${String(e)}`);
    return e.field;
  }
  assert.fail('expected an error');
}

describe('archive policies', () => {
  it('fills in the missing member of a definition as Gnocchi does', () => {
    const p = makeArchivePolicy({
      name: 'p',
      definition: [{ granularity: '1 hour', timespan: '7 days' }, { granularity: 60, points: 10 }, { points: 12, timespan: 3600 }],
    });
    assert.deepEqual(
      p.definition.map((d) => [d.granularity / 1e6, d.points, d.timespan === null ? null : d.timespan / 1e6]),
      [[60, 10, 600], [300, 12, 3600], [3600, 168, 604800]],
    );
    assert.equal(blockSize(p), 3600e6);
  });

  it('rounds the point count down when the timespan is not a multiple', () => {
    const p = makeArchivePolicy({ name: 'p', definition: [{ granularity: 7, timespan: 60 }] });
    assert.equal(p.definition[0].points, 8);
    assert.equal(p.definition[0].timespan, 56e6);
  });

  it('resolves +/- and * method lists', () => {
    assert.deepEqual(resolveAggregationMethods(undefined), ['count', 'max', 'mean', 'min', 'std', 'sum']);
    assert.deepEqual(resolveAggregationMethods(['-std', '+95pct']), ['95pct', 'count', 'max', 'mean', 'min', 'sum']);
    assert.deepEqual(resolveAggregationMethods(['mean', 'rate:last']), ['mean', 'rate:last']);
    assert.equal(resolveAggregationMethods(['*']).length, 2 * (9 + 99));
  });

  it('parses methods, percentiles and rates', () => {
    assert.deepEqual(parseMethod('rate:95pct'), { name: 'rate:95pct', base: 'quantile', q: 95, rate: true });
    assert.deepEqual(parseMethod('median'), { name: 'median', base: 'median', q: 0, rate: false });
    for (const bad of ['avg', '0pct', '100pct', 'rate:', 'p95']) {
      assert.throws(() => parseMethod(bad), UnknownAggregationMethodError);
    }
  });

  it('keeps one more raw block when a rate method is present', () => {
    const p = makeArchivePolicy({ name: 'p', back_window: 2, aggregation_methods: ['rate:mean'], definition: [{ granularity: 60 }] });
    assert.equal(rawBackWindow(p), 3);
  });

  it('names the offending field on bad input', () => {
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [] })), 'definition');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [{ granularity: 0 }] })), 'definition[0].granularity');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [{ granularity: 'soon' }] })), 'definition[0].granularity');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [{ granularity: 1e-9 }] })), 'definition[0].granularity');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [{ granularity: 60, points: 0 }] })), 'definition[0].points');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [{ granularity: 60, points: 10, timespan: 601 }] })), 'definition[0].timespan');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [{ points: 10 }] })), 'definition[0].granularity');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', definition: [{ granularity: 60 }, { granularity: '1 min' }] })), 'definition');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', back_window: -1, definition: [{ granularity: 60 }] })), 'back_window');
    assert.equal(fieldOf(() => makeArchivePolicy({ name: 'p', aggregation_methods: ['avg'], definition: [{ granularity: 60 }] })), 'aggregation_methods[0]');
  });

  it('ships Gnocchi and Ceilometer default policies', () => {
    const byName = new Map(DEFAULT_ARCHIVE_POLICIES.map((p) => [p.name, p]));
    assert.deepEqual([...byName.keys()].sort(), ['bool', 'ceilometer-high', 'ceilometer-high-rate', 'ceilometer-low', 'ceilometer-low-rate', 'high', 'low', 'medium']);
    const high = byName.get('high')!;
    assert.deepEqual(high.definition.map((d) => [d.granularity / 1e6, d.points]), [[1, 3600], [60, 10080], [3600, 8760]]);
    assert.equal(aggregationsOf(high).length, 18);
    assert.deepEqual(byName.get('ceilometer-low-rate')!.aggregationMethods, ['mean', 'rate:mean']);
    assert.equal(byName.get('bool')!.backWindow, 3600);
  });
});
