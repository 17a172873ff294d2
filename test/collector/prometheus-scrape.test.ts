/**
 * The scraper end to end: tally started with a scrape configuration scrapes a
 * real prometheus-node-exporter (with a textfile of its own series) and an
 * OpenMetrics exporter (Prometheus Python client) on loopback; what lands is
 * read back through the Gnocchi API and compared with the exporters' own
 * answers. Covers file_sd (targets added and changed while running),
 * relabel_configs, metric_relabel_configs keep/drop/replace, honor_labels
 * both ways, a target that is down.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resourceUuid } from '../../tsdb/api/resource-id.js';
import { freePort } from '../helpers/free-port.js';
import { type Service, PROMETHEUS_NEEDS, startNodeExporter, startOpenMetricsExporter } from '../helpers/prometheus-services.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-scrape-'));
const sd = join(dir, 'sd');
const textfiles = join(dir, 'textfiles');
let exporter: Service;
let openMetrics: Service;
let tally: TestServer;
let deadPort: number;
let started: number;
/** the exporter's own answer, fetched before any scrape */
let direct: Map<string, number>;

const TEXTFILE = `# TYPE tally_test_info gauge
tally_test_info{job="exported-job",instance="exported-inst",color="blue"} 1
# TYPE tally_test_value gauge
tally_test_value{kind="a"} 10
tally_test_value{kind="b"} 20
tally_test_value{kind="c"} 30
`;

async function exposition(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${tally.url}${path}`, { ...init, headers: { 'content-type': 'application/json', accept: 'application/json', ...init.headers } });
  const body = await res.text();
  assert.ok(res.ok, `${init.method ?? 'GET'} ${path}: ${res.status} ${body}`);
  return (body ? JSON.parse(body) : undefined) as T;
}

interface ApiResource {
  id: string;
  original_resource_id: string;
  type: string;
  job: string;
  instance: string;
  metrics: Record<string, string>;
}

async function resources(): Promise<ApiResource[]> {
  return api<ApiResource[]>('/v1/resource/prometheus');
}

async function resource(originalId: string): Promise<ApiResource | undefined> {
  return (await resources()).find((r) => r.original_resource_id === originalId);
}

/** [µs timestamp, value] of a metric at the 1 s granularity of the test policy (`last`). */
async function points(metricId: string): Promise<[number, number][]> {
  const rows = await api<[string, number, number][]>(`/v1/metric/${metricId}/measures?refresh=true&aggregation=last&granularity=1`);
  return rows.map(([t, , v]) => [Date.parse(t) * 1000, v]);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The points of a resource's metric once it has at least `n`. */
function metricPoints(originalId: string, name: string, n = 2): Promise<[number, number][]> {
  return waitFor(`${n} points of ${name} on ${originalId}`, async () => {
    const r = await resource(originalId);
    const id = r?.metrics[name];
    if (!id) return undefined;
    const p = await points(id);
    return p.length >= n ? p : undefined;
  });
}

const writeJson = (file: string, doc: unknown): void => writeFileSync(file, JSON.stringify(doc));

const needs = requires(...PROMETHEUS_NEEDS);

before(async () => {
  if (needs.skip) return;
  mkdirSync(sd);
  mkdirSync(textfiles);
  writeFileSync(join(textfiles, 'tally.prom'), TEXTFILE);
  [exporter, openMetrics] = await Promise.all([startNodeExporter({ textfileDir: textfiles }), startOpenMetricsExporter()]);
  deadPort = await freePort();
  const config = join(dir, 'scrape.yml');
  writeFileSync(
    config,
    `global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: node
    file_sd_configs: [{ files: ['sd/node-*.json'] }]
  - job_name: honor
    honor_labels: true
    file_sd_configs: [{ files: ['sd/honor.yml'] }]
    metric_relabel_configs:
      - { action: keep, source_labels: [__name__], regex: 'tally_test_.*' }
  - job_name: relabel
    file_sd_configs: [{ files: ['sd/relabel.json'] }]
    relabel_configs:
      - { action: drop, source_labels: [__address__], regex: '127\\.0\\.0\\.1:${deadPort}' }
      - { source_labels: [__address__], regex: '127\\.0\\.0\\.1:(\\d+)', replacement: 'exporter-$1', target_label: instance }
    metric_relabel_configs:
      - { action: keep, source_labels: [__name__], regex: tally_test_value }
      - { action: drop, source_labels: [kind], regex: b }
      - { source_labels: [kind], regex: '(.)', replacement: 'kind-$1', target_label: flavor }
  - job_name: openmetrics
    file_sd_configs: [{ files: ['sd/om.json'] }]
  - job_name: down
    static_configs: [{ targets: ['127.0.0.1:${deadPort}'] }]
`,
  );
  tally = await startTestServer({ prometheus_scrape_config: config }, { collector: true });
  // a policy keeping every scrape (1 s, last value) for what these tests read
  await api('/v1/archive_policy', {
    method: 'POST',
    body: JSON.stringify({ name: 'scrape-test', back_window: 0, definition: [{ granularity: '1s', timespan: '1h' }], aggregation_methods: ['last', 'mean'] }),
  });
  await api('/v1/archive_policy_rule', { method: 'POST', body: JSON.stringify({ name: 'a-scrape-test', metric_pattern: '*', archive_policy_name: 'scrape-test' }) });
  direct = await exposition(exporter.url);
  started = Date.now() * 1000;
  // the targets appear: file_sd picks the files up while tally runs
  writeJson(join(sd, 'node-a.json'), [{ targets: [`127.0.0.1:${exporter.port}`] }]);
  writeFileSync(join(sd, 'honor.yml'), `- targets: ['127.0.0.1:${exporter.port}']\n`);
  writeJson(join(sd, 'relabel.json'), [{ targets: [`127.0.0.1:${exporter.port}`, `127.0.0.1:${deadPort}`] }]);
  writeJson(join(sd, 'om.json'), [{ targets: [`127.0.0.1:${openMetrics.port}`] }]);
});

after(async () => {
  await tally?.close();
  await Promise.all([exporter?.stop(), openMetrics?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('scraping into tally', needs, () => {
  test('node-exporter: up, scrape_duration_seconds and counters land with the exporter\'s values', async () => {
    const instance = `127.0.0.1:${exporter.port}`;
    const originalId = `node@${instance}`;
    const idle = 'node_cpu_seconds_total{cpu="0",mode="idle"}';
    const cpu = await metricPoints(originalId, idle, 3);
    const up = await metricPoints(originalId, 'up');
    const duration = await metricPoints(originalId, 'scrape_duration_seconds');
    const samples = await metricPoints(originalId, 'scrape_samples_scraped');
    const boot = await metricPoints(originalId, 'node_boot_time_seconds', 1);
    const later = await exposition(exporter.url);
    const now = Date.now() * 1000;

    const r = await resource(originalId);
    assert.ok(r);
    assert.equal(r.type, 'prometheus');
    assert.equal(r.job, 'node');
    assert.equal(r.instance, instance);
    // the id remote write gets for the same job@instance from the same (noauth admin) writer
    assert.equal(r.id, resourceUuid(originalId, 'admin:'));

    assert.ok(up.every(([, v]) => v === 1), `up: ${JSON.stringify(up)}`);
    assert.ok(duration.every(([, v]) => v > 0 && v < 1), `scrape_duration_seconds: ${JSON.stringify(duration)}`);
    const before = direct.get(idle);
    const after = later.get(idle);
    assert.ok(before !== undefined && after !== undefined);
    for (let i = 0; i < cpu.length; i++) {
      const [t, v] = cpu[i];
      assert.ok(v >= before && v <= after, `${idle} ${v} outside [${before}, ${after}]`);
      if (i > 0) assert.ok(v >= cpu[i - 1][1], 'a counter only grows');
      assert.ok(t >= started - 1e6 && t <= now, 'stamped with the scrape time');
    }
    assert.equal(boot[0][1], direct.get('node_boot_time_seconds'));
    // node-exporter's series count varies a little between answers (e.g. its own collector series)
    const exposed = later.size;
    assert.ok(Math.abs(samples[samples.length - 1][1] - exposed) <= exposed * 0.05, `scrape_samples_scraped ${samples[samples.length - 1][1]} vs ${exposed}`);
    assert.ok(Object.keys(r.metrics).length >= exposed * 0.9);

    // honor_labels false: the exposed job and instance are kept as exported_*
    assert.ok(r.metrics['tally_test_info{color="blue",exported_instance="exported-inst",exported_job="exported-job"}']);
    assert.equal(await resource('exported-job@exported-inst').then((x) => x?.metrics['tally_test_info'] ?? null), null);

    // a metric named after a label with a slash can be addressed by name
    const fs = Object.keys(r.metrics).find((n) => n.startsWith('node_filesystem_avail_bytes{') && n.includes('mountpoint="/"'));
    if (fs) {
      const res = await fetch(`${tally.url}/v1/resource/prometheus/${r.id}/metric/${encodeURIComponent(fs)}/measures?refresh=true`);
      assert.equal(res.status, 200);
    }
  });

  test('honor_labels true: the exposed job and instance name the resource', async () => {
    const info = await metricPoints('exported-job@exported-inst', 'tally_test_info{color="blue"}', 1);
    assert.equal(info[0][1], 1);
    const own = `honor@127.0.0.1:${exporter.port}`;
    const b = await metricPoints(own, 'tally_test_value{kind="b"}', 1);
    assert.equal(b[0][1], 20);
    await metricPoints(own, 'up', 1);
    const r = await resource(own);
    assert.ok(r);
    // metric_relabel_configs kept tally_test_* only; the scrape's own series are not relabelled
    assert.deepEqual(
      Object.keys(r.metrics).sort(),
      ['scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'tally_test_value{kind="a"}', 'tally_test_value{kind="b"}', 'tally_test_value{kind="c"}', 'up'],
    );
  });

  test('relabel_configs and metric_relabel_configs: keep, drop, replace', async () => {
    const originalId = `relabel@exporter-${exporter.port}`;
    const a = await metricPoints(originalId, 'tally_test_value{flavor="kind-a",kind="a"}', 1);
    const c = await metricPoints(originalId, 'tally_test_value{flavor="kind-c",kind="c"}', 1);
    assert.equal(a[0][1], 10);
    assert.equal(c[0][1], 30);
    const post = await metricPoints(originalId, 'scrape_samples_post_metric_relabeling', 1);
    assert.equal(post[0][1], 2);
    const r = await resource(originalId);
    assert.ok(r);
    assert.ok(!Object.keys(r.metrics).some((n) => n.includes('kind="b"')), 'kind b dropped');
    assert.ok(!Object.keys(r.metrics).some((n) => n.startsWith('node_')), 'only tally_test_value kept');
    // the target dropped by relabel_configs was never scraped
    const all = await resources();
    assert.ok(!all.some((x) => x.job === 'relabel' && x.instance !== `exporter-${exporter.port}`));
  });

  test('OpenMetrics with exemplars, units and _created; NaN samples skipped', async () => {
    const originalId = `openmetrics@127.0.0.1:${openMetrics.port}`;
    const up = await metricPoints(originalId, 'up', 2);
    assert.ok(up.every(([, v]) => v === 1), 'the OpenMetrics answer parsed');
    const requests = await metricPoints(originalId, 'demo_requests_bytes_total{path="/api"}', 2);
    assert.ok(requests[0][1] >= 10);
    assert.ok(requests[1][1] >= requests[0][1]);
    const kitchen = await metricPoints(originalId, 'demo_temperature_celsius{room="kitchen \\"main\\""}', 1);
    assert.equal(kitchen[0][1], 21.5);
    const cellar = await metricPoints(originalId, 'demo_temperature_celsius{room="cellar\\\\north"}', 1);
    assert.equal(cellar[0][1], -3.25);
    await metricPoints(originalId, 'demo_latency_seconds_bucket{le="+Inf"}', 1);
    await metricPoints(originalId, 'demo_requests_bytes_created{path="/api"}', 1);
    const r = await resource(originalId);
    assert.ok(r);
    assert.equal(r.metrics['demo_temperature_celsius{room="attic"}'], undefined, 'a series that is always NaN has nothing to store');
  });

  test('a target that refuses connections is up 0 with no samples', async () => {
    // a static target: scraped from the start, maybe before the test policy existed, so read with the default aggregation
    const originalId = `down@127.0.0.1:${deadPort}`;
    for (const name of ['up', 'scrape_samples_scraped']) {
      const rows = await waitFor(`measures of ${name} on ${originalId}`, async () => {
        const id = (await resource(originalId))?.metrics[name];
        const got = id ? await api<[string, number, number][]>(`/v1/metric/${id}/measures?refresh=true`) : [];
        return got.length > 0 ? got : undefined;
      });
      assert.ok(rows.every(([, , v]) => v === 0), `${name}: ${JSON.stringify(rows)}`);
    }
  });

  test('file_sd: a changed file changes the targets, a removed one stops them', async () => {
    const originalId = `honor@127.0.0.1:${exporter.port}`;
    writeFileSync(join(sd, 'honor.yml'), `- targets: ['127.0.0.1:${exporter.port}']\n  labels: { rack: r1 }\n`);
    await metricPoints(originalId, 'up{rack="r1"}', 2);
    const r = await resource(originalId);
    assert.ok(r?.metrics['tally_test_value{kind="a",rack="r1"}']);
    // the old target (without rack) is no longer scraped, nor the new one once its file is gone
    const count = async (id: string): Promise<number> => (await points(id)).length;
    unlinkSync(join(sd, 'honor.yml'));
    await new Promise((res) => setTimeout(res, 2000)); // the last scrapes written
    const stale = await count(r.metrics.up);
    const stopped = await count(r.metrics['up{rack="r1"}']);
    await new Promise((res) => setTimeout(res, 2500));
    assert.equal(await count(r.metrics['up{rack="r1"}']), stopped, 'no scrape after the file went away');
    assert.equal(await count(r.metrics.up), stale, 'no scrape of the target the file no longer had');
  });
});
