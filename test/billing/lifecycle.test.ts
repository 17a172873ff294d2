/**
 * tally's own rating, end to end: resources and measures written through the
 * Gnocchi API as Ceilometer's publisher writes them (a sample every 300 s,
 * 17 s past the grid, into Ceilometer's ceilometer-low(-rate) policies),
 * hashmap rules set through CloudKitty's API on tally, then the reporting
 * APIs asked (/v2/summary, /v2/dataframes, /v1/report/*, /v1/storage/
 * dataframes) with tally's shipped metrics.yml. Every expected quantity and
 * cost is worked out by hand below.
 *
 * 1. A cloud in the past (three hours from T0): instances created, deleted,
 *    living across an hour boundary, stopped (meters quiet) and started
 *    again; volumes grown and deleted; an image; a floating IP; a second
 *    project that a member of the first never sees.
 * 2. Changes of attributes (a resize, a volume retyped): a revision starts
 *    when tally records it, so this cloud lives now, and the expected costs
 *    use the instants the resources' history gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

const HOUR = 3600;
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0) / 1000;
const P = 'c1c2c3c4c5c6c7c8c9cacbcccdcecfd0';
const Q = 'd1d2d3d4d5d6d7d8d9dadbdcdddedfe0';
const USER = 'e1e2e3e4e5e6e7e8e9eaebecedeeeff0';
const at = (h: number, m = 0): number => T0 + h * HOUR + m * 60;
const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', '+00:00');
const isoZ = (t: number): string => new Date(t * 1000).toISOString().slice(0, 19);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

async function call(server: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: Json; type: string }> {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await r.text();
  let json: Json = null;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = null;
  }
  return { status: r.status, text, json, type: r.headers.get('content-type') ?? '' };
}

async function ok(server: TestServer, method: string, path: string, body?: unknown, statuses = [200, 201, 202, 204]): Promise<Json> {
  const r = await call(server, method, path, body);
  if (!statuses.includes(r.status)) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.text.slice(0, 400)}`);
  return r.json;
}

/** The hashmap rules every case is priced with. */
async function configureRules(server: TestServer): Promise<void> {
  const H = '/v1/rating/module_config/hashmap';
  const post = async (path: string, body: Record<string, unknown>): Promise<Record<string, Json>> => (await ok(server, 'POST', `${H}/${path}`, body)) as Record<string, Json>;
  // instances: a price per hour by flavor
  const instance = String((await post('services', { name: 'instance' })).service_id);
  const flavor = String((await post('fields', { service_id: instance, name: 'flavor_name' })).field_id);
  for (const [value, cost] of [['m1.small', '0.25'], ['m1.medium', '0.5'], ['m1.large', '2']]) await post('mappings', { field_id: flavor, value, cost, type: 'flat' });
  // volumes: 0.002 per GiB-hour, × 2.5 on ssd, × 1 on hdd, × 0.9 from 50 GiB on
  const volume = String((await post('services', { name: 'volume.size' })).service_id);
  await post('mappings', { service_id: volume, cost: '0.002', type: 'flat' });
  const volumeType = String((await post('fields', { service_id: volume, name: 'volume_type' })).field_id);
  await post('mappings', { field_id: volumeType, value: 'ssd', cost: '2.5', type: 'rate' });
  await post('mappings', { field_id: volumeType, value: 'hdd', cost: '1', type: 'rate' });
  await post('thresholds', { service_id: volume, level: '50', cost: '0.9', type: 'rate' });
  // images: 0.00001 per MiB-hour; floating IPs: 0.01 per hour
  await post('mappings', { service_id: String((await post('services', { name: 'image.size' })).service_id), cost: '0.00001', type: 'flat' });
  await post('mappings', { service_id: String((await post('services', { name: 'ip.floating' })).service_id), cost: '0.01', type: 'flat' });
}

const str = (required: boolean): Record<string, unknown> => ({ type: 'string', min_length: 0, max_length: 255, required });
const RESOURCE_TYPES = [
  { name: 'instance', attributes: { flavor_name: str(false), flavor_id: str(false), display_name: str(false) } },
  { name: 'volume', attributes: { display_name: str(false), volume_type: str(false) } },
  { name: 'image', attributes: { name: str(false), container_format: str(false), disk_format: str(false) } },
  { name: 'network', attributes: { state: str(false) } },
];

interface Scripted {
  type: string;
  id: string;
  project: string;
  from: number;
  until: number | null;
  attributes: Record<string, string>;
  metric: string;
  /** the sample's value at t */
  value: (t: number) => number;
  /** sampled while this holds (a stopped instance's meters are quiet) */
  sampled?: (t: number) => boolean;
  /** samples end here (default: the end of the cloud) */
  samplesUntil?: number;
}

const POLICY: Record<string, string> = { cpu: 'ceilometer-low-rate' };

async function loadResources(server: TestServer, resources: readonly Scripted[]): Promise<void> {
  const batch: Record<string, Record<string, { timestamp: string; value: number }[]>> = {};
  for (const r of resources) {
    await ok(server, 'POST', `/v1/resource/${r.type}`, {
      id: r.id, project_id: r.project, user_id: USER, started_at: iso(r.from), ...(r.until === null ? {} : { ended_at: iso(r.until) }), ...r.attributes,
      metrics: { [r.metric]: { archive_policy_name: POLICY[r.metric] ?? 'ceilometer-low' } },
    });
    const end = Math.min(r.until ?? Infinity, r.samplesUntil ?? at(3));
    const samples: { timestamp: string; value: number }[] = [];
    // every 300 s from the resource's start, 17 s late, as Ceilometer's polling delivers them
    for (let t = r.from + 17; t < end; t += 300) if (r.sampled?.(t) ?? true) samples.push({ timestamp: iso(t), value: r.value(t) });
    batch[r.id] = { [r.metric]: samples };
  }
  await ok(server, 'POST', '/v1/batch/resources/metrics/measures', batch);
}

/** cumulative cpu time: never 0 once the instance runs (NUMBOOL makes it 1 instance) */
const cpu = (from: number) => (t: number): number => 1e9 * (t - from + 1);

const PAST: Scripted[] = [
  // A: small, the whole three hours
  { type: 'instance', id: '0a000000-0000-4000-8000-00000000000a', project: P, from: at(0), until: null, attributes: { flavor_name: 'm1.small', flavor_id: '2' }, metric: 'cpu', value: cpu(at(0)) },
  // B: large, 00:20 to 00:30
  { type: 'instance', id: '0b000000-0000-4000-8000-00000000000b', project: P, from: at(0, 20), until: at(0, 30), attributes: { flavor_name: 'm1.large', flavor_id: '4' }, metric: 'cpu', value: cpu(at(0, 20)) },
  // C: medium, 00:45 to 01:15, across the hour
  { type: 'instance', id: '0c000000-0000-4000-8000-00000000000c', project: P, from: at(0, 45), until: at(1, 15), attributes: { flavor_name: 'm1.medium', flavor_id: '3' }, metric: 'cpu', value: cpu(at(0, 45)) },
  // D: small, stopped from 00:30 to 02:00 (no samples), alive throughout
  { type: 'instance', id: '0d000000-0000-4000-8000-00000000000d', project: P, from: at(0), until: null, attributes: { flavor_name: 'm1.small', flavor_id: '2' }, metric: 'cpu', value: cpu(at(0)), sampled: (t) => t < at(0, 30) || t >= at(2) },
  // E: ssd volume, 50 GiB, grown to 60 GiB at 01:30
  { type: 'volume', id: '0e000000-0000-4000-8000-00000000000e', project: P, from: at(0), until: null, attributes: { volume_type: 'ssd' }, metric: 'volume.size', value: (t) => (t < at(1, 30) ? 50 : 60) },
  // F: hdd volume, 100 GiB, deleted at 01:50
  { type: 'volume', id: '0f000000-0000-4000-8000-00000000000f', project: P, from: at(0), until: at(1, 50), attributes: { volume_type: 'hdd' }, metric: 'volume.size', value: () => 100 },
  // G: a 2 GiB image (2048 MiB)
  { type: 'image', id: '01000000-0000-4000-8000-000000000010', project: P, from: at(0), until: null, attributes: { name: 'debian', container_format: 'bare', disk_format: 'qcow2' }, metric: 'image.size', value: () => 2147483648 },
  // H: a floating IP, 00:30 to 02:00
  { type: 'network', id: '01100000-0000-4000-8000-000000000011', project: P, from: at(0, 30), until: at(2), attributes: { state: 'ACTIVE' }, metric: 'ip.floating', value: () => 1 },
  // the other project: small, the whole three hours
  { type: 'instance', id: '01200000-0000-4000-8000-000000000012', project: Q, from: at(0), until: null, attributes: { flavor_name: 'm1.small', flavor_id: '2' }, metric: 'cpu', value: cpu(at(0)) },
];

/**
 * By hand, per resource and hour (hour 0 = T0): cost = hashmap price of the level × seconds / 3600.
 * A: 0.25, 0.25, 0.25                                            = 0.75
 * B: 2 × 600/3600                                                = 0.3333…
 * C: 0.5 × 900/3600 in hour 0 and in hour 1                      = 0.125 + 0.125 = 0.25
 * D: samples up to 00:25:17 (bucket 00:25), which holds for one period (3600 s ≥ 2 × 300 s)
 *    until 01:25; quiet until 02:00; then hour 2 whole:
 *    0.25 + 0.25 × 1500/3600 + 0.25                              = 0.6041666…
 * E: 50 GiB: 50 × 0.002 × 2.5 (ssd) × 0.9 (threshold 50 reached) = 0.225 an hour;
 *    60 GiB: 60 × 0.002 × 2.5 × 0.9                              = 0.27 an hour;
 *    hour 0: 0.225; hour 1: 0.225 × ½ + 0.27 × ½ = 0.2475; hour 2: 0.27 = 0.7425
 * F: 100 × 0.002 × 1 (hdd) × 0.9 = 0.18 an hour; hour 0 0.18, hour 1 0.18 × 3000/3600 = 0.15 = 0.33
 * G: 2147483648 B / 1048576 = 2048 MiB × 0.00001 = 0.02048 an hour × 3 = 0.06144
 * H: 0.01 × 1800/3600 in hour 0, 0.01 in hour 1                 = 0.015
 */
const EXPECTED_P: Record<string, number[]> = {
  '0a000000-0000-4000-8000-00000000000a': [0.25, 0.25, 0.25],
  '0b000000-0000-4000-8000-00000000000b': [2 * 600 / 3600, 0, 0],
  '0c000000-0000-4000-8000-00000000000c': [0.125, 0.125, 0],
  '0d000000-0000-4000-8000-00000000000d': [0.25, 0.25 * 1500 / 3600, 0.25],
  '0e000000-0000-4000-8000-00000000000e': [0.225, 0.2475, 0.27],
  '0f000000-0000-4000-8000-00000000000f': [0.18, 0.15, 0],
  '01000000-0000-4000-8000-000000000010': [0.02048, 0.02048, 0.02048],
  '01100000-0000-4000-8000-000000000011': [0.005, 0.01, 0],
};
const TOTAL_P = Object.values(EXPECTED_P).flat().reduce((a, b) => a + b, 0);
const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

test('rating a scripted past cloud: lifetimes to the second, through CloudKitty\'s reporting APIs', { timeout: 120_000 }, async (t) => {
  const server = await startTestServer();
  try {
    for (const rt of RESOURCE_TYPES) await ok(server, 'POST', '/v1/resource_type', rt, [201]);
    await configureRules(server);
    await loadResources(server, PAST);
    const span = `begin=${isoZ(at(0))}&end=${isoZ(at(3))}`;

    // -- /v2/summary grouped by resource and hour: each cost as worked out above
    const byHour = await call(server, 'GET', `/v2/summary?${span}&groupby=id,time&filters=project_id:${P}&response_format=object&limit=1000`);
    assert.equal(byHour.status, 200, byHour.text);
    const rows = (byHour.json as { total: number; results: Record<string, Json>[]; format: string }).results;
    const got: Record<string, number[]> = {};
    for (const r of rows) {
      const hour = (Date.parse(String(r.begin)) / 1000 - T0) / HOUR;
      (got[String(r.id)] ??= [0, 0, 0])[hour] += Number(r.rate);
      assert.equal(Date.parse(String(r.end)) / 1000 - Date.parse(String(r.begin)) / 1000, HOUR);
    }
    for (const [id, hours] of Object.entries(EXPECTED_P)) {
      assert.ok(got[id] && hours.every((c, h) => close(got[id][h], c)), `${id}: ${JSON.stringify(got[id])} expected ${JSON.stringify(hours)}`);
    }
    assert.deepEqual(Object.keys(got).sort(), Object.keys(EXPECTED_P).sort(), 'only project P\'s resources');

    // quantities: B held 1 instance for 600 s = 1/6 instance-hour; E 50 GiB-h, 50×½ + 60×½ = 55 GiB-h, 60 GiB-h
    const qtyOf = (id: string, hour: number): number => rows.filter((r) => r.id === id && Date.parse(String(r.begin)) / 1000 === at(hour)).reduce((a, r) => a + Number(r.qty), 0);
    assert.ok(close(qtyOf('0b000000-0000-4000-8000-00000000000b', 0), 1 / 6));
    assert.deepEqual([0, 1, 2].map((h) => qtyOf('0e000000-0000-4000-8000-00000000000e', h)), [50, 55, 60]);

    // -- the table format, grouped by type, and the totals
    const table = await call(server, 'GET', `/v2/summary?${span}&groupby=type&filters=project_id:${P}`);
    const tj = table.json as { total: number; columns: string[]; results: Json[][]; format: string };
    assert.deepEqual(tj.columns, ['begin', 'end', 'qty', 'rate', 'type']);
    assert.equal(tj.format, 'table');
    assert.deepEqual(tj.results.map((r) => r[4]), ['image.size', 'instance', 'ip.floating', 'volume.size'], 'rows sorted by type');
    const rateOf = (type: string): number => Number(tj.results.find((r) => r[4] === type)?.[3]);
    // instances: A 0.75 + B 1/3 + C 0.25 + D 0.6041666…; volumes: E 0.7425 + F 0.33
    assert.ok(close(rateOf('instance'), 0.75 + 1 / 3 + 0.25 + 0.5 + 0.25 * 1500 / 3600));
    assert.ok(close(rateOf('volume.size'), 0.7425 + 0.33));
    assert.ok(close(rateOf('image.size'), 0.06144) && close(rateOf('ip.floating'), 0.015));
    assert.equal(tj.results[0][0], '2026-11-02T00:00:00+00:00');

    const total = await call(server, 'GET', `/v1/report/total?${span}&tenant_id=${P}`);
    assert.equal(total.status, 200);
    assert.ok(close(Number(total.json), TOTAL_P), `${total.text} vs ${TOTAL_P}`);
    const all = await call(server, 'GET', `/v1/report/total?${span}&all_tenants=true`);
    // Q: one small instance for 3 h = 0.75
    assert.ok(close(Number(all.json), TOTAL_P + 0.75), all.text);
    const tenants = await call(server, 'GET', `/v1/report/tenants?${span}`);
    assert.deepEqual(tenants.json, [P, Q].sort());
    const v1summary = await call(server, 'GET', `/v1/report/summary?${span}&all_tenants=true&groupby=tenant_id,res_type`);
    const summaryRows = (v1summary.json as { summary: Record<string, string>[] }).summary;
    assert.deepEqual(summaryRows.find((r) => r.tenant_id === Q), { begin: isoZ(at(0)), end: isoZ(at(3)), tenant_id: Q, res_type: 'instance', rate: '0.75' });

    // -- exact decimals, traced: B's line in CSV
    const csv = await call(server, 'GET', `/v2/dataframes?${span}&filters=id:0b000000-0000-4000-8000-00000000000b&limit=10&format=csv`);
    assert.equal(csv.status, 200, csv.text);
    assert.match(csv.type, /^text\/csv/);
    const [header, line] = csv.text.trim().split('\r\n').map((l) => l.split(','));
    const field = (name: string): string => line[header.indexOf(name)];
    // level 1.0 (NUMBOOL's float), 600 s, qty 1.0 × 600/3600, price 1.0 × 2 = 2.0…, cost 2.0 × 600/3600
    assert.equal(field('flavor_name'), 'm1.large');
    assert.equal(field('level'), '1.0');
    assert.equal(field('seconds'), '600');
    assert.equal(field('qty'), '0.1666666666666666666666666667');
    assert.equal(field('price'), '2.000000000000000000000000000');
    assert.equal(field('unit_price'), '2.00000000000000000000000000');
    assert.equal(field('cost'), '0.3333333333333333333333333333');

    // -- /v2/dataframes: one frame per hour, points by type
    const frames = await call(server, 'GET', `/v2/dataframes?${span}&filters=type:volume.size,project_id:${P}`);
    const fj = frames.json as { total: number; dataframes: { period: { begin: string; end: string }; usage: Record<string, { vol: { unit: string; qty: number }; rating: { price: number }; groupby: Record<string, string>; metadata: Record<string, string> }[]> }[] };
    // E: 50 (h0), 50 and 60 (h1), 60 (h2); F: h0, h1
    assert.equal(fj.total, 6);
    assert.deepEqual(fj.dataframes.map((f) => f.period.begin), [0, 1, 2].map((h) => iso(at(h))));
    assert.deepEqual(fj.dataframes[1].usage['volume.size'].map((p) => [p.groupby.id.slice(0, 2), p.metadata.volume_type, p.vol.unit, p.vol.qty, p.rating.price]), [
      ['0e', 'ssd', 'GiB', 25, 0.1125],
      ['0e', 'ssd', 'GiB', 30, 0.135],
      ['0f', 'hdd', 'GiB', 100 * 3000 / 3600, 0.15],
    ]);
    const none = await call(server, 'GET', `/v2/dataframes?${span}&filters=type:nothing`);
    assert.equal(none.status, 404);
    assert.deepEqual(none.json, { message: 'No resource found for provided filters.' });

    // -- /v1/storage/dataframes, as CloudKitty's v1 lists stored frames
    const v1frames = await call(server, 'GET', `/v1/storage/dataframes?begin=${isoZ(at(0))}&end=${isoZ(at(1))}&tenant_id=${P}&resource_type=image.size`);
    assert.deepEqual(v1frames.json, { dataframes: [{ begin: isoZ(at(0)), end: isoZ(at(1)), tenant_id: P, resources: [{
      service: 'image.size',
      desc: { container_format: 'bare', disk_format: 'qcow2', id: '01000000-0000-4000-8000-000000000010', user_id: USER, project_id: P },
      // 2147483648 × Decimal(1/1048576), as CloudKitty computes it, × 0.00001
      volume: '2048.00000000000000000000', rating: '0.02048000000000000000000000000',
    }] }] });

    // -- a member of P sees P only; of Q, Q only; the others' projects are refused
    const member = (project: string): Record<string, string> => ({ 'x-user-id': USER, 'x-project-id': project, 'x-roles': 'member' });
    const mine = await call(server, 'GET', `/v2/summary?${span}&groupby=project_id`, undefined, member(P));
    assert.deepEqual((mine.json as { results: Json[][] }).results.map((r) => r[4]), [P]);
    const theirs = await call(server, 'GET', `/v2/summary?${span}&filters=project_id:${Q}&groupby=project_id`, undefined, member(P));
    assert.deepEqual((theirs.json as { results: Json[][] }).results.map((r) => r[4]), [P], 'a member\'s filter on another project gives their own');
    assert.equal((await call(server, 'GET', `/v1/report/total?${span}&tenant_id=${Q}`, undefined, member(P))).status, 403);
    assert.equal((await call(server, 'GET', `/v1/report/total?${span}&all_tenants=true`, undefined, member(P))).status, 403);
    assert.ok(close(Number((await call(server, 'GET', `/v1/report/total?${span}`, undefined, member(Q))).json), 0.75));
    assert.equal((await call(server, 'GET', `/v1/report/tenants?${span}`, undefined, member(P))).status, 403);

    // -- recomputed on demand: a rule changed now reprices the past
    const services = (await ok(server, 'GET', '/v1/rating/module_config/hashmap/services')) as { services: { service_id: string; name: string }[] };
    const ip = services.services.find((s) => s.name === 'ip.floating')!.service_id;
    await ok(server, 'POST', '/v1/rating/module_config/hashmap/mappings', { service_id: ip, cost: '0.02', type: 'flat' });
    const repriced = await call(server, 'GET', `/v2/summary?${span}&filters=project_id:${P},type:ip.floating&response_format=object`);
    // the largest flat applies: 0.02 × 1.5 h
    assert.ok(close(Number((repriced.json as { results: Record<string, Json>[] }).results[0].rate), 0.03));
    t.diagnostic(`project P over three hours: ${total.text}`);
  } finally {
    await server.close();
  }
});

test('a resize and a retype bill each state for its share', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    for (const rt of RESOURCE_TYPES) await ok(server, 'POST', '/v1/resource_type', rt, [201]);
    await configureRules(server);
    const now = Math.floor(Date.now() / 1000);
    // both started 20 minutes ago, sampled since
    const start = now - 1200;
    const vm = { type: 'instance', id: '0a100000-0000-4000-8000-0000000000a1', project: P, from: start, until: null, attributes: { flavor_name: 'm1.small', flavor_id: '2' }, metric: 'cpu', value: cpu(start), samplesUntil: now + 900 };
    const vol = { type: 'volume', id: '0a200000-0000-4000-8000-0000000000a2', project: P, from: start, until: null, attributes: { volume_type: 'ssd' }, metric: 'volume.size', value: () => 20, samplesUntil: now + 900 };
    await loadResources(server, [vm, vol]);
    // now: resized to large, retyped to hdd; a revision starts at the instant tally records it
    await ok(server, 'PATCH', `/v1/resource/instance/${vm.id}`, { flavor_name: 'm1.large', flavor_id: '4' });
    await ok(server, 'PATCH', `/v1/resource/volume/${vol.id}`, { volume_type: 'hdd' });
    const revisionOf = async (type: string, id: string): Promise<number> => {
      const history = (await ok(server, 'GET', `/v1/resource/${type}/${id}/history`)) as { revision_start: string }[];
      // to the microsecond: Date.parse keeps milliseconds only
      const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(history[1].revision_start)!;
      return Date.parse(`${m[1]}${m[3]}`) / 1000 + Number(`0.${m[2] ?? '0'}`);
    };
    const resized = await revisionOf('instance', vm.id);
    const retyped = await revisionOf('volume', vol.id);
    // both end 5 minutes after the change
    await ok(server, 'PATCH', `/v1/resource/instance/${vm.id}`, { ended_at: iso(Math.ceil(resized) + 300) });
    await ok(server, 'PATCH', `/v1/resource/volume/${vol.id}`, { ended_at: iso(Math.ceil(retyped) + 300) });
    const vmEnd = Math.ceil(resized) + 300;
    const volEnd = Math.ceil(retyped) + 300;

    const from = Math.floor(start / HOUR) * HOUR;
    const span = `begin=${isoZ(from)}&end=${isoZ(from + 2 * HOUR)}`;
    const answer = await call(server, 'GET', `/v2/summary?${span}&groupby=type,flavor_name,volume_type&response_format=object`);
    assert.equal(answer.status, 200, answer.text);
    const rows = (answer.json as { results: Record<string, Json>[] }).results;
    const row = (k: string, v: string): Record<string, Json> | undefined => rows.find((r) => r[k] === v);
    // small from the start to the resize: 0.25 × (resized − start)/3600; large 300 s: 2 × 300/3600 (plus the sub-second of the end's rounding)
    assert.ok(close(Number(row('flavor_name', 'm1.small')?.rate), 0.25 * (resized - start) / HOUR), JSON.stringify(rows));
    assert.ok(close(Number(row('flavor_name', 'm1.large')?.rate), 2 * (vmEnd - resized) / HOUR), JSON.stringify(rows));
    assert.ok(close(Number(row('flavor_name', 'm1.small')?.qty) + Number(row('flavor_name', 'm1.large')?.qty), (vmEnd - start) / HOUR));
    // 20 GiB: ssd 20 × 0.002 × 2.5 = 0.1 an hour until the retype, hdd 20 × 0.002 × 1 = 0.04 an hour after
    assert.ok(close(Number(row('volume_type', 'ssd')?.rate), 0.1 * (retyped - start) / HOUR), JSON.stringify(rows));
    assert.ok(close(Number(row('volume_type', 'hdd')?.rate), 0.04 * (volEnd - retyped) / HOUR), JSON.stringify(rows));
  } finally {
    await server.close();
  }
});
