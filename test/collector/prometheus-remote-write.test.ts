/**
 * Prometheus 2.42 (Debian `prometheus`) scrapes a real node-exporter and
 * remote-writes into tally's `POST /v1/prometheus/write`: the samples arrive
 * on the `job@instance` resource, with the values Prometheus itself holds,
 * under the id tally's own scraper uses for the same target.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resourceUuid } from '../../tsdb/api/resource-id.js';
import { type Service, PROMETHEUS_NEEDS, startNodeExporter, startPrometheus } from '../helpers/prometheus-services.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

let exporter: Service;
let prometheus: Service;
let tally: TestServer;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${tally.url}${path}`, { ...init, headers: { 'content-type': 'application/json', accept: 'application/json', ...init.headers } });
  const body = await res.text();
  assert.ok(res.ok, `${init.method ?? 'GET'} ${path}: ${res.status} ${body}`);
  return (body ? JSON.parse(body) : undefined) as T;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const needs = requires(...PROMETHEUS_NEEDS);

before(async () => {
  if (needs.skip) return;
  exporter = await startNodeExporter();
  tally = await startTestServer();
  await api('/v1/archive_policy', {
    method: 'POST',
    body: JSON.stringify({ name: 'remote-write-test', back_window: 0, definition: [{ granularity: '1s', timespan: '1h' }], aggregation_methods: ['last'] }),
  });
  await api('/v1/archive_policy_rule', { method: 'POST', body: JSON.stringify({ name: 'a-remote-write-test', metric_pattern: '*', archive_policy_name: 'remote-write-test' }) });
  prometheus = await startPrometheus(`global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: node
    static_configs: [{ targets: ['127.0.0.1:${exporter.port}'] }]
remote_write:
  - url: ${tally.url}/v1/prometheus/write
    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }
`);
});

after(async () => {
  await prometheus?.stop();
  await tally?.close();
  await exporter?.stop();
});

interface ApiResource {
  id: string;
  original_resource_id: string;
  job: string;
  instance: string;
  metrics: Record<string, string>;
}

test('Prometheus 2.42 remote write lands on the job@instance resource with the values Prometheus holds', needs, async () => {
  const instance = `127.0.0.1:${exporter.port}`;
  const originalId = `node@${instance}`;
  const points = async (id: string): Promise<number[]> =>
    (await api<[string, number, number][]>(`/v1/metric/${id}/measures?refresh=true&aggregation=last&granularity=1`)).map(([, , v]) => v);
  const r = await waitFor('the resource with up and node_boot_time_seconds measures', async () => {
    const found = (await api<ApiResource[]>('/v1/resource/prometheus')).find((x) => x.original_resource_id === originalId);
    if (!found?.metrics.up || !found.metrics.node_boot_time_seconds) return undefined;
    return (await points(found.metrics.up)).length >= 2 ? found : undefined;
  });
  assert.equal(r.job, 'node');
  assert.equal(r.instance, instance);
  assert.equal(r.id, resourceUuid(originalId, 'admin:'), 'the id tally\'s scraper gives the same target');
  assert.ok((await points(r.metrics.up)).every((v) => v === 1));

  // what Prometheus holds, through its own query API
  const query = async (q: string): Promise<number> => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0].value[1]);
  };
  const boot = await points(r.metrics.node_boot_time_seconds);
  assert.equal(boot[boot.length - 1], await query(`node_boot_time_seconds{instance="${instance}"}`));
  const direct = await (await fetch(`${exporter.url}/metrics`)).text();
  assert.equal(boot[0], Number(/^node_boot_time_seconds (\S+)$/m.exec(direct)?.[1]));

  // Gnocchi's endpoint names metrics by __name__ alone: one of the node_cpu_seconds_total series, its labels gone
  assert.ok(r.metrics.node_cpu_seconds_total);
  assert.ok(!Object.keys(r.metrics).some((n) => n.includes('{')));
  const cpu = await waitFor('node_cpu_seconds_total measures', async () => {
    const p = await points(r.metrics.node_cpu_seconds_total);
    return p.length > 0 ? p : undefined;
  });
  assert.ok(cpu.every((v) => v >= 0));
  const duration = await points(r.metrics.scrape_duration_seconds);
  assert.ok(duration.length > 0 && duration.every((v) => v > 0 && v < 1));
});
