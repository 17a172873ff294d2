/**
 * CloudKitty 17's v2 reporting API, the real one against tally's: the real
 * CloudKitty (storage v2 in a throw-away InfluxDB, test/cloudkitty/up.sh
 * CK_STORAGE=influxdb) rates three hours of a cloud from tally's Gnocchi API
 * with its own worker; tally rates the same store on demand; both have the
 * same hashmap rules and tally's shipped metrics.yml. The cloud's resources
 * hold one level the whole three hours, where CloudKitty's period-by-period
 * rating and tally's to-the-second one must agree: every /v2/summary and
 * /v2/dataframes request below must get the same status and JSON, but for
 * the differences listed in EXPECTED_DIFFERENCES.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_METRICS_FILE } from '../../rating/config/metrics-config.js';
import { CLOUDKITTY_V2_NEEDS, type RealCloudKitty, startRealCloudKitty } from '../helpers/real-cloudkitty.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { HOUR, HOURS, PROJECT_A, PROJECT_B, RESOURCES, T0, loadCloud } from '../billing/cloud.js';
import { configureHashmap } from '../billing/hashmap.js';

const CK_PORT = 28898;
const isoZ = (t: number): string => new Date(t * 1000).toISOString().slice(0, 19);
/** the cloud's resources that live the three hours through at one level, their attributes unchanged */
const WHOLE = RESOURCES.filter((r) => r.from === T0 && r.until === null && !r.update && ['web-a', 'app-b', 'data-a', 'debian-12', 'tools'].includes(String(r.attributes.display_name ?? r.attributes.name)));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** Numbers to 12 digits (InfluxDB keeps floats); a point's groupby keys sorted: CloudKitty holds them in a set, whose order follows Python's hash seed. */
const normalize = (v: Json, key = ''): Json => {
  if (typeof v === 'number') return Number(v.toPrecision(12));
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]): [string, Json] => [k, normalize(x, k)]);
    if (key === 'groupby') entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return Object.fromEntries(entries);
  }
  return v;
};

const SPAN = `begin=${isoZ(T0)}&end=${isoZ(T0 + HOURS * HOUR)}`;
const HOUR_2 = `begin=${isoZ(T0 + HOUR)}&end=${isoZ(T0 + 2 * HOUR)}`;
/**
 * Where the answers differ on purpose: the order of a page's points (InfluxDB's
 * order of points at the same time, which is none tally can have: pages are
 * compared as sets, see below), and CloudKitty's 500s on bad input.
 */
const EXPECTED_DIFFERENCES: Readonly<Record<string, { readonly cloudkitty: number; readonly tally: number; readonly why: string }>> = {
  [`/v2/summary?${SPAN}&response_format=bogus`]: { cloudkitty: 500, tally: 400, why: 'CloudKitty raises its validation error outside its handler' },
};
const REQUESTS = [
  `/v2/summary?${SPAN}`,
  `/v2/summary?${SPAN}&groupby=type`,
  `/v2/summary?${SPAN}&groupby=type&groupby=project_id`,
  `/v2/summary?${SPAN}&groupby=project_id&response_format=object`,
  `/v2/summary?${SPAN}&groupby=id&filters=type:instance`,
  `/v2/summary?${SPAN}&groupby=type&limit=2&offset=1`,
  `/v2/summary?${SPAN}&groupby=time&groupby=type`,
  `/v2/summary?${HOUR_2}&groupby=project_id&filters=project_id:${PROJECT_B}`,
  `/v2/dataframes?${SPAN}&filters=type:instance`,
  `/v2/dataframes?${SPAN}&filters=type:volume.size`,
  `/v2/summary?${SPAN}&response_format=bogus`,
  `/v2/summary?begin=nope`,
];

async function ask(url: string, path: string): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${url}${path}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) });
  const text = await r.text();
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = `(not JSON) ${text.slice(0, 200)}`;
  }
  return { status: r.status, body: normalize(body) };
}

test('CloudKitty 17 v2 summary and dataframes: tally answers as the real one', { timeout: 300_000, ...requires(...CLOUDKITTY_V2_NEEDS) }, async (t) => {
  let tally: TestServer | undefined;
  let ck: RealCloudKitty | undefined;
  try {
    assert.equal(WHOLE.length, 5);
    tally = await startTestServer();
    await loadCloud({ url: tally.url, headers: {} }, WHOLE);
    // the shipped file rates these types too: CloudKitty 17 stops the whole period on a type that does not exist
    for (const name of ['instance_network_interface', 'ceph_account']) {
      const created: Response = await fetch(`${tally.url}/v1/resource_type`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, attributes: {} }) });
      assert.equal(created.status, 201);
    }
    ck = await startRealCloudKitty({ port: CK_PORT, collector: 'gnocchi', gnocchiUrl: tally.url, gnocchiAuth: 'noauth', gnocchiUser: 'cloudkitty', metrics: DEFAULT_METRICS_FILE, storage: 'influxdb', log: (l) => t.diagnostic(l) });
    await Promise.all([configureHashmap(ck.url), configureHashmap(tally.url)]);
    const rated = await ck.rate(new Date(T0 * 1000), HOURS, [PROJECT_A, PROJECT_B]);
    assert.deepEqual(rated.periods.filter((p) => p.error), [], 'CloudKitty rates every period');

    const differences: string[] = [];
    for (const path of REQUESTS) {
      const theirs = await ask(ck.url, path);
      const ours = await ask(tally.url, path);
      const expected = EXPECTED_DIFFERENCES[path];
      try {
        if (expected) assert.deepEqual([theirs.status, ours.status], [expected.cloudkitty, expected.tally], expected.why);
        else assert.deepEqual(ours, theirs);
      } catch {
        differences.push(`${path}\n  CloudKitty: ${JSON.stringify(theirs)}\n  tally:      ${JSON.stringify(ours)}`);
      }
    }
    // pages of an hour's dataframes: the same total, the same page sizes, and together the same points
    const pages = async (url: string): Promise<{ totals: Json[]; sizes: number[]; points: string[] }> => {
      const out = { totals: [] as Json[], sizes: [] as number[], points: [] as string[] };
      for (const offset of [0, 2, 4]) {
        const { body } = await ask(url, `/v2/dataframes?${HOUR_2}&limit=2&offset=${offset}`);
        const { total, dataframes } = body as { total: Json; dataframes: { period: Json; usage: Record<string, Json[]> }[] };
        out.totals.push(total);
        let size = 0;
        for (const df of dataframes) for (const [type, points] of Object.entries(df.usage)) for (const p of points) { size++; out.points.push(JSON.stringify([df.period, type, p])); }
        out.sizes.push(size);
      }
      out.points.sort();
      return out;
    };
    const [theirPages, ourPages] = [await pages(ck.url), await pages(tally.url)];
    try {
      assert.deepEqual(ourPages, theirPages);
    } catch {
      differences.push(`/v2/dataframes?${HOUR_2}&limit=2&offset=0,2,4\n  CloudKitty: ${JSON.stringify(theirPages)}\n  tally:      ${JSON.stringify(ourPages)}`);
    }
    const asked = REQUESTS.length + 1;
    reportCompat(t, 'cloudkitty-v2-api', asked - differences.length, asked);
    assert.deepEqual(differences, []);
  } finally {
    await ck?.stop();
    await tally?.close();
  }
});
