/**
 * The sinks against real receivers: the QuestDB sink's ILP over HTTP into
 * VictoriaMetrics 1.79 (its /write takes line protocol; no QuestDB server
 * installs here), and the remote-write sink into Prometheus 2.42's receiver.
 * Measures are written through the API in rounds, small writes (one metric:
 * incoming entries) and large ones (70 metrics: an incoming block); the
 * receiver is stopped for some rounds and started again on its data; every
 * measure must then be in it, read back through its own query API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.js';
import { type Service, startPrometheus, startVictoriaMetrics } from '../helpers/prometheus-services.js';
import { loadConfig } from '../../cli/config.js';
import { startServer } from '../../cli/server.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const RESOURCES = 70;
/** what the helpers below need of a running tally */
type Served = Pick<TestServer, 'url'>;
const ROUNDS = 9;
/** rounds written while the receiver is down */
const DOWN_FROM = 3;
const DOWN_UNTIL = 6;

const PROJECT = '9c6b2c4e5d4b4a3f8e1d2c3b4a596877';
const USER = '1f2e3d4c5b6a47988776655443322110';
// one id with the characters line protocol escapes
const resourceId = (r: number): string => (r === 7 ? 'vm 007,zone=a\\b' : `vm-${String(r).padStart(3, '0')}`);

interface Written {
  /** resource's original id (or "metric" for the metric without resource) → ms → value */
  readonly measures: Map<string, Map<number, number>>;
  standaloneMetricId: string;
}

async function api(server: Served, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

async function createCloud(server: Served): Promise<Written> {
  for (let r = 0; r < RESOURCES; r++) {
    await api(server, 'POST', '/v1/resource/generic', { id: resourceId(r), project_id: PROJECT, user_id: USER, metrics: { 'cpu.util': { archive_policy_name: 'low', unit: '%' } } });
  }
  const metric = (await api(server, 'POST', '/v1/metric', { archive_policy_name: 'low', unit: 'B' })) as { id: string };
  return { measures: new Map(), standaloneMetricId: metric.id };
}

/** One round: every resource's metric in one write (a block), then the standalone metric alone (an entry), then one resource alone. */
async function writeRound(server: Served, w: Written, round: number, t0: number): Promise<void> {
  const note = (key: string, ms: number, value: number): void => {
    let m = w.measures.get(key);
    if (!m) w.measures.set(key, (m = new Map()));
    m.set(ms, value);
  };
  const ms = t0 + round * 2000;
  const batch: Record<string, Record<string, { timestamp: string; value: number }[]>> = {};
  for (let r = 0; r < RESOURCES; r++) {
    const value = round * 1000 + r + 0.25;
    batch[resourceId(r)] = { 'cpu.util': [{ timestamp: new Date(ms).toISOString(), value }] };
    note(resourceId(r), ms, value);
  }
  await api(server, 'POST', '/v1/batch/resources/metrics/measures', batch);
  await api(server, 'POST', `/v1/metric/${w.standaloneMetricId}/measures`, [{ timestamp: new Date(ms).toISOString(), value: round + 0.5 }]);
  note('metric', ms, round + 0.5);
  await api(server, 'POST', `/v1/resource/generic/${encodeURIComponent(resourceId(0))}/metric/cpu.util/measures`, [{ timestamp: new Date(ms + 1000).toISOString(), value: -round - 0.5 }]);
  note(resourceId(0), ms + 1000, -round - 0.5);
}

/** A sink's series on tally's /metrics. */
async function sinkReading(server: Served, name: string, sink: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{sink="${sink}"}`));
  assert.ok(line, `${name}{sink="${sink}"} on /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > end) assert.fail(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 300));
    last = await read();
  }
  return last;
}

/** Writes the rounds, the receiver down for some of them; returns what was written. */
async function writeAcrossRestart(server: TestServer, sink: string, stopReceiver: () => Promise<void>, startReceiver: () => Promise<void>, extra?: (round: number) => Promise<void>): Promise<Written> {
  const w = await createCloud(server);
  const t0 = Date.now() - ROUNDS * 2000;
  for (let round = 0; round < ROUNDS; round++) {
    if (round === DOWN_FROM) {
      await until('the first rounds delivered', () => sinkReading(server, 'tally_sink_backlog_measures', sink), (n) => n === 0);
      await stopReceiver();
    }
    if (round === DOWN_UNTIL) {
      await until('the sink noticing the receiver is down', () => sinkReading(server, 'tally_sink_up', sink), (up) => up === 0);
      assert.ok((await sinkReading(server, 'tally_sink_backlog_measures', sink)) >= (DOWN_UNTIL - DOWN_FROM) * (RESOURCES + 2), 'what was written meanwhile waits');
      assert.ok((await sinkReading(server, 'tally_sink_send_failures_total', sink)) >= 1);
      await startReceiver();
    }
    await writeRound(server, w, round, t0);
    await extra?.(round);
  }
  await until('the backlog drained', () => sinkReading(server, 'tally_sink_backlog_measures', sink), (n) => n === 0);
  assert.equal(await sinkReading(server, 'tally_sink_up', sink), 1);
  assert.equal(await sinkReading(server, 'tally_sink_measures_dropped_total', sink), 0);
  return w;
}

const total = (w: Written): number => [...w.measures.values()].reduce((n, m) => n + m.size, 0);

/** What VictoriaMetrics holds of the ILP rows, as (resource id or "metric") → ms → value. */
async function exportedFrom(vm: Service, w: Written): Promise<Map<string, Map<number, number>>> {
  const exported = await until(
    'every measure readable in VictoriaMetrics',
    async () => {
      const res = await fetch(`${vm.url}/api/v1/export`, { method: 'POST', body: new URLSearchParams({ 'match[]': '{__name__=~"generic_value|metric_value"}' }) });
      return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
    },
    (lines) => lines.reduce((n, l) => n + new Set(l.timestamps).size, 0) >= total(w),
  );
  const got = new Map<string, Map<number, number>>();
  for (const { metric, values, timestamps } of exported) {
    let key: string;
    if (metric.__name__ === 'generic_value') {
      assert.deepEqual(metric, { __name__: 'generic_value', metric: 'cpu.util', unit: '%', resource_id: metric.resource_id, project_id: PROJECT, user_id: USER });
      key = metric.resource_id;
    } else {
      assert.deepEqual(metric, { __name__: 'metric_value', metric_id: w.standaloneMetricId, unit: 'B' });
      key = 'metric';
    }
    const m = got.get(key) ?? new Map<number, number>();
    timestamps.forEach((t, i) => m.set(t, values[i]));
    got.set(key, m);
  }
  return got;
}

describe('sinks', requires('victoria-metrics', 'prometheus'), () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('mirrors every measure to an ILP receiver across its restart (QuestDB sink, VictoriaMetrics)', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-vm-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    let vm: Service = await startVictoriaMetrics(dir, port);
    cleanups.push(() => vm.stop());
    const server = await startTestServer({ questdb_url: `http::addr=127.0.0.1:${port};protocol_version=1;` });
    cleanups.push(() => server.close());

    const w = await writeAcrossRestart(server, 'questdb', () => vm.stop(), async () => void (vm = await startVictoriaMetrics(dir, port)));

    // VictoriaMetrics names an ILP row's field <table>_<field>: generic_value, metric_value
    assert.deepEqual(await exportedFrom(vm, w), w.measures, 'every measure, with its time and value');
    assert.ok((await sinkReading(server, 'tally_sink_measures_sent_total', 'questdb')) >= total(w));
  });

  it('keeps what waits for a receiver across its own restart, and delivers it after (QuestDB sink, VictoriaMetrics)', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-vm-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-sink-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    // the receiver is down from the start
    const config = { ...loadConfig({ env: {} }), port: 0, data_dir: dataDir, log_level: 'warn', processing_interval_ms: 50, evaluation_interval: 0, questdb_url: `http::addr=127.0.0.1:${port};` };
    let server = await startServer(config, () => undefined, { collector: false });
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : server.stop()));
    const w = await createCloud(server);
    const t0 = Date.now() - 3 * 2000;
    for (let round = 0; round < 3; round++) await writeRound(server, w, round, t0);
    await until('the sink failing', () => sinkReading(server, 'tally_sink_up', 'questdb'), (up) => up === 0);
    assert.equal(await sinkReading(server, 'tally_sink_backlog_measures', 'questdb'), total(w));
    await server.stop();
    stopped = true;

    const vm = await startVictoriaMetrics(dir, port);
    cleanups.push(() => vm.stop());
    server = await startServer(config, () => undefined, { collector: false });
    stopped = false;
    await until('the backlog drained after the restart', () => sinkReading(server, 'tally_sink_backlog_measures', 'questdb'), (n) => n === 0);
    assert.deepEqual(await exportedFrom(vm, w), w.measures, 'every measure accepted before the restart');
  });

  it('forwards every series to a remote-write receiver across its restart, giving up only what it refuses (Prometheus)', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-prom-rw-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const start = (): Promise<Service> => startPrometheus('global: {}\n', { dir, port, args: ['--web.enable-remote-write-receiver'] });
    let prometheus = await start();
    cleanups.push(() => prometheus.stop());
    const server = await startTestServer({ remote_write_url: `http://127.0.0.1:${port}/api/v1/write` });
    cleanups.push(() => server.close());

    // once Prometheus holds recent samples, a measure of 2020 is out of its bounds: refused alone, the rest of its request taken
    const tooOld = async (round: number): Promise<void> => {
      if (round === 1) await api(server, 'POST', `/v1/resource/generic/${encodeURIComponent(resourceId(5))}/metric/cpu.util/measures`, [{ timestamp: '2020-01-01T00:00:00Z', value: 7 }]);
    };
    const w = await writeAcrossRestart(server, 'remote_write', () => prometheus.stop(), async () => void (prometheus = await start()), tooOld);
    assert.equal(await sinkReading(server, 'tally_sink_measures_rejected_total', 'remote_write'), 1);
    // the metric without a resource is no series of the PromQL API: not sent
    w.measures.delete('metric');
    assert.equal(await sinkReading(server, 'tally_sink_measures_skipped_total', 'remote_write'), ROUNDS);

    const query = new URLSearchParams({ query: 'ceilometer_cpu_util[1h]', time: String(Date.now() / 1000) });
    const res = (await (await fetch(`${prometheus.url}/api/v1/query?${query}`)).json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
    const got = new Map<string, Map<number, number>>();
    for (const { metric, values } of res.data.result) {
      // named as tally's PromQL API names it
      assert.equal(metric.resource, metric.cpu);
      assert.equal(metric.project_id, PROJECT);
      assert.equal(metric.user_id, USER);
      assert.equal(metric.resource_type, 'generic');
      assert.equal(metric.unit, '%');
      got.set(metric.resource, new Map(values.map(([t, v]) => [Math.round(t * 1000), Number(v)])));
    }
    assert.deepEqual(got, w.measures, 'every measure, with its time and value');
  });
});
