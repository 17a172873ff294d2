/** The fast reader of metrics batches must give exactly what JSON.parse and the general measures reader give, or step aside. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { readFastBatch } from '../../tsdb/api/batch-body.js';
import { parseMeasures } from '../../tsdb/api/routes/metrics.js';

/** A value as clients write them: integers, short decimals, long ones, tiny and huge, negative. */
function randomValue(i: number): number {
  switch (i % 6) {
    case 0: return Math.floor(Math.random() * 1e6);
    case 1: return Math.round(Math.random() * 1e4) / 100;
    case 2: return Math.random() * 1e3;
    case 3: return -Math.random() * 1e-7;
    case 4: return Math.random() * 1e300;
    default: return -Math.floor(Math.random() * 2 ** 53);
  }
}

describe('fast batch reader', () => {
  it('reads what the general path reads, to the bit', () => {
    for (let round = 0; round < 50; round++) {
      const body: Record<string, { timestamp: number; value: number }[]> = {};
      for (let m = 0; m < 5; m++) {
        body[randomUUID()] = Array.from({ length: 200 }, (_, i) => ({ timestamp: 1_700_000_000 + i * (round % 3 === 0 ? 0.001 : 10), value: randomValue(i + round) }));
      }
      for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2)]) {
        const fast = readFastBatch(text);
        assert.ok(fast, 'the common form is read fast');
        const general = Object.entries(JSON.parse(text) as Record<string, unknown>).map(([id, ms]) => ({ id, ...parseMeasures(ms) }));
        assert.equal(fast.length, general.length);
        fast.forEach((b, k) => {
          assert.equal(b.metricId, general[k].id);
          assert.deepEqual([...b.timestamps], general[k].timestamps);
          assert.deepEqual([...b.values].map((v) => Object.is(v, -0) ? 0 : v), general[k].values.map((v) => Object.is(v, -0) ? 0 : v));
        });
      }
    }
  });

  it('reads ISO 8601 timestamps as the general reader does', () => {
    const stamps = ['2024-01-01T00:00:10', '2024-02-29 23:59:59.5', '2024-03-01T10:00:00.123456789Z', '2024-03-01T10:00:00+02:00', '2023-12-31T22:30:00-01:30', '1970-01-01T00:00:00Z'];
    const body = { [randomUUID()]: stamps.map((timestamp, i) => ({ timestamp, value: i })) };
    const text = JSON.stringify(body);
    const fast = readFastBatch(text);
    assert.ok(fast, 'ISO text is read fast');
    assert.deepEqual([...fast[0].timestamps], parseMeasures(Object.values(body)[0]).timestamps);
    // other text forms, and text mixed with numbers, go the general way
    for (const t of ['-10 minutes', 'now', '2024-01-01', '2024-13-01T00:00:00']) {
      assert.equal(readFastBatch(JSON.stringify({ [randomUUID()]: [{ timestamp: t, value: 1 }] })), null, t);
    }
    assert.equal(readFastBatch(JSON.stringify({ [randomUUID()]: [{ timestamp: '2024-01-01T00:00:00', value: 1 }, { timestamp: 10, value: 1 }] })), null);
  });

  it('reads key order, exponents and empty lists as JSON does', () => {
    const id = randomUUID();
    const fast = readFastBatch(`{"${id}": [{"value": 1.5e3, "timestamp": 10}, {"timestamp": 2E1, "value": -0.25}], "${randomUUID()}": []}`);
    assert.deepEqual(fast?.map((b) => [[...b.timestamps], [...b.values]]), [[[10e6, 20e6], [1500, -0.25]], [[], []]]);
    assert.deepEqual(readFastBatch(' {} '), []);
  });

  it('steps aside for anything else, so that the general path answers', () => {
    const id = randomUUID();
    for (const text of [
      `{"${id}": [{"timestamp": 1, "value": "1"}]}`,
      `{"${id}": [{"timestamp": 1, "value": 1, "extra": 2}]}`,
      `{"${id}": [{"timestamp": 1}]}`,
      `{"${id}": [{"timestamp": -1, "value": 1}]}`,
      `{"${id}": [{"timestamp": 1., "value": 1}]}`,
      `{"${id}": {"timestamp": 1, "value": 1}}`,
      `{"a\\"b": []}`,
      `{"${id}": [{"timestamp": 1, "value": 1}]} trailing`,
      `[]`,
      ``,
    ]) {
      assert.equal(readFastBatch(text), null, text);
    }
  });
});
