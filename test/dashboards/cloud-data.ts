/**
 * A small cloud's last hour, loaded into a tally the way it reaches tally in
 * production, so that every dashboard panel has something to show:
 *
 * - tally agent's samples (instances, their disks and vNICs, Open vSwitch
 *   ports, RGW usage) as `POST /collector/samples`, one poll every 5 minutes;
 * - Cinder's `volume.exists` notifications (the fixture's, re-stamped);
 * - what a Prometheus scraping tally agent's and tally's own /metrics
 *   remote-writes to `POST /api/v1/write`: the agent's Ceph meters and its
 *   health, tally's memory, caches and runtime series;
 * - one alarm, for the evaluator's working set;
 * - one scrape target of tally's own (`prometheus_scrape_config`), an agent
 *   that does not answer, for the scrape targets' series.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExposition } from '../../collector/prometheus/exposition-parser.js';
import { SampleBatch } from '../../collector/prometheus/sample-batch.js';
import { parseSeries } from '../../collector/prometheus/series-labels.js';
import { encodeWriteRequest } from '../../tsdb/api/routes/prometheus.js';
import { freePort } from '../helpers/free-port.js';

export const P1 = '7c150a59fe714e6f9263774af9688f0e';
export const P2 = 'b2d4f6a8c0e24b6d8f0a2c4e6b8d0f1a';
const USER: Readonly<Record<string, string>> = { [P1]: '1e3ce043029547f1a61c1996d1a531a2', [P2]: '9a8b7c6d5e4f40312a1b2c3d4e5f6a7b' };

/** polls 5 minutes apart over the last hour, the newest now */
export const POLLS = 13;
const STEP_MS = 300_000;

interface Instance {
  readonly id: string;
  readonly name: string;
  readonly display: string;
  readonly project: string;
  readonly host: string;
  readonly flavor: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly state: number;
}

export const INSTANCES: readonly Instance[] = [
  { id: 'a1000000-0000-4000-8000-000000000001', name: 'instance-00000001', display: 'web-1', project: P1, host: 'compute-1', flavor: 'm1.small', vcpus: 1, ramMb: 2048, state: 1 },
  { id: 'a1000000-0000-4000-8000-000000000002', name: 'instance-00000002', display: 'web-2', project: P1, host: 'compute-2', flavor: 'm1.medium', vcpus: 2, ramMb: 4096, state: 3 },
  { id: 'a1000000-0000-4000-8000-000000000003', name: 'instance-00000003', display: 'db-1', project: P2, host: 'compute-1', flavor: 'm1.large', vcpus: 4, ramMb: 8192, state: 1 },
];

/** Open vSwitch datapaths (decimal, as the agent writes them) and their ports */
const PORTS = [
  { dpid: '86065225156673', port: 1, neutron: 'c0ffee00-0000-4000-8000-000000000001', instance: INSTANCES[0] },
  { dpid: '86065225156673', port: 2, neutron: 'c0ffee00-0000-4000-8000-000000000003', instance: INSTANCES[2] },
  { dpid: '86065225156673', port: 65534, neutron: null, instance: null },
  { dpid: '190887435870018', port: 1, neutron: 'c0ffee00-0000-4000-8000-000000000002', instance: INSTANCES[1] },
];

const CEPH_FSID = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const POOLS = ['volumes', 'vms', 'images'];

interface PollingSample {
  counter_name: string;
  counter_type: 'gauge' | 'cumulative' | 'delta';
  counter_unit: string;
  counter_volume: number;
  resource_id: string;
  timestamp: string;
  user_id: string | null;
  project_id: string | null;
  resource_metadata: Record<string, unknown>;
  message_id: string;
}

/** Ceilometer's libvirt metadata of an instance (agents/libvirt/meters.ts) */
function instanceMetadata(i: Instance): Record<string, unknown> {
  return {
    display_name: i.display,
    name: i.name,
    instance_id: i.id,
    instance_type: i.flavor,
    host: createHash('sha224').update(i.project + i.host).digest('hex'),
    instance_host: i.host,
    flavor: { id: i.flavor, name: i.flavor, vcpus: i.vcpus, ram: i.ramMb, disk: 20, ephemeral: 0, swap: 0 },
    status: i.state === 1 ? 'active' : 'paused',
    state: i.state === 1 ? 'running' : 'paused',
    image_ref: '155d900f-4e14-4e4c-a73d-069cbf4541e6',
    vcpus: i.vcpus,
    memory_mb: i.ramMb,
    disk_gb: 20,
    root_gb: 20,
    ephemeral_gb: 0,
  };
}

/** One poll of the agents of every compute node, at poll number k (0 the oldest). */
function pollSamples(k: number, timestamp: string): PollingSample[] {
  const out: PollingSample[] = [];
  const add = (name: string, type: PollingSample['counter_type'], unit: string, volume: number, resource: string, project: string | null, md: Record<string, unknown>): void =>
    void out.push({
      counter_name: name,
      counter_type: type,
      counter_unit: unit,
      counter_volume: volume,
      resource_id: resource,
      timestamp,
      user_id: project === null ? null : USER[project],
      project_id: project,
      resource_metadata: md,
      message_id: randomUUID(),
    });
  const seconds = k * (STEP_MS / 1000);
  INSTANCES.forEach((i, n) => {
    const md = instanceMetadata(i);
    const busy = 0.2 + 0.1 * n;
    add('cpu', 'cumulative', 'ns', Math.round(seconds * busy * i.vcpus * 1e9), i.id, i.project, { ...md, cpu_number: i.vcpus });
    add('vcpus', 'gauge', 'vcpu', i.vcpus, i.id, i.project, md);
    add('memory', 'gauge', 'MB', i.ramMb, i.id, i.project, md);
    add('memory.usage', 'gauge', 'MB', i.ramMb / 2 + 10 * k, i.id, i.project, md);
    add('memory.resident', 'gauge', 'MB', i.ramMb / 2 + 50, i.id, i.project, md);
    add('power.state', 'gauge', '', i.state, i.id, i.project, md);
    for (const dev of ['vda', 'vdb']) {
      const disk = `${i.id}-${dev}`;
      const dmd = { ...md, disk_name: dev };
      const ops = seconds * (10 + n);
      add('disk.device.read.requests', 'cumulative', 'request', Math.round(ops), disk, i.project, dmd);
      add('disk.device.write.requests', 'cumulative', 'request', Math.round(ops / 2), disk, i.project, dmd);
      add('disk.device.read.bytes', 'cumulative', 'B', Math.round(ops * 4096), disk, i.project, dmd);
      add('disk.device.write.bytes', 'cumulative', 'B', Math.round(ops * 8192), disk, i.project, dmd);
      add('disk.device.read.latency', 'cumulative', 'ns', Math.round(ops * 250_000), disk, i.project, dmd);
      add('disk.device.write.latency', 'cumulative', 'ns', Math.round(ops * 900_000), disk, i.project, dmd);
      add('disk.device.capacity', 'gauge', 'B', 20 * 2 ** 30, disk, i.project, dmd);
      add('disk.device.allocation', 'gauge', 'B', 2 ** 30 + k * 2 ** 20, disk, i.project, dmd);
      add('disk.device.usage', 'gauge', 'B', 2 ** 30 + k * 2 ** 20, disk, i.project, dmd);
    }
    const tap = `tap${i.id.slice(-8)}-aa`;
    const vnic = `${i.name}-${i.id}-${tap}`;
    const vmd = { ...md, name: tap, vnic_name: tap, mac: `fa:16:3e:00:00:0${n + 1}`, fref: null, parameters: {} };
    const bytes = seconds * 20_000 * (n + 1);
    add('network.incoming.bytes', 'cumulative', 'B', Math.round(bytes), vnic, i.project, vmd);
    add('network.outgoing.bytes', 'cumulative', 'B', Math.round(bytes / 3), vnic, i.project, vmd);
    add('network.incoming.packets', 'cumulative', 'packet', Math.round(bytes / 800), vnic, i.project, vmd);
    add('network.outgoing.packets', 'cumulative', 'packet', Math.round(bytes / 2400), vnic, i.project, vmd);
    add('network.incoming.packets.drop', 'cumulative', 'packet', k, vnic, i.project, vmd);
    add('network.outgoing.packets.drop', 'cumulative', 'packet', 0, vnic, i.project, vmd);
    add('network.incoming.packets.error', 'cumulative', 'packet', 2 * k, vnic, i.project, vmd);
    add('network.outgoing.packets.error', 'cumulative', 'packet', 0, vnic, i.project, vmd);
  });
  PORTS.forEach((p, n) => {
    const id = `${p.dpid}:${p.port}`;
    const md: Record<string, unknown> = { controller: 'OpenvSwitch', switch: p.dpid, port_number_on_switch: p.port, bridge: 'br-int', name: p.instance ? `tap${p.instance.id.slice(-8)}-aa` : 'br-int', type: p.instance ? '' : 'internal' };
    if (p.neutron !== null) md.neutron_port_id = p.neutron;
    if (p.instance !== null) md.instance_id = p.instance.id;
    const bytes = seconds * 15_000 * (n + 1);
    add('switch.port', 'gauge', 'port', 1, id, null, md);
    add('switch.port.receive.bytes', 'cumulative', 'B', Math.round(bytes), id, null, md);
    add('switch.port.transmit.bytes', 'cumulative', 'B', Math.round(bytes * 2), id, null, md);
    add('switch.port.receive.packets', 'cumulative', 'packet', Math.round(bytes / 700), id, null, md);
    add('switch.port.transmit.packets', 'cumulative', 'packet', Math.round(bytes / 350), id, null, md);
    add('switch.port.receive.drops', 'cumulative', 'packet', k * n, id, null, md);
    add('switch.port.transmit.drops', 'cumulative', 'packet', k, id, null, md);
    add('switch.port.receive.errors', 'cumulative', 'packet', 0, id, null, md);
    add('switch.port.transmit.errors', 'cumulative', 'packet', k, id, null, md);
  });
  for (const [n, project] of [P1, P2].entries()) {
    // Ceilometer's RGW pollsters: per project, no metadata
    add('radosgw.objects', 'gauge', 'object', 100 * (n + 1) + k, project, project, {});
    add('radosgw.objects.size', 'gauge', 'B', (100 * (n + 1) + k) * 65_536, project, project, {});
    add('radosgw.objects.containers', 'gauge', 'object', n + 2, project, project, {});
    add('radosgw.api.request', 'gauge', 'request', 40 * k * (n + 1), project, project, {});
  }
  return out;
}

/** Cinder's `volume.exists` of the fixtures, for two volumes of P1 and one of P2, at a time. */
function volumeNotifications(at: Date): unknown[] {
  const fixtures = JSON.parse(readFileSync(new URL('../fixtures/notifications/cinder.json', import.meta.url), 'utf8')) as { event_type: string; payload: Record<string, unknown> }[];
  const exists = fixtures.find((n) => n.event_type === 'volume.exists');
  assert.ok(exists, 'the fixtures have a volume.exists');
  const stamp = at.toISOString().replace('T', ' ').replace('Z', '');
  return [
    [P1, '4c3b2a19-8f7e-4d6c-b5a4-93827160f5e4', 10],
    [P1, '4c3b2a19-8f7e-4d6c-b5a4-93827160f5e5', 40],
    [P2, '4c3b2a19-8f7e-4d6c-b5a4-93827160f5e6', 100],
  ].map(([project, volume, size]) => ({
    ...exists,
    message_id: randomUUID(),
    timestamp: stamp,
    payload: { ...exists.payload, tenant_id: project, user_id: USER[project as string], volume_id: volume, size },
  }));
}

interface Series {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp_ms: number }[];
}

/** A series as tally agent's /metrics exposes a Ceph sample (Ceilometer's exporter's labels), scraped under job tally-agent. */
function agentCephSeries(meter: string, resource: string, unit: string, values: number[], times: number[]): Series {
  const parts = meter.split('.');
  const labels: Record<string, string> = {
    __name__: `ceilometer_${meter.replace(/\./g, '_')}`,
    [parts[0]]: parts.length > 2 ? parts[2] : resource,
    publisher: 'ceilometer',
    type: parts.length > 1 ? parts[1] : parts[0],
    counter: meter,
    unit,
    resource,
    server_group: 'none',
    job: 'tally-agent',
    instance: 'compute-1:9101',
  };
  return { labels: Object.entries(labels).map(([name, value]) => ({ name, value })), samples: values.map((value, i) => ({ value, timestamp_ms: times[i] })) };
}

function seriesOf(labels: Record<string, string>, value: (k: number) => number, times: number[]): Series {
  return { labels: Object.entries(labels).map(([name, v]) => ({ name, value: v })), samples: times.map((t, k) => ({ value: value(k), timestamp_ms: t })) };
}

function agentSeries(times: number[]): Series[] {
  const out: Series[] = [];
  const ramp = (base: number, perPoll: number): number[] => times.map((_, k) => base + perPoll * k);
  out.push(agentCephSeries('ceph.cluster.bytes.total', CEPH_FSID, 'B', ramp(3 * 2 ** 40, 0), times));
  out.push(agentCephSeries('ceph.cluster.bytes.used', CEPH_FSID, 'B', ramp(2 ** 40, 2 ** 30), times));
  out.push(agentCephSeries('ceph.cluster.bytes.available', CEPH_FSID, 'B', ramp(2 * 2 ** 40, -(2 ** 30)), times));
  out.push(agentCephSeries('ceph.cluster.health', CEPH_FSID, 'status', ramp(0, 0), times));
  out.push(agentCephSeries('ceph.osd.up', CEPH_FSID, 'osd', ramp(3, 0), times));
  out.push(agentCephSeries('ceph.osd.in', CEPH_FSID, 'osd', ramp(3, 0), times));
  for (const osd of ['osd.0', 'osd.1', 'osd.2']) {
    out.push(agentCephSeries('ceph.osd.commit.latency', osd, 'ms', ramp(1.5, 0.01), times));
    out.push(agentCephSeries('ceph.osd.apply.latency', osd, 'ms', ramp(0.8, 0.01), times));
  }
  POOLS.forEach((pool, n) => {
    out.push(agentCephSeries('ceph.pool.bytes.used', pool, 'B', ramp(3 * (n + 1) * 2 ** 30, 3 * 2 ** 20), times));
    out.push(agentCephSeries('ceph.pool.bytes.stored', pool, 'B', ramp((n + 1) * 2 ** 30, 2 ** 20), times));
    out.push(agentCephSeries('ceph.pool.objects', pool, 'object', ramp(1000 * (n + 1), 5), times));
    out.push(agentCephSeries('ceph.pool.read.requests', pool, 'request', ramp(0, 3000 * (n + 1)), times));
    out.push(agentCephSeries('ceph.pool.write.requests', pool, 'request', ramp(0, 1500 * (n + 1)), times));
    out.push(agentCephSeries('ceph.pool.read.bytes', pool, 'B', ramp(0, 3000 * 4096 * (n + 1)), times));
    out.push(agentCephSeries('ceph.pool.write.bytes', pool, 'B', ramp(0, 1500 * 8192 * (n + 1)), times));
  });
  for (const i of INSTANCES) out.push(agentCephSeries('ceph.rbd.image.used', i.id, 'B', ramp(2 ** 30, 2 ** 20), times));
  // the agent's own health, one series per source and sampler
  const job = { job: 'tally-agent', instance: 'compute-1:9101' };
  for (const [source, sampler] of [['compute', 'libvirt'], ['network', 'ovs'], ['ceph', 'ceph']]) {
    out.push(seriesOf({ __name__: 'tally_agent_source_up', source, sampler, ...job }, () => 1, times));
    out.push(seriesOf({ __name__: 'tally_agent_poll_duration_seconds', source, sampler, ...job }, (k) => 0.1 + 0.001 * k, times));
    out.push(seriesOf({ __name__: 'tally_agent_poll_samples', source, sampler, ...job }, () => 120, times));
  }
  return out;
}

/**
 * tally's own /metrics, read once and written back as a Prometheus scraping
 * it would have over the last hour: counters grow, gauges drift a little.
 */
async function ownSeries(url: string, times: number[]): Promise<Series[]> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  const batch = new SampleBatch();
  parseExposition(await res.text(), 'prometheus', batch);
  const instance = new URL(url).host;
  const out: Series[] = [];
  const target = { job: 'tally', instance };
  for (let i = 0; i < batch.length; i++) {
    const labels = Object.fromEntries(parseSeries(batch.keys[i]));
    const v = batch.values[i];
    if (!Number.isFinite(v)) continue;
    const grows = /_(total|sum|count|bucket)$/.test(labels.__name__);
    out.push(seriesOf({ ...labels, ...target }, (k) => (grows ? v * (1 + k / times.length) + k : v * (1 + 0.01 * Math.sin(k))), times));
  }
  // what Prometheus adds for each scrape
  out.push(seriesOf({ __name__: 'up', ...target }, () => 1, times));
  out.push(seriesOf({ __name__: 'scrape_duration_seconds', ...target }, (k) => 0.01 + 0.0001 * k, times));
  out.push(seriesOf({ __name__: 'up', job: 'tally-agent', instance: 'compute-1:9101' }, () => 1, times));
  return out;
}

/** A `prometheus_scrape_config` file in dir: one agent on a port nothing listens on, scraped every second. */
export async function scrapeConfig(dir: string): Promise<string> {
  const file = join(dir, 'scrape.yml');
  writeFileSync(file, `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: tally-agent\n    static_configs: [{ targets: ['127.0.0.1:${await freePort()}'] }]\n`);
  return file;
}

/** until tally's /metrics shows a series of the metric (a scrape target has its series once scraped) */
async function exposed(url: string, metric: string): Promise<void> {
  const until = Date.now() + 30_000;
  while (!new RegExp(`^${metric}\\{`, 'm').test(await (await fetch(`${url}/metrics`)).text())) {
    assert.ok(Date.now() < until, `${metric} not on /metrics within 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function post(url: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.status < 300, `POST ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function loadCloud(url: string, now: number): Promise<void> {
  const times = Array.from({ length: POLLS }, (_, k) => now - (POLLS - 1 - k) * STEP_MS);
  for (const [k, t] of times.entries()) {
    const answer = (await post(url, '/collector/samples', pollSamples(k, new Date(t).toISOString()))) as { failed: unknown[] };
    assert.deepEqual(answer.failed, [], 'every sample stored');
    await post(url, '/collector/notifications', volumeNotifications(new Date(t)));
  }
  // the alarm's rule names an instance's cpu, which the samples above made
  await post(url, '/v2/alarms', {
    name: 'web-1-busy',
    type: 'gnocchi_resources_threshold',
    gnocchi_resources_threshold_rule: { metric: 'cpu', resource_id: INSTANCES[0].id, resource_type: 'instance', aggregation_method: 'mean', granularity: 300, comparison_operator: 'gt', threshold: 1e12, evaluation_periods: 1 },
  });
  await exposed(url, 'tally_scrape_target_up');
  const written = [...agentSeries(times), ...(await ownSeries(url, times))];
  const res = await fetch(`${url}/api/v1/write`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    body: new Uint8Array(encodeWriteRequest(written)),
  });
  assert.equal(res.status, 204, await res.text());
}
