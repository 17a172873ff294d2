/**
 * Billing end to end: the real CloudKitty 17 (Debian packages,
 * test/cloudkitty/up.sh) rates a scripted cloud (cloud.ts) from tally and from
 * the real Gnocchi 4.4 (test/gnocchi/up.sh), the same data loaded into both
 * through the Gnocchi API, with the same hashmap rules (hashmap.ts) set
 * through CloudKitty's API.
 *
 * 1. gnocchi collector, tally vs Gnocchi: CloudKitty's gnocchi fetcher finds
 *    the projects and its own worker rates three hourly periods of each, on
 *    each side (rate.py), with the same
 *    Python hash seed, so it sends the same requests: every request must get
 *    the same status and the same JSON (who wrote the resources, when, and
 *    metric ids aside), and CloudKitty must store the same dataframes
 *    (resources, quantities, prices) and report the same totals.
 * 2. prometheus collector against tally's /api/v1/query: its frames must hold
 *    the quantities computed by hand from the cloud (the maximum of the
 *    period's 300 s means, as `max(max_over_time(m[3600s]))` at the period's
 *    end sees them: a point stamped with its bucket's start, and Prometheus
 *    2.42's range including both ends, the buckets from the period's start to
 *    its end, both included),
 *    and, where a quantity equals what the gnocchi collector took (the
 *    period's first bucket), the same price.
 * 3. Debian's stock metrics.yml asks image.size at a granularity of 3600 s,
 *    which Ceilometer's policies do not keep: tally refuses it as Gnocchi does
 *    (README, "Rating with CloudKitty").
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLOUDKITTY_NEEDS, type Exchange, type RealCloudKitty, startRealCloudKitty } from '../helpers/real-cloudkitty.js';
import { ADMIN_AUTH, GNOCCHI_NEEDS, type RealGnocchi, startRealGnocchi } from '../helpers/real-gnocchi.js';
import { runCommand } from '../helpers/run-script.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { HOUR, HOURS, PROJECT_A, PROJECT_B, RESOURCES, STEP, T0, loadCloud, sampleTimes } from './cloud.js';
import { configureHashmap } from './hashmap.js';

// Ports of no other test: Gnocchi's 28041-28045 are taken, CloudKitty's default 28889 left to people.
const GNOCCHI_PORT = Number(process.env.TALLY_BILLING_GNOCCHI_PORT ?? 28046);
const CK_PORTS = { tally: 28890, gnocchi: 28891, prometheus: 28892 } as const;
const SCOPES = [PROJECT_A, PROJECT_B] as const;
const HERE = import.meta.dirname;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const parse = (text: string): Json => {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return `(not JSON) ${text.slice(0, 300)}`;
  }
};

/** Who wrote a resource and when, metric ids: different on each side by nature. */
const ASIDE = new Set(['creator', 'created_by_user_id', 'created_by_project_id', 'revision_start', 'revision_end']);
function normalize(v: Json, key = ''): Json {
  if (typeof v === 'number') return Number(v.toPrecision(12));
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (v === null || typeof v !== 'object') return v;
  if (key === 'metrics') return Object.keys(v).sort(); // name -> metric id
  return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (ASIDE.has(k) ? [] : [[k, normalize(x, k)]])));
}

/** A request as CloudKitty sent it, whichever the server. */
const requestKey = (e: Exchange): string => `${e.method} ${e.url.replace(/^https?:\/\/[^/]+/, '')} ${e.body ?? ''}`;

/** A stored dataframe, one rated point, as CloudKitty's API lists it. */
interface Frame {
  readonly begin: string;
  readonly tenant: string;
  readonly service: string;
  readonly resource: string;
  readonly qty: number;
  readonly price: number;
  readonly desc: Json;
}

async function getJson(url: string): Promise<Json> {
  const r = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Json;
}

const isoZ = (t: number): string => new Date(t * 1000).toISOString().slice(0, 19);

/** Every rated point CloudKitty stored for the cloud's hours, through GET /v1/storage/dataframes. */
async function framesOf(ck: RealCloudKitty, idKey: string): Promise<Frame[]> {
  const out: Frame[] = [];
  for (const tenant of SCOPES) {
    const body = (await getJson(`${ck.url}/v1/storage/dataframes?begin=${isoZ(T0)}&end=${isoZ(T0 + HOURS * HOUR)}&tenant_id=${tenant}`)) as {
      dataframes: { begin: string; tenant_id: string; resources: { service: string; volume: string; rating: string; desc: Record<string, Json> }[] }[];
    };
    for (const df of body.dataframes) {
      for (const r of df.resources) {
        out.push({ begin: df.begin, tenant: df.tenant_id, service: r.service, resource: String(r.desc[idKey]), qty: Number(r.volume), price: Number(r.rating), desc: normalize(r.desc) });
      }
    }
  }
  return out.sort((a, b) => `${a.begin} ${a.tenant} ${a.service} ${a.resource}`.localeCompare(`${b.begin} ${b.tenant} ${b.service} ${b.resource}`));
}

/**
 * CloudKitty's totals: all and per hour of each project (GET /v1/report/total),
 * and per project and service through the cloudkitty CLI (its summary report).
 */
async function totalsOf(ck: RealCloudKitty): Promise<Record<string, number>> {
  const span = (from: number, to: number): string => `begin=${isoZ(from)}&end=${isoZ(to)}`;
  const total = async (query: string): Promise<number> => Number(await getJson(`${ck.url}/v1/report/total?${query}`));
  const out: Record<string, number> = { all: await total(`${span(T0, T0 + HOURS * HOUR)}&all_tenants=true`) };
  for (const tenant of SCOPES) {
    for (let h = 0; h < HOURS; h++) out[`${tenant} hour ${h}`] = await total(`${span(T0 + h * HOUR, T0 + (h + 1) * HOUR)}&tenant_id=${tenant}`);
  }
  const cli = await runCommand('/usr/bin/cloudkitty', [
    '--os-auth-type', 'cloudkitty-noauth', '--os-endpoint', ck.url, '--os-rating-api-version', '1',
    'summary', 'get', '--all-tenants', '--groupby', 'tenant_id', 'res_type', '--begin', isoZ(T0), '--end', isoZ(T0 + HOURS * HOUR), '-f', 'json',
  ]);
  for (const row of JSON.parse(cli) as Record<string, string>[]) out[`${row['Tenant ID']} ${row['Resource Type']}`] = Number(row.Rate);
  return out;
}

test('CloudKitty 17 rates the same from tally as from Gnocchi 4.4, and from tally\'s PromQL', { timeout: 180_000, ...requires(...GNOCCHI_NEEDS, ...CLOUDKITTY_NEEDS) }, async (t) => {
  let tally: TestServer | undefined;
  let gnocchi: RealGnocchi | undefined;
  const kitties: RealCloudKitty[] = [];
  const log = (line: string): void => t.diagnostic(line);
  try {
    const started = await Promise.allSettled([startTestServer(), startRealGnocchi({ port: GNOCCHI_PORT, log })]);
    if (started[0].status === 'fulfilled') tally = started[0].value;
    if (started[1].status === 'fulfilled') gnocchi = started[1].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    assert.ok(tally && gnocchi);

    await Promise.all([loadCloud({ url: tally.url, headers: {} }), loadCloud({ url: gnocchi.url, headers: { authorization: ADMIN_AUTH } })]);

    const metricsGnocchi = join(HERE, 'metrics-gnocchi.yml');
    const up = await Promise.allSettled([
      // tally in noauth: gnocchiclient's gnocchi-noauth plugin, as admin
      startRealCloudKitty({ port: CK_PORTS.tally, collector: 'gnocchi', gnocchiUrl: tally.url, gnocchiAuth: 'noauth', gnocchiUser: 'cloudkitty', metrics: metricsGnocchi, log }),
      startRealCloudKitty({ port: CK_PORTS.gnocchi, collector: 'gnocchi', gnocchiUrl: gnocchi.url, gnocchiAuth: 'basic', gnocchiUser: 'admin', metrics: metricsGnocchi, log }),
      startRealCloudKitty({ port: CK_PORTS.prometheus, collector: 'prometheus', fetcher: 'source', prometheusUrl: `${tally.url}/api/v1`, metrics: join(HERE, 'metrics-prometheus.yml'), log }),
    ]);
    for (const u of up) if (u.status === 'fulfilled') kitties.push(u.value);
    for (const u of up) if (u.status === 'rejected') throw u.reason;
    const [ckTally, ckGnocchi, ckProm] = kitties;
    await Promise.all(kitties.map((ck) => configureHashmap(ck.url)));

    // -- 1. gnocchi collector: tally vs Gnocchi ---------------------------------------
    const seed = randomInt(1, 2 ** 31);
    t.diagnostic(`PYTHONHASHSEED=${seed}`);
    // no scopes given: CloudKitty's gnocchi fetcher finds them (GET /v1/resource/generic)
    const [fromTally, fromGnocchi] = await Promise.all([ckTally.rate(new Date(T0 * 1000), HOURS, [], seed), ckGnocchi.rate(new Date(T0 * 1000), HOURS, [], seed)]);
    for (const from of [fromTally, fromGnocchi]) assert.deepEqual([...new Set(from.periods.map((p) => p.scope))], [...SCOPES].sort(), 'the scopes the fetcher finds');
    assert.deepEqual(fromGnocchi.periods.filter((p) => p.error), [], 'CloudKitty rates every period from Gnocchi');
    assert.deepEqual(fromTally.periods.filter((p) => p.error), [], 'CloudKitty rates every period from tally');

    const differences: string[] = [];
    const gnocchiAnswers = new Map<string, Exchange[]>();
    for (const e of fromGnocchi.exchanges) gnocchiAnswers.set(requestKey(e), [...(gnocchiAnswers.get(requestKey(e)) ?? []), e]);
    for (const e of fromTally.exchanges) {
      const key = requestKey(e);
      const g = gnocchiAnswers.get(key)?.shift();
      if (!g) {
        differences.push(`only to tally: ${key}`);
        continue;
      }
      const [a, b] = [normalize(parse(e.response)), normalize(parse(g.response))];
      if (e.status !== g.status || JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${key}\n  tally   ${e.status} ${e.response.slice(0, 1500)}\n  Gnocchi ${g.status} ${g.response.slice(0, 1500)}`);
    }
    for (const [key, left] of gnocchiAnswers) for (const _ of left) differences.push(`only to Gnocchi: ${key}`);
    const routes = new Map<string, number>();
    for (const e of fromTally.exchanges) {
      const route = `${e.method} ${new URL(e.url).pathname} ${e.status}`;
      routes.set(route, (routes.get(route) ?? 0) + 1);
    }
    t.diagnostic(`CloudKitty's requests: ${fromTally.exchanges.length} to tally, ${fromGnocchi.exchanges.length} to Gnocchi, ${differences.length} answered differently; ${[...routes].map(([r, n]) => `${r} ×${n}`).join(', ')}`);
    // the paths CloudKitty depends on: paged resource listings and searches, grouped aggregates, a metric skipped
    assert.ok(fromTally.exchanges.some((e) => e.method === 'GET' && e.url.includes('/v1/resource/generic') && e.url.includes('marker=')), 'paged resource listing');
    assert.ok(fromTally.exchanges.some((e) => e.url.includes('/v1/search/resource/') && e.url.includes('marker=')), 'paged resource searches');
    assert.ok(fromTally.exchanges.some((e) => e.status === 400 && e.response.includes('Metrics not found')), 'a metric skipped');

    const [framesTally, framesGnocchi] = await Promise.all([framesOf(ckTally, 'id'), framesOf(ckGnocchi, 'id')]);
    const key = (f: Frame): string => `${f.begin} ${f.tenant} ${f.service} ${f.resource}`;
    const byKey = new Map(framesGnocchi.map((f) => [key(f), f]));
    let agree = 0;
    const frameDiffs: string[] = [];
    for (const f of framesTally) {
      const g = byKey.get(key(f));
      if (g && JSON.stringify(f) === JSON.stringify(g)) agree++;
      else frameDiffs.push(`tally:   ${JSON.stringify(f)}\nGnocchi: ${JSON.stringify(g ?? null)}`);
    }
    const tallyKeys = new Set(framesTally.map(key));
    for (const g of framesGnocchi) if (!tallyKeys.has(key(g))) frameDiffs.push(`only from Gnocchi: ${JSON.stringify(g)}`);
    const total = Math.max(framesTally.length, framesGnocchi.length, agree + frameDiffs.length);
    const line = `CloudKitty 17 from tally vs from Gnocchi 4.4: ${agree}/${total} frames agree`;
    t.diagnostic(line);
    console.log(line);
    reportCompat(t, 'cloudkitty-gnocchi', agree, total);
    const [totalsTally, totalsGnocchi] = await Promise.all([totalsOf(ckTally), totalsOf(ckGnocchi)]);
    t.diagnostic(`totals from tally: ${JSON.stringify(totalsTally)}`);

    assert.deepEqual(differences, [], 'every request of CloudKitty answered alike');
    assert.deepEqual(frameDiffs, [], 'the same rated dataframes');
    assert.ok(total >= 40, `the cloud gives frames to compare (${total})`);
    assert.deepEqual(totalsTally, totalsGnocchi, 'the same totals');
    // by hand, from cloud.ts and hashmap.ts: CloudKitty takes each period's first 300 s point
    const close = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) < 1e-9;
    // A: m1.small 3 h × 0.25, m1.large (from 01:10) 2 h × 2; B: two m1.medium (one resized) 3 h × 0.5 × 0.8
    assert.ok(close(totalsTally[`${PROJECT_A} instance`], 4.75) && close(totalsTally[`${PROJECT_B} instance`], 2.4), 'instance totals by hand');
    // A: ssd 20 GiB × 0.002 × 2.5 for 3 h, hdd 100 GiB × 0.002 × 0.9 (threshold) for 2 h; B: ssd 50, 50, 60 GiB × 0.002 × 2.5 × 0.9
    assert.ok(close(totalsTally[`${PROJECT_A} volume.size`], 0.66) && close(totalsTally[`${PROJECT_B} volume.size`], 0.72), 'volume totals by hand');

    // -- 2. prometheus collector against tally ----------------------------------------
    const fromProm = await ckProm.rate(new Date(T0 * 1000), HOURS, SCOPES);
    assert.deepEqual(fromProm.periods.filter((p) => p.error), [], 'CloudKitty rates every period from tally\'s PromQL');
    const framesProm = await framesOf(ckProm, 'resource');
    const expected = expectedPrometheusFrames();
    const got = framesProm.map((f) => `${f.begin} ${f.tenant} ${f.service} ${f.resource} ${Number(f.qty.toPrecision(9))}`);
    assert.deepEqual(got, expected.map((e) => `${e.begin} ${e.tenant} ${e.service} ${e.resource} ${Number(e.qty.toPrecision(9))}`), 'the quantities computed by hand');
    let samePrice = 0;
    for (const f of framesProm) {
      const g = byKey.get(`${f.begin} ${f.tenant} ${f.service} ${f.resource}`);
      if (!g || g.qty !== f.qty) continue;
      assert.equal(f.price, g.price, `price of ${key(f)}, as the gnocchi collector's for the same quantity`);
      samePrice++;
    }
    t.diagnostic(`prometheus collector: ${framesProm.length} frames as computed by hand, ${samePrice} priced as the gnocchi collector's same quantity`);
    assert.ok(samePrice >= 20);

    // -- 3. Debian's stock image.size: 3600 s, not kept ---------------------------------
    const ask = async (url: string, headers: Record<string, string>): Promise<[number, Json]> => {
      const r = await fetch(`${url}/v1/aggregates?start=${isoZ(T0)}&stop=${isoZ(T0 + HOUR)}&granularity=3600&groupby=id&groupby=project_id`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ operations: ['aggregate', 'max', ['metric', 'image.size', 'mean']], resource_type: 'image', search: { and: [{ '=': { type: 'image' } }, { '=': { project_id: PROJECT_A } }] } }),
      });
      return [r.status, normalize(parse(await r.text()))];
    };
    const [tallyAnswer, gnocchiAnswer] = await Promise.all([ask(tally.url, {}), ask(gnocchi.url, { authorization: ADMIN_AUTH })]);
    assert.deepEqual(tallyAnswer, gnocchiAnswer);
    assert.equal(tallyAnswer[0], 400);
    assert.match(JSON.stringify(tallyAnswer[1]), /Granularities are missing/);
  } finally {
    await Promise.allSettled(kitties.map((ck) => ck.stop()));
    await Promise.allSettled([tally?.close(), gnocchi?.stop()]);
  }
});

/** What the prometheus collector must store: per period and resource, the largest 300 s mean in [start, end]. */
function expectedPrometheusFrames(): { begin: string; tenant: string; service: string; resource: string; qty: number }[] {
  const rated: Record<string, { service: string; factor: number; numbool?: boolean }> = {
    vcpus: { service: 'instance', factor: 1, numbool: true },
    'volume.size': { service: 'volume.size', factor: 1 },
    'image.size': { service: 'image.size', factor: 1 / 1048576 },
    'memory.usage': { service: 'memory.usage', factor: 1 },
  };
  const out: { begin: string; tenant: string; service: string; resource: string; qty: number }[] = [];
  for (let h = 0; h < HOURS; h++) {
    const start = T0 + h * HOUR;
    const end = start + HOUR;
    for (const r of RESOURCES) {
      for (const [metric, f] of Object.entries(r.metrics)) {
        const how = rated[metric];
        if (!how) continue;
        // a bucket is stamped with its start; one sample per bucket, so its mean is the sample
        const values = sampleTimes(r).filter((s) => s - (s % STEP) >= start && s - (s % STEP) <= end).map((s) => f(s));
        if (values.length === 0) continue;
        const qty = Math.max(...values) * how.factor;
        out.push({ begin: isoZ(start), tenant: r.project, service: how.service, resource: r.id, qty: how.numbool ? (qty !== 0 ? 1 : 0) : qty });
      }
    }
  }
  return out.sort((a, b) => `${a.begin} ${a.tenant} ${a.service} ${a.resource}`.localeCompare(`${b.begin} ${b.tenant} ${b.service} ${b.resource}`));
}
