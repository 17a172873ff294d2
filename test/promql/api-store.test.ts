/**
 * The Prometheus HTTP API over the store: resources and metrics written
 * through the Gnocchi API appear as Ceilometer's exporter names them, scraped
 * series (remote-written by a real Prometheus 2.42) as they came in; series,
 * labels and label values answer as Prometheus's do, a non-admin sees only
 * its project's series, and a real Prometheus reads tally as remote storage.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Service, startPrometheus } from '../helpers/prometheus-services.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const P1 = 'aaaaaaaa1111aaaa1111aaaaaaaaaaaa';
const P2 = 'bbbbbbbb2222bbbb2222bbbbbbbbbbbb';
const ADMIN = { 'x-user-id': 'admin', 'x-project-id': 'admin', 'x-roles': 'admin' };
const member = (project: string): Record<string, string> => ({ 'x-user-id': `user-of-${project}`, 'x-project-id': project, 'x-roles': 'member' });
const VM1 = 'f0000000-0000-4000-8000-000000000001';
const VM2 = 'f0000000-0000-4000-8000-000000000002';
/** a minute on a 15 s grid, in the past */
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

let tally: TestServer;

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: unknown }> {
  const init: RequestInit = { method, headers: { accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${tally.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function gnocchi(method: string, path: string, body: unknown, headers = ADMIN): Promise<unknown> {
  const { status, json } = await call(method, path, headers, body);
  assert.ok(status < 300, `${method} ${path}: ${status} ${JSON.stringify(json)}`);
  return json;
}

/** a Prometheus API answer's data, asserting success */
async function prom<T>(path: string, headers: Record<string, string> = ADMIN): Promise<T> {
  const { status, json } = await call('GET', path, headers);
  const body = json as { status: string; data: T };
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(body.status, 'success');
  return body.data;
}

const q = (params: Record<string, string | string[]>): string => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) u.append(k, one);
  return u.toString();
};

describe('the Prometheus HTTP API over the store', { timeout: 120_000 }, () => {
  before(async () => {
    tally = await startTestServer();
    await gnocchi('POST', '/v1/archive_policy', {
      name: 'fifteen-seconds',
      aggregation_methods: ['last', 'mean'],
      definition: [{ granularity: '15s', timespan: '30 days' }, { granularity: '1h', timespan: '365 days' }],
    });
    await gnocchi('POST', '/v1/resource_type', {
      name: 'instance',
      attributes: {
        display_name: { type: 'string', required: false },
        host: { type: 'string', required: false },
        flavor_name: { type: 'string', required: false },
        server_group: { type: 'string', required: false },
      },
    });
    for (const [id, project, name, group] of [
      [VM1, P1, 'web-1', 'stack-a'],
      [VM2, P2, 'db-1', null],
    ] as const) {
      await gnocchi('POST', '/v1/resource/instance', {
        id,
        project_id: project,
        user_id: `user-of-${project}`,
        display_name: name,
        host: 'compute-1',
        flavor_name: 'm1.small',
        ...(group === null ? {} : { server_group: group }),
        metrics: { cpu: { archive_policy_name: 'fifteen-seconds', unit: 'ns' }, 'disk.device.read.bytes': { archive_policy_name: 'fifteen-seconds', unit: 'B' } },
      });
      const measures = [0, 1, 2, 3].map((i) => ({ timestamp: new Date(T0 + i * 15_000).toISOString(), value: (i + 1) * 1e9 + (id === VM1 ? 0 : 5e8) }));
      await gnocchi('POST', `/v1/resource/instance/${id}/metric/cpu/measures`, measures);
    }
  });

  after(async () => {
    await tally?.close();
  });

  it("names the metrics of resources as Ceilometer's exporter does", async () => {
    const series = await prom<Record<string, string>[]>(`/api/v1/series?${q({ 'match[]': 'ceilometer_cpu' })}`);
    assert.equal(series.length, 2);
    const vm1 = series.find((s) => s.resource === VM1);
    assert.deepEqual(vm1, {
      __name__: 'ceilometer_cpu',
      counter: 'cpu',
      cpu: VM1,
      display_name: 'web-1',
      flavor_name: 'm1.small',
      host: 'compute-1',
      project: P1,
      project_id: P1,
      publisher: 'ceilometer',
      resource: VM1,
      resource_name: 'web-1',
      resource_type: 'instance',
      server_group: 'stack-a',
      type: 'cpu',
      unit: 'ns',
      user: `user-of-${P1}`,
      user_id: `user-of-${P1}`,
      vm_instance: 'compute-1',
    });
    assert.equal(series.find((s) => s.resource === VM2)?.server_group, 'none');
    // a meter of four segments: the first names the label, the third is its value
    const disk = await prom<Record<string, string>[]>(`/api/v1/series?${q({ 'match[]': `ceilometer_disk_device_read_bytes{resource="${VM1}"}` })}`);
    assert.equal(disk.length, 1);
    assert.equal(disk[0].disk, 'read');
    assert.equal(disk[0].type, 'device');
  });

  it('answers series, labels and label values with matchers, as Prometheus does', async () => {
    assert.deepEqual(
      (await prom<Record<string, string>[]>(`/api/v1/series?${q({ 'match[]': ['ceilometer_cpu{project=~"a.*"}', 'ceilometer_cpu{server_group="none"}'] })}`)).map((s) => s.resource).sort(),
      [VM1, VM2],
    );
    assert.deepEqual(await prom<string[]>(`/api/v1/series?${q({ 'match[]': 'ceilometer_cpu{project!~".*"}' })}`), []);
    const names = await prom<string[]>('/api/v1/label/__name__/values');
    assert.deepEqual(names, ['ceilometer_cpu', 'ceilometer_disk_device_read_bytes']);
    const labels = await prom<string[]>(`/api/v1/labels?${q({ 'match[]': 'ceilometer_disk_device_read_bytes' })}`);
    assert.ok(labels.includes('disk') && !labels.includes('cpu'), labels.join(','));
    assert.deepEqual([...labels].sort(), labels, 'sorted');
    assert.deepEqual(await prom<string[]>(`/api/v1/label/resource_name/values?${q({ 'match[]': 'ceilometer_cpu' })}`), ['db-1', 'web-1']);
    // POST with a form body, as Grafana sends
    const res = await fetch(`${tally.url}/api/v1/series`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...ADMIN }, body: q({ 'match[]': `ceilometer_cpu{resource="${VM2}"}` }) });
    const body = (await res.json()) as { data: Record<string, string>[] };
    assert.deepEqual(body.data.map((s) => s.resource), [VM2]);
  });

  it("shows a non-admin only its own project's series", async () => {
    const mine = await prom<Record<string, string>[]>(`/api/v1/series?${q({ 'match[]': '{__name__=~"ceilometer_.*"}' })}`, member(P1));
    assert.deepEqual([...new Set(mine.map((s) => s.project))], [P1]);
    assert.deepEqual(await prom<string[]>('/api/v1/label/resource/values', member(P2)), [VM2]);
    assert.deepEqual(await prom<string[]>('/api/v1/label/resource/values', member('cccccccc3333cccc3333cccccccccccc')), []);
  });

  it('evaluates PromQL over the stored samples, GET and POST', async () => {
    // Grafana's health check
    assert.deepEqual(await prom(`/api/v1/query?${q({ query: '1+1', time: '4' })}`), { resultType: 'scalar', result: [4, '2'] });
    const at = String((T0 + 50_000) / 1000);
    const vector = await prom<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?${q({ query: 'sum by (project) (rate(ceilometer_cpu[1m]))', time: at })}`,
    );
    assert.equal(vector.resultType, 'vector');
    // 1e9 ns of CPU every 15 s: a rate of 1e9/15 per second, for each project's one instance
    assert.deepEqual(vector.result.map((r) => r.metric.project).sort(), [P1, P2]);
    for (const r of vector.result) assert.ok(Math.abs(Number(r.value[1]) / (1e9 / 15) - 1) < 1e-12, r.value[1]);
    // CloudKitty's Prometheus collector
    const billed = await prom<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?${q({ query: `sum(sum_over_time(ceilometer_cpu{project_id="${P1}"}[3600s])) by (resource, project_id)`, time: at })}`,
    );
    assert.deepEqual(billed.result.map((r) => [r.metric, r.value[1]]), [[{ project_id: P1, resource: VM1 }, String(1e9 + 2e9 + 3e9 + 4e9)]]);
    // the OpenStack telemetry dashboards' naming of instances
    const named = await prom<{ result: { metric: Record<string, string> }[] }>(
      `/api/v1/query?${q({ query: `label_replace(ceilometer_cpu{resource="${VM1}"}, "vm_name", "$1", "resource_name", "(.*)")`, time: at })}`,
    );
    assert.equal(named.result[0].metric.vm_name, 'web-1');
    const res = await fetch(`${tally.url}/api/v1/query_range`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...member(P2) },
      body: q({ query: 'ceilometer_cpu', start: String(T0 / 1000), end: String((T0 + 45_000) / 1000), step: '15s' }),
    });
    const range = (await res.json()) as { data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] } };
    assert.equal(range.data.resultType, 'matrix');
    assert.deepEqual(range.data.result.map((r) => r.metric.resource), [VM2], 'only its project');
    assert.deepEqual(range.data.result[0].values, [0, 1, 2, 3].map((i) => [(T0 + i * 15_000) / 1000, String((i + 1) * 1e9 + 5e8)]));
  });

  it("gives Prometheus's errors for bad parameters", async () => {
    const cases: [string, number, string, RegExp][] = [
      ['/api/v1/series', 400, 'bad_data', /^no match\[\] parameter provided$/],
      [`/api/v1/series?${q({ 'match[]': 'ceilometer_cpu{' })}`, 400, 'bad_data', /parse error/],
      [`/api/v1/labels?${q({ start: 'yesterday' })}`, 400, 'bad_data', /^invalid parameter "start": cannot parse "yesterday" to a valid timestamp$/],
      ['/api/v1/label/0bad/values', 400, 'bad_data', /^invalid label name: "0bad"$/],
      [`/api/v1/query?${q({ query: 'sum(' })}`, 400, 'bad_data', /^1:5: parse error: /],
      [`/api/v1/query_range?${q({ query: 'up', start: '10', end: '5', step: '1' })}`, 400, 'bad_data', /end timestamp must not be before start time/],
      [`/api/v1/query_range?${q({ query: 'up', start: '0', end: '100000', step: '1' })}`, 400, 'bad_data', /^exceeded maximum resolution of 11,000 points per timeseries/],
      [`/api/v1/query?${q({ query: 'ceilometer_cpu + on(vm_instance) ceilometer_cpu', time: String((T0 + 50_000) / 1000) })}`, 422, 'execution', /many-to-many matching not allowed/],
    ];
    for (const [path, status, errorType, error] of cases) {
      const { status: got, json } = await call('GET', path, ADMIN);
      const body = json as { status: string; errorType: string; error: string };
      assert.equal(got, status, path);
      assert.equal(body.status, 'error', path);
      assert.equal(body.errorType, errorType, path);
      assert.match(body.error, error, path);
    }
  });

  it("answers Grafana's data source checks", async () => {
    const info = await prom<{ version: string }>('/api/v1/status/buildinfo');
    assert.match(info.version, /^2\.\d+\.\d+$/);
    assert.deepEqual(await prom('/api/v1/rules'), { groups: [] });
    assert.deepEqual(await prom(`/api/v1/query_exemplars?${q({ query: 'ceilometer_cpu', start: '0', end: '1' })}`), []);
    const metadata = await prom<Record<string, { type: string }[]>>('/api/v1/metadata');
    assert.equal(metadata.ceilometer_cpu?.[0].type, 'gauge');
  });

  describe('as remote storage of a real Prometheus 2.42', requires('prometheus'), () => {
    let prometheus: Service;
    before(async () => {
      // it scrapes tally's /metrics, remote-writes what it scrapes to tally, and reads tally as remote storage
      const port = Number(new URL(tally.url).port);
      prometheus = await startPrometheus(
        [
          'global:',
          '  scrape_interval: 1s',
          'scrape_configs:',
          '  - job_name: self',
          `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
          'remote_write:',
          `  - url: http://127.0.0.1:${port}/api/v1/write`,
          '    queue_config: { batch_send_deadline: 1s }',
          'remote_read:',
          `  - url: http://127.0.0.1:${port}/api/v1/read`,
          '    read_recent: true',
        ].join('\n'),
      );
    });
    after(async () => {
      await prometheus?.stop();
    });

    it('shows the series it remote-writes under their own names and labels', async () => {
      // every series of a labelled family, not one per name as Gnocchi's endpoint keeps
      const selector = 'tally_memory_bytes{job="self"}';
      const sorted = (list: Record<string, string>[]): string[] => list.map((s) => JSON.stringify(Object.entries(s).sort())).sort();
      const own = async (): Promise<Record<string, string>[]> =>
        ((await (await fetch(`${prometheus.url}/api/v1/series?${q({ 'match[]': selector })}`)).json()) as { data: Record<string, string>[] }).data;
      const until = Date.now() + 30_000;
      let found: Record<string, string>[] = [];
      let expected: Record<string, string>[] = [];
      for (;;) {
        found = await prom<Record<string, string>[]>(`/api/v1/series?${q({ 'match[]': selector })}`);
        expected = await own();
        if ((expected.length > 1 && found.length === expected.length) || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(expected.length > 1, `Prometheus scraped ${expected.length} series of ${selector}`);
      assert.deepEqual(sorted(found), sorted(expected), 'the names and labels Prometheus itself gives the series');
    });

    it('reads the samples tally holds', async () => {
      const at = (T0 + 50_000) / 1000;
      const res = await fetch(`${prometheus.url}/api/v1/query?${q({ query: 'ceilometer_cpu', time: String(at) })}`);
      const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      assert.equal(body.status, 'success', JSON.stringify(body));
      const values = new Map(body.data.result.map((r) => [r.metric.resource, r.value[1]]));
      // the last of the four measures (T0 + 45 s), within the 5 minutes Prometheus looks back
      assert.deepEqual(values, new Map([[VM1, '4000000000'], [VM2, '4500000000']]));
      const range = await fetch(`${prometheus.url}/api/v1/query?${q({ query: `ceilometer_cpu{resource="${VM1}"}[1m]`, time: String(at) })}`);
      const matrix = (await range.json()) as { data: { result: { values: [number, string][] }[] } };
      assert.deepEqual(matrix.data.result[0].values, [0, 1, 2, 3].map((i) => [(T0 + i * 15_000) / 1000, String((i + 1) * 1e9)]));
    });
  });

  describe("scraped by tally, in a job's project", () => {
    let scraper: TestServer;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tally-promql-scrape-'));
      const file = join(dir, 'scrape.yml');
      writeFileSync(file, `scrape_configs:\n  - job_name: tally\n    scrape_interval: 1s\n    project_id: ${P1}\n    static_configs: [{ targets: ['${new URL(tally.url).host}'] }]\n`);
      scraper = await startTestServer({ prometheus_scrape_config: file }, { collector: true });
    });
    after(async () => {
      await scraper?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("shows the job's series to its project's members, and to no other project", async () => {
      const ask = async (who: Record<string, string>): Promise<Record<string, string>[]> => {
        const res = await fetch(`${scraper.url}/api/v1/series?${q({ 'match[]': 'up{job="tally"}' })}`, { headers: who });
        return ((await res.json()) as { data: Record<string, string>[] }).data;
      };
      const until = Date.now() + 20_000;
      while ((await ask(ADMIN)).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
      assert.equal((await ask(ADMIN)).length, 1, 'scraped');
      assert.deepEqual(await ask(member(P1)), await ask(ADMIN));
      assert.deepEqual(await ask(member(P2)), []);
    });
  });
});
