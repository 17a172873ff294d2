/**
 * The PromQL engine against the real Prometheus 2.42 on the same samples:
 * a deterministic data set is backfilled into a fresh Prometheus with
 * promtool and loaded into an in-memory SeriesSource, and the differential
 * suite (differential-run.ts) runs on both.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatResult } from '../../promql/format.js';
import { PromQLError } from '../../promql/errors.js';
import { instantQuery, rangeQuery } from '../../promql/query.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { buildDataset, toMemorySeries, toOpenMetrics } from './dataset.js';
import { type Outcome, compareAll } from './differential-run.js';
import { MemorySource } from './memory-source.js';
import { type Oracle, startOracle } from './prometheus-oracle.js';
import { QUERIES } from './queries.js';

async function ours(run: () => Promise<Parameters<typeof formatResult>[0]>): Promise<Outcome> {
  try {
    return { ok: true, data: formatResult(await run()) };
  } catch (err) {
    if (err instanceof PromQLError) return { ok: false, errorType: err.errorType, error: err.message };
    return { ok: false, errorType: 'internal', error: String((err as Error).stack) };
  }
}

describe('PromQL engine vs Prometheus 2.42', { timeout: 120_000, ...requires('prometheus') }, () => {
  let oracle: Oracle;
  const families = buildDataset();
  const source = new MemorySource(toMemorySeries(families));

  before(async () => {
    oracle = await startOracle(toOpenMetrics(families));
  });
  after(async () => {
    await oracle?.stop();
  });

  it(`agrees on ${QUERIES.length} queries, instant and range`, async (t) => {
    const { agreed, failures } = await compareAll(oracle, {
      instant: (q, timeS) => ours(() => instantQuery(source, q, timeS * 1000)),
      range: (q, s, e, step) => ours(() => rangeQuery(source, q, s * 1000, e * 1000, step * 1000)),
    });
    console.log(`PromQL vs Prometheus 2.42: ${agreed}/${QUERIES.length} queries agree`);
    reportCompat(t, 'prometheus-promql', agreed, QUERIES.length, 'engine');
    if (failures.length > 0) console.log(failures.join('\n\n'));
    assert.equal(failures.length, 0, `${failures.length} queries disagree`);
  });
});
