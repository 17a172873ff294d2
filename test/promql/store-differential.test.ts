/**
 * PromQL through tally's store and HTTP API against the real Prometheus
 * 2.42: the same samples are remote-written into a running tally (Prometheus
 * remote write, `POST /api/v1/write`, kept at 15 s with `last`, so each
 * stored point is a sample) and backfilled into Prometheus, then the
 * differential suite (differential-run.ts) runs every query through both
 * HTTP APIs, as Grafana would send it.
 *
 * The store keeps finite numbers and stamps a point with the start of its
 * 15 s bucket, so the data set here is the engine test's without its NaN and
 * ±Inf samples and without the one series sampled off the 15 s grid; both
 * sides get exactly that.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeWriteRequest } from '../../tsdb/api/routes/prometheus.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { STEP_S, buildDataset, toOpenMetrics } from './dataset.js';
import { type Outcome, compareAll, fromApi } from './differential-run.js';
import { type ApiAnswer, type Oracle, startOracle } from './prometheus-oracle.js';
import { QUERIES } from './queries.js';

type Families = ReturnType<typeof buildDataset>;

/** The samples the store keeps as they are: finite values, on the 15 s grid. */
function storable(families: Families): Families {
  return families.map((f) => ({
    name: f.name,
    series: f.series
      .filter((s) => s.t.every((t) => t % STEP_S === 0))
      .map((s) => {
        const keep = s.v.map((v) => Number.isFinite(v));
        return { labels: s.labels, t: s.t.filter((_, i) => keep[i]), v: s.v.filter((_, i) => keep[i]) };
      })
      .filter((s) => s.t.length > 0),
  }));
}

describe('PromQL through the store and the HTTP API vs Prometheus 2.42', { timeout: 300_000, ...requires('prometheus') }, () => {
  const families = storable(buildDataset());
  let oracle: Oracle;
  let tally: TestServer;

  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${tally.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(res.ok, `${path}: ${res.status} ${await res.text()}`);
  };
  const ask = async (path: string, params: Record<string, string>): Promise<Outcome> => {
    const res = await fetch(`${tally.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
    return fromApi((await res.json()) as ApiAnswer);
  };

  before(async () => {
    [oracle, tally] = await Promise.all([startOracle(toOpenMetrics(families)), startTestServer()]);
    await post('/v1/archive_policy', { name: 'promql-samples', aggregation_methods: ['last'], definition: [{ granularity: `${STEP_S}s`, timespan: '400 days' }] });
    // rules of patterns as long are taken by name: before the default rule's
    await post('/v1/archive_policy_rule', { name: 'a-promql-samples', metric_pattern: '*', archive_policy_name: 'promql-samples' });
    const series = families.flatMap((f) =>
      f.series.map((s) => ({
        labels: [{ name: '__name__', value: f.name }, ...Object.entries(s.labels).map(([name, value]) => ({ name, value }))],
        samples: s.t.map((t, i) => ({ value: s.v[i], timestamp_ms: t * 1000 })),
      })),
    );
    const res = await fetch(`${tally.url}/api/v1/write`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(encodeWriteRequest(series)) });
    assert.equal(res.status, 204, await res.text());
  });

  after(async () => {
    await Promise.all([oracle?.stop(), tally?.close()]);
  });

  it(`agrees on ${QUERIES.length} queries, instant and range`, async (t) => {
    const { agreed, failures } = await compareAll(oracle, {
      instant: (query, timeS) => ask('/api/v1/query', { query, time: String(timeS) }),
      range: (query, s, e, step) => ask('/api/v1/query_range', { query, start: String(s), end: String(e), step: String(step) }),
    });
    console.log(`PromQL through tally's store and API vs Prometheus 2.42: ${agreed}/${QUERIES.length} queries agree`);
    reportCompat(t, 'prometheus-promql', agreed, QUERIES.length, 'store and HTTP API');
    if (failures.length > 0) console.log(failures.join('\n\n'));
    assert.equal(failures.length, 0, `${failures.length} queries disagree`);
  });
});
