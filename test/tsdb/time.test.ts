import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '../../tsdb/errors.js';
import { formatTimestamp, parseTimespanSeconds, parseTimestamp } from '../../tsdb/time.js';

describe('timestamps and timespans', () => {
  it('parses epoch seconds, ISO 8601 and offsets', () => {
    assert.equal(parseTimestamp('t', 1400000000.5), 1400000000500000);
    assert.equal(parseTimestamp('t', '1400000000'), 1400000000000000);
    assert.equal(parseTimestamp('t', '2014-01-01T12:00:01.123456'), Date.UTC(2014, 0, 1, 12, 0, 1) * 1000 + 123456);
    assert.equal(parseTimestamp('t', '2014-01-01 12:00:00+02:00'), Date.UTC(2014, 0, 1, 10) * 1000);
    assert.equal(parseTimestamp('t', '2014-01-01T12:00:00Z'), Date.UTC(2014, 0, 1, 12) * 1000);
    assert.equal(parseTimestamp('t', '2014-01-01'), Date.UTC(2014, 0, 1) * 1000);
  });

  it('parses timestamps relative to now', () => {
    const now = () => 1_000_000_000_000;
    assert.equal(parseTimestamp('t', '-5 minutes', now), (1_000_000_000_000 - 300_000) * 1000);
  });

  it('rejects what it cannot parse, naming the field', () => {
    for (const bad of ['yesterday-ish', '2014-13-01T00:00:00', '', NaN, Infinity, null, {}]) {
      assert.throws(() => parseTimestamp('measures[3].timestamp', bad), (e: unknown) => e instanceof InvalidInputError && e.field === 'measures[3].timestamp');
    }
  });

  it('parses timespans', () => {
    assert.equal(parseTimespanSeconds('g', '5 minutes'), 300);
    assert.equal(parseTimespanSeconds('g', '1h30m'), 5400);
    assert.equal(parseTimespanSeconds('g', '365 days'), 365 * 86400);
    assert.equal(parseTimespanSeconds('g', '1 day, 0:00:00'), 86400);
    assert.equal(parseTimespanSeconds('g', '0:05:00'), 300);
    assert.equal(parseTimespanSeconds('g', 2.5), 2.5);
    assert.throws(() => parseTimespanSeconds('g', '5 fortnights'), InvalidInputError);
  });

  it('formats as Gnocchi does', () => {
    assert.equal(formatTimestamp(Date.UTC(2014, 0, 1, 12) * 1000), '2014-01-01T12:00:00+00:00');
    assert.equal(formatTimestamp(Date.UTC(2014, 0, 1, 12) * 1000 + 1500), '2014-01-01T12:00:00.001500+00:00');
  });
});
