/**
 * The Ceph sampler against a real single-node Ceph (Debian 12's Pacific:
 * 1 mon, 1 mgr, 1 bluestore OSD on a file, radosgw) brought up once for the
 * file by test/ceph/up.sh: Cinder- and Nova-named RBD images, RGW users named
 * as projects. What the sampler reports is checked against the cluster's own
 * CLIs (`ceph`, `rbd`, `radosgw-admin`) read just before and just after the
 * poll. The sampler reads as `client.tally-agent`, which has only the caps
 * agents/ceph/README.md asks for, so the tests also prove those suffice.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CEPH_METERS } from '../../agents/ceph/meters.js';
import { signV2 } from '../../agents/ceph/rgw-admin.js';
import { meteringMessage } from '../../agents/publish/metering-message.js';
import { CephSampler, type CephSamplerOptions } from '../../agents/ceph/sampler.js';
import type { AgentSample } from '../../agents/sample.js';
import { type CephCluster, startCephCluster } from '../ceph/cluster.js';
import { startTestServer } from '../helpers/tally-server.js';
import { type Requirement, requires } from '../lib/requirements.js';

const MiB = 1024 * 1024;
const CEPH_NEEDS = ['ceph-mon', 'ceph-mgr', 'ceph-osd', 'ceph-common', 'radosgw'] as const satisfies readonly Requirement[];
const ALL = new Set(CEPH_METERS.map((m) => m.name));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The sample of `name` on `resource`: exactly one. */
function one(samples: readonly AgentSample[], name: string, resource: string): AgentSample {
  const found = samples.filter((s) => s.name === name && s.resource_id === resource);
  assert.equal(found.length, 1, `${name} on ${resource}: ${found.length} samples`);
  return found[0];
}

/**
 * The CLI read before and after the poll brackets what the poll read: a value
 * that did not change in between must be equal; one that changed (the OSDs
 * report every few seconds) must lie between the two readings.
 */
function bracketed(sampled: number, before: number, after: number, what: string): void {
  if (before === after) assert.equal(sampled, before, what);
  else assert.ok(sampled >= Math.min(before, after) && sampled <= Math.max(before, after), `${what}: ${sampled} not within [${before}, ${after}]`);
}

interface DfPool {
  name: string;
  id: number;
  stats: { stored: number; bytes_used: number; objects: number; rd: number; rd_bytes: number; wr: number; wr_bytes: number };
}
interface Df {
  stats: { total_bytes: number; total_avail_bytes: number; total_used_raw_bytes: number };
  pools: DfPool[];
}
interface RgwBucketStats {
  bucket: string;
  tenant: string;
  owner: string;
  usage: Record<string, { num_objects: number; size_kb: number }>;
}
interface RgwUsage {
  summary: { user: string; total: { ops: number } }[];
}

describe('Ceph sampler on a real single-node cluster', { ...requires(...CEPH_NEEDS, 'root'), timeout: 600_000 }, () => {
  let cluster: CephCluster;
  let options: CephSamplerOptions;
  let sampler: CephSampler;
  const progress: string[] = [];

  before(async () => {
    const started = Date.now();
    cluster = await startCephCluster({ log: (line) => progress.push(line) });
    const e = cluster.env;
    options = { conf: e.CEPH_CONF, id: e.CEPH_AGENT_ID, rgw: { endpoint: e.CEPH_RGW_URL, accessKey: e.CEPH_RGW_ACCESS_KEY, secretKey: e.CEPH_RGW_SECRET_KEY } };
    sampler = new CephSampler(options);
    console.log(`# ceph up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    await sampler?.close();
    // stops the daemons even when before() failed half-way (startCephCluster cleans up after itself then)
    await cluster?.stop();
  });

  const df = async (): Promise<Df> => (await cluster.ceph('df', 'detail')) as Df;
  const bucketStats = async (): Promise<RgwBucketStats[]> => (await cluster.radosgwAdmin('bucket', 'stats')) as RgwBucketStats[];
  const usage = async (): Promise<RgwUsage> => (await cluster.radosgwAdmin('usage', 'show', '--show-log-entries=false')) as RgwUsage;
  const rbdDu = async (spec: string): Promise<{ provisioned_size: number; used_size: number }> =>
    (JSON.parse(await cluster.rbd('du', '--format', 'json', spec)) as { images: { provisioned_size: number; used_size: number }[] }).images[0];

  it('produces every meter, each with its declared type and unit, stamped with one poll time', async () => {
    const samples = await sampler.poll(ALL);
    assert.deepEqual(sampler.lastErrors, {});
    assert.deepEqual(new Set(samples.map((s) => s.name)), ALL);
    const declared = new Map(CEPH_METERS.map((m) => [m.name, m]));
    for (const s of samples) {
      assert.equal(s.type, declared.get(s.name)?.type, s.name);
      assert.equal(s.unit, declared.get(s.name)?.unit, s.name);
      assert.ok(Number.isFinite(s.volume), s.name);
      assert.equal(s.user_id, null);
    }
    assert.equal(new Set(samples.map((s) => s.timestamp)).size, 1);
    assert.match(samples[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
  });

  it('reports capacity and health as `ceph df` and `ceph health` do', async () => {
    const [dfBefore, healthBefore] = await Promise.all([df(), cluster.ceph('health') as Promise<{ status: string }>]);
    const samples = await sampler.poll(new Set(['ceph.cluster.bytes.total', 'ceph.cluster.bytes.used', 'ceph.cluster.bytes.available', 'ceph.cluster.health']));
    const [dfAfter, healthAfter] = await Promise.all([df(), cluster.ceph('health') as Promise<{ status: string }>]);
    const fsid = cluster.env.CEPH_FSID;
    assert.equal(samples.length, 4);
    assert.equal(one(samples, 'ceph.cluster.bytes.total', fsid).volume, dfAfter.stats.total_bytes);
    bracketed(one(samples, 'ceph.cluster.bytes.used', fsid).volume, dfBefore.stats.total_used_raw_bytes, dfAfter.stats.total_used_raw_bytes, 'used');
    bracketed(one(samples, 'ceph.cluster.bytes.available', fsid).volume, dfBefore.stats.total_avail_bytes, dfAfter.stats.total_avail_bytes, 'available');
    const health = { HEALTH_OK: 0, HEALTH_WARN: 1, HEALTH_ERR: 2 } as Record<string, number>;
    assert.equal(healthBefore.status, healthAfter.status);
    assert.equal(one(samples, 'ceph.cluster.health', fsid).volume, health[healthAfter.status]);
    assert.equal(one(samples, 'ceph.cluster.health', fsid).resource_metadata.status, healthAfter.status);
  });

  it('reports every pool as `ceph df detail` does, by pool name', async () => {
    const before = await df();
    const samples = await sampler.poll(new Set(CEPH_METERS.filter((m) => m.part === 'pools').map((m) => m.name)));
    const after = await df();
    assert.deepEqual(new Set(samples.map((s) => s.resource_id)), new Set(after.pools.map((p) => p.name)));
    assert.ok(samples.some((s) => s.resource_id === 'volumes') && samples.some((s) => s.resource_id === 'vms'));
    const fields = {
      'ceph.pool.bytes.used': 'bytes_used',
      'ceph.pool.bytes.stored': 'stored',
      'ceph.pool.objects': 'objects',
      'ceph.pool.read.requests': 'rd',
      'ceph.pool.write.requests': 'wr',
      'ceph.pool.read.bytes': 'rd_bytes',
      'ceph.pool.write.bytes': 'wr_bytes',
    } as const;
    for (const pool of after.pools) {
      const was = before.pools.find((p) => p.id === pool.id);
      assert.ok(was, pool.name);
      for (const [meter, field] of Object.entries(fields)) {
        const s = one(samples, meter, pool.name);
        bracketed(s.volume, was.stats[field], pool.stats[field], `${meter} ${pool.name}`);
        assert.equal(s.resource_metadata.pool_id, pool.id);
      }
    }
  });

  it('counts OSDs up and in, and gives each OSD its latencies, as `ceph osd stat` and `ceph osd perf` do', async () => {
    type Perf = { osdstats: { osd_perf_infos: { id: number; perf_stats: { commit_latency_ns: number; apply_latency_ns: number } }[] } };
    const perfBefore = (await cluster.ceph('osd', 'perf')) as Perf;
    const samples = await sampler.poll(new Set(CEPH_METERS.filter((m) => m.part === 'osds').map((m) => m.name)));
    const perfAfter = (await cluster.ceph('osd', 'perf')) as Perf;
    const stat = (await cluster.ceph('osd', 'stat')) as { num_osds: number; num_up_osds: number; num_in_osds: number };
    const fsid = cluster.env.CEPH_FSID;
    assert.equal(stat.num_osds, 1);
    assert.equal(one(samples, 'ceph.osd.up', fsid).volume, stat.num_up_osds);
    assert.equal(one(samples, 'ceph.osd.in', fsid).volume, stat.num_in_osds);
    const latency = (perf: Perf, key: 'commit_latency_ns' | 'apply_latency_ns'): number => (perf.osdstats.osd_perf_infos.find((i) => i.id === 0)?.perf_stats[key] ?? NaN) / 1e6;
    bracketed(one(samples, 'ceph.osd.commit.latency', 'osd.0').volume, latency(perfBefore, 'commit_latency_ns'), latency(perfAfter, 'commit_latency_ns'), 'commit');
    bracketed(one(samples, 'ceph.osd.apply.latency', 'osd.0').volume, latency(perfBefore, 'apply_latency_ns'), latency(perfAfter, 'apply_latency_ns'), 'apply');
  });

  it('ties RBD images to the Cinder volume and the Nova instance they are, with `rbd du`\'s sizes', async () => {
    const { CEPH_VOLUME_ID: volume, CEPH_INSTANCE_ID: instance } = cluster.env;
    const samples = await sampler.poll(new Set(['ceph.rbd.image.provisioned', 'ceph.rbd.image.used']));
    // every image of every RBD pool, and nothing else
    const images = [...(await cluster.rbd('ls', 'volumes')).split('\n'), ...(await cluster.rbd('ls', 'vms')).split('\n')].filter(Boolean);
    assert.equal(samples.length, 2 * images.length);
    assert.deepEqual(new Set(samples.map((s) => s.resource_id)), new Set([volume, instance]));

    const vol = await rbdDu(`volumes/volume-${volume}`);
    assert.equal(vol.provisioned_size, 64 * MiB);
    assert.equal(vol.used_size, 4 * MiB);
    assert.equal(one(samples, 'ceph.rbd.image.provisioned', volume).volume, vol.provisioned_size);
    assert.equal(one(samples, 'ceph.rbd.image.used', volume).volume, vol.used_size);
    assert.deepEqual(one(samples, 'ceph.rbd.image.used', volume).resource_metadata, {
      cluster_fsid: cluster.env.CEPH_FSID, pool: 'volumes', image: `volume-${volume}`, kind: 'volume', volume_id: volume,
    });

    const disk = await rbdDu(`vms/${instance}_disk`);
    assert.equal(one(samples, 'ceph.rbd.image.provisioned', instance).volume, disk.provisioned_size);
    assert.equal(one(samples, 'ceph.rbd.image.used', instance).volume, disk.used_size);
    assert.equal(one(samples, 'ceph.rbd.image.used', instance).resource_metadata.kind, 'instance_disk');
    assert.equal(one(samples, 'ceph.rbd.image.used', instance).resource_metadata.instance_id, instance);
  });

  it('lands in tally: the cluster, its pools and OSDs as resources of their own, an RBD volume on its Cinder volume', async () => {
    const { CEPH_VOLUME_ID: volume, CEPH_FSID: fsid } = cluster.env;
    const tally = await startTestServer({}, { collector: true });
    try {
      const api = async (method: string, path: string, body?: unknown): Promise<any> => {
        const res = await fetch(`${tally.url}${path}`, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
        return text ? JSON.parse(text) : null;
      };
      // Cinder's notification made the volume first
      await api('POST', '/v1/resource/volume', { id: volume, display_name: 'data', project_id: 'bbbb1111bbbb1111bbbb1111bbbb1111' });
      const samples = await sampler.poll(new Set(CEPH_METERS.map((m) => m.name).filter((n) => n.startsWith('ceph.'))));
      // as the agent publishes them (agents/publish), through the collector's HTTP door
      const ingested = (await api('POST', '/collector/samples', samples.map(meteringMessage))) as { accepted: number; failed: unknown[] };
      assert.deepEqual(ingested.failed, []);
      const pools = (await df()).pools.map((p) => p.name).sort();
      const stored = (await api('GET', '/v1/resource/ceph_pool')) as { original_resource_id: string; cluster_fsid: string; metrics: Record<string, string> }[];
      assert.deepEqual(stored.map((r) => r.original_resource_id).sort(), pools);
      for (const r of stored) {
        assert.equal(r.cluster_fsid, fsid);
        const sampled = one(samples, 'ceph.pool.objects', r.original_resource_id).volume;
        const measures = (await api('GET', `/v1/metric/${r.metrics['ceph.pool.objects']}/measures?refresh=true&aggregation=mean`)) as [string, number, number][];
        assert.equal(measures.at(-1)?.[2], sampled, `${r.original_resource_id} objects`);
      }
      const [clusterResource] = (await api('GET', '/v1/resource/ceph_cluster')) as { original_resource_id: string; metrics: Record<string, string> }[];
      assert.equal(clusterResource.original_resource_id, fsid);
      assert.ok(clusterResource.metrics['ceph.cluster.bytes.total'] && clusterResource.metrics['ceph.osd.up']);
      assert.ok(((await api('GET', '/v1/resource/ceph_osd')) as unknown[]).length >= 1);
      // the RBD image's sizes are the volume's own metrics, not a resource of their own
      const vol = (await api('GET', `/v1/resource/volume/${volume}`)) as { metrics: Record<string, string> };
      assert.ok(vol.metrics['ceph.rbd.image.used'], JSON.stringify(vol.metrics));
      // and through the Prometheus API, as Ceilometer's exporter would name them
      const q = new URLSearchParams({ 'match[]': 'ceilometer_ceph_pool_objects' });
      const series = (await api('GET', `/api/v1/series?${q}`)) as { data: Record<string, string>[] };
      assert.deepEqual(series.data.map((x) => x.resource).sort(), pools);
    } finally {
      await tally.close();
    }
  });

  it("reports RGW usage per project as Ceilometer's radosgw pollsters do, from `radosgw-admin`'s numbers", async () => {
    const { CEPH_PROJECT_A: a, CEPH_PROJECT_B: b } = cluster.env;
    const usageBefore = await usage();
    const samples = await sampler.poll(new Set(['radosgw.objects', 'radosgw.objects.size', 'radosgw.objects.containers', 'radosgw.containers.objects', 'radosgw.containers.objects.size', 'radosgw.usage']));
    const [stats, usageAfter] = await Promise.all([bucketStats(), usage()]);
    for (const s of samples) assert.equal(s.project_id, s.resource_id.split('/')[0], `${s.name} ${s.resource_id}`);
    // B's user is `B$B`: the project is B, its bucket `B/bucket-b`
    for (const [project, owner, bucket, objects] of [[a, a, 'bucket-a', 3], [b, `${b}$${b}`, 'bucket-b', 2]] as const) {
      const st = stats.find((s) => s.owner === owner && s.bucket === bucket);
      assert.ok(st, `${owner}'s ${bucket}`);
      const kb = Object.values(st.usage).reduce((n, u) => n + u.size_kb, 0);
      assert.equal(Object.values(st.usage).reduce((n, u) => n + u.num_objects, 0), objects);
      assert.equal(one(samples, 'radosgw.objects', project).volume, objects);
      assert.equal(one(samples, 'radosgw.objects.size', project).volume, kb * 1024);
      assert.equal(one(samples, 'radosgw.objects.containers', project).volume, 1);
      assert.equal(one(samples, 'radosgw.containers.objects', `${project}/${bucket}`).volume, objects);
      assert.equal(one(samples, 'radosgw.containers.objects.size', `${project}/${bucket}`).volume, kb * 1024);
      const ops = (u: RgwUsage): number => u.summary.find((s) => s.user === owner)?.total.ops ?? 0;
      bracketed(one(samples, 'radosgw.api.request', project).volume, ops(usageBefore), ops(usageAfter), `${project} requests`);
      assert.ok(one(samples, 'radosgw.api.request', project).volume >= objects + 1, 'a bucket made and its objects put');
    }
  });

  it('sees usage grow after more data is written to an instance disk and a bucket', async () => {
    const { CEPH_INSTANCE_ID: instance, CEPH_PROJECT_A: a } = cluster.env;
    const wanted = new Set(['ceph.rbd.image.used', 'ceph.pool.bytes.stored', 'ceph.pool.write.bytes', 'ceph.pool.write.requests', 'radosgw.objects', 'radosgw.objects.size', 'radosgw.containers.objects', 'radosgw.api.request']);
    const opsOfA = async (): Promise<number> => (await usage()).summary.find((s) => s.user === a)?.total.ops ?? 0;
    // RGW flushes its usage log every second: A's earlier requests must all be counted before the first poll, so that one PUT counts one
    for (let previous = -1, i = 0; i < 10; i++) {
      const now = await opsOfA();
      if (now === previous) break;
      previous = now;
      await sleep(1500);
    }
    const first = await sampler.poll(wanted);
    const v = (samples: readonly AgentSample[], name: string, resource: string): number => one(samples, name, resource).volume;
    assert.equal(v(first, 'ceph.rbd.image.used', instance), 0);

    // 8 MiB at the start of the disk: two 4 MiB objects
    await cluster.rbd('bench', '--io-type', 'write', '--io-size', '1M', '--io-threads', '1', '--io-total', '8M', '--io-pattern', 'seq', `vms/${instance}_disk`);
    // one more object of 100000 bytes in A's bucket, put as A
    const user = (await cluster.radosgwAdmin('user', 'info', '--uid', a)) as { keys: { access_key: string; secret_key: string }[] };
    const date = new Date().toUTCString();
    const put = await fetch(`${cluster.env.CEPH_RGW_URL}/bucket-a/object-4`, {
      method: 'PUT',
      headers: { date, authorization: `AWS ${user.keys[0].access_key}:${signV2(user.keys[0].secret_key, 'PUT', '/bucket-a/object-4', date)}` },
      body: new Uint8Array(100_000),
    });
    assert.equal(put.status, 200, await put.text());

    // the OSD reports pool statistics every few seconds, RGW flushes its usage log every second
    const stored = async (): Promise<number> => (await df()).pools.find((p) => p.name === 'vms')?.stats.stored ?? NaN;
    for (let i = 0; i < 60; i++) {
      if ((await stored()) >= v(first, 'ceph.pool.bytes.stored', 'vms') + 8 * MiB && (await opsOfA()) > v(first, 'radosgw.api.request', a)) break;
      await sleep(1000);
    }

    const second = await sampler.poll(wanted);
    assert.deepEqual(sampler.lastErrors, {});
    assert.equal(v(second, 'ceph.rbd.image.used', instance), 8 * MiB);
    assert.equal(v(second, 'ceph.rbd.image.used', instance), (await rbdDu(`vms/${instance}_disk`)).used_size);
    assert.ok(v(second, 'ceph.pool.bytes.stored', 'vms') >= v(first, 'ceph.pool.bytes.stored', 'vms') + 8 * MiB);
    assert.ok(v(second, 'ceph.pool.write.bytes', 'vms') >= v(first, 'ceph.pool.write.bytes', 'vms') + 8 * MiB);
    assert.ok(v(second, 'ceph.pool.write.requests', 'vms') >= v(first, 'ceph.pool.write.requests', 'vms') + 8);
    assert.equal(v(second, 'radosgw.objects', a), v(first, 'radosgw.objects', a) + 1);
    assert.equal(v(second, 'radosgw.containers.objects', `${a}/bucket-a`), v(first, 'radosgw.containers.objects', `${a}/bucket-a`) + 1);
    // size_kb is the bucket's bytes rounded up to KiB: 900000 + 100000 B are 977 KiB
    const bucketA = (await bucketStats()).find((st) => st.owner === a && st.bucket === 'bucket-a');
    assert.equal(bucketA?.usage['rgw.main'].size_kb, Math.ceil(1_000_000 / 1024));
    assert.equal(v(second, 'radosgw.objects.size', a), Math.ceil(1_000_000 / 1024) * 1024);
    assert.ok(v(second, 'radosgw.objects.size', a) > v(first, 'radosgw.objects.size', a));
    assert.equal(v(second, 'radosgw.api.request', a), v(first, 'radosgw.api.request', a) + 1);
  });

  it('asks only for what is wanted, and knows radosgw.usage as Ceilometer\'s polling.yaml names it', async () => {
    const samples = await sampler.poll(new Set(['ceph.cluster.health', 'radosgw.usage', 'not.a.ceph.meter']));
    assert.deepEqual(new Set(samples.map((s) => s.name)), new Set(['ceph.cluster.health', 'radosgw.api.request']));
    assert.ok(sampler.meters.includes('radosgw.usage'));
    assert.deepEqual(await sampler.poll(new Set(['cpu'])), []);
    const noRgw = new CephSampler({ conf: options.conf, id: options.id });
    assert.ok(!noRgw.meters.some((m) => m.startsWith('radosgw.')));
    assert.deepEqual(new Set((await noRgw.poll(ALL)).map((s) => s.name.split('.')[0])), new Set(['ceph']));
  });

  it('loses only the part that fails: RGW unreachable or refusing, or the cluster refusing the client', async () => {
    const rgw = options.rgw;
    assert.ok(rgw);
    const deadRgw = new CephSampler({ ...options, rgw: { ...rgw, endpoint: `http://127.0.0.1:${await closedPort()}` } });
    const withoutRgw = await deadRgw.poll(ALL);
    assert.deepEqual(Object.keys(deadRgw.lastErrors), ['rgw']);
    assert.match(deadRgw.lastErrors.rgw ?? '', /ECONNREFUSED/);
    assert.ok(withoutRgw.some((s) => s.name === 'ceph.cluster.health'));
    assert.ok(!withoutRgw.some((s) => s.name.startsWith('radosgw.')));

    const wrongKey = new CephSampler({ ...options, rgw: { ...rgw, secretKey: 'not-the-secret' } });
    assert.ok((await wrongKey.poll(ALL)).some((s) => s.name === 'ceph.pool.objects'));
    assert.match(wrongKey.lastErrors.rgw ?? '', /403/);

    // a client the cluster does not know: every librados part fails, RGW still answers
    const stranger = new CephSampler({ ...options, id: 'nobody', keyring: `${cluster.dir}/keyring.client.tally-agent` });
    const onlyRgw = await stranger.poll(ALL);
    assert.deepEqual(new Set(Object.keys(stranger.lastErrors)), new Set(['cluster', 'pools', 'osds', 'rbd']));
    assert.ok(onlyRgw.length > 0 && onlyRgw.every((s) => s.name.startsWith('radosgw.')));

    const noPython = new CephSampler({ ...options, python: '/nonexistent/python3' });
    assert.ok((await noPython.poll(ALL)).some((s) => s.name === 'radosgw.objects'));
    assert.match(noPython.lastErrors.cluster ?? '', /\/nonexistent\/python3 not found/);

    const nothing = new CephSampler({ ...options, id: 'nobody', keyring: `${cluster.dir}/keyring.client.tally-agent`, rgw: { ...rgw, secretKey: 'not-the-secret' } });
    await assert.rejects(nothing.poll(ALL), /nothing could be read: cluster, pools, osds, rbd: .*; rgw: .*403/);
  });

  it('reads pools it may read and says which images it may not', async () => {
    // a client allowed the volumes pool only: vms' images are an rbd error, the rest is read
    const [entity] = (await cluster.ceph('auth', 'get-or-create', 'client.volumes-only', 'mon', 'profile rbd, allow r', 'osd', 'profile rbd-read-only pool=volumes', 'mgr', 'allow r')) as { key: string }[];
    // where the conf's keyring = …/keyring.$name finds it
    writeFileSync(`${cluster.dir}/keyring.client.volumes-only`, `[client.volumes-only]\n\tkey = ${entity.key}\n`);
    const narrow = new CephSampler({ conf: options.conf, id: 'volumes-only' });
    const samples = await narrow.poll(new Set(['ceph.rbd.image.used', 'ceph.cluster.health']));
    assert.deepEqual(Object.keys(narrow.lastErrors), ['rbd']);
    assert.match(narrow.lastErrors.rbd ?? '', /^vms: /);
    assert.deepEqual(samples.filter((s) => s.name === 'ceph.rbd.image.used').map((s) => s.resource_id), [cluster.env.CEPH_VOLUME_ID]);
    assert.ok(samples.some((s) => s.name === 'ceph.cluster.health'));
  });

  it('stops a poll under way when closed', async () => {
    const closing = new CephSampler(options);
    const poll = closing.poll(ALL);
    await closing.close();
    await assert.rejects(poll, /nothing could be read/);
  });
});
