/**
 * tally's own rating against the real CloudKitty 17 on the same cloud
 * (cloud.ts, loaded into tally through the Gnocchi API) and the same hashmap
 * rules (hashmap.ts, set through each one's CloudKitty API), both with
 * tally's shipped metrics.yml: CloudKitty's worker rates three hourly
 * periods from tally's Gnocchi API, then each lists its rated points through
 * /v1/storage/dataframes. Where a resource held one level and one set of
 * attributes for a whole hour, tally's quantity and price must be
 * CloudKitty's; elsewhere tally bills to the second and CloudKitty by the
 * period's first point, so they differ on purpose (lifecycle.test.ts checks
 * those by hand).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_METRICS_FILE } from '../../rating/config/metrics-config.js';
import { CLOUDKITTY_NEEDS, type RealCloudKitty, startRealCloudKitty } from '../helpers/real-cloudkitty.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';
import { HOUR, HOURS, PROJECT_A, PROJECT_B, RESOURCES, T0, loadCloud, sampleTimes } from './cloud.js';
import { configureHashmap } from './hashmap.js';

const CK_PORT = 28896;
const isoZ = (t: number): string => new Date(t * 1000).toISOString().slice(0, 19);
/** what the shipped metrics.yml rates, by metric: the rated type */
const RATED: Record<string, string> = { cpu: 'instance', 'volume.size': 'volume.size', 'image.size': 'image.size' };

interface Point {
  qty: number;
  price: number;
}

async function pointsOf(url: string): Promise<Map<string, Point>> {
  const out = new Map<string, Point>();
  for (const tenant of [PROJECT_A, PROJECT_B]) {
    const r = await fetch(`${url}/v1/storage/dataframes?begin=${isoZ(T0)}&end=${isoZ(T0 + HOURS * HOUR)}&tenant_id=${tenant}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) });
    const body = (await r.json()) as { dataframes: { begin: string; resources: { service: string; volume: string; rating: string; desc: Record<string, string> }[] }[] };
    for (const df of body.dataframes) {
      for (const res of df.resources) {
        const key = `${df.begin} ${res.service} ${res.desc.id}`;
        const p = out.get(key) ?? { qty: 0, price: 0 };
        out.set(key, { qty: p.qty + Number(res.volume), price: p.price + Number(res.rating) });
      }
    }
  }
  return out;
}

/** The (hour, type, resource) a resource spent whole at one level, with its attributes unchanged. */
function wholeHours(): string[] {
  const out: string[] = [];
  for (const r of RESOURCES) {
    if (r.update) continue; // resized when loaded: its revision is now, after the cloud
    for (const [metric, f] of Object.entries(r.metrics)) {
      const type = RATED[metric];
      if (!type) continue;
      for (let h = 0; h < HOURS; h++) {
        const start = T0 + h * HOUR;
        if (r.from > start || (r.until !== null && r.until < start + HOUR)) continue;
        const values = new Set(sampleTimes(r).filter((t) => t >= start && t < start + HOUR).map((t) => (metric === 'cpu' ? 1 : f(t))));
        if (values.size === 1) out.push(`${isoZ(start)} ${type} ${r.id}`);
      }
    }
  }
  return out.sort();
}

test('tally rates whole hours as CloudKitty 17 does', { timeout: 240_000, ...requires(...CLOUDKITTY_NEEDS) }, async (t) => {
  let tally: TestServer | undefined;
  let ck: RealCloudKitty | undefined;
  try {
    tally = await startTestServer();
    await loadCloud({ url: tally.url, headers: {} });
    // the shipped file rates these types too: CloudKitty 17 stops the whole period on a type that does not exist
    for (const name of ['instance_network_interface', 'ceph_account']) {
      const created: Response = await fetch(`${tally.url}/v1/resource_type`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, attributes: {} }) });
      assert.equal(created.status, 201);
    }
    ck = await startRealCloudKitty({ port: CK_PORT, collector: 'gnocchi', gnocchiUrl: tally.url, gnocchiAuth: 'noauth', gnocchiUser: 'cloudkitty', metrics: DEFAULT_METRICS_FILE, log: (l) => t.diagnostic(l) });
    await Promise.all([configureHashmap(ck.url), configureHashmap(tally.url)]);
    const rated = await ck.rate(new Date(T0 * 1000), HOURS, [PROJECT_A, PROJECT_B]);
    assert.deepEqual(rated.periods.filter((p) => p.error), [], 'CloudKitty rates every period');

    const [theirs, ours] = await Promise.all([pointsOf(ck.url), pointsOf(tally.url)]);
    const whole = wholeHours();
    assert.ok(whole.length >= 15, `whole hours to compare: ${whole.length}`);
    const differences: string[] = [];
    let agree = 0;
    for (const key of whole) {
      const a = ours.get(key);
      const b = theirs.get(key);
      if (a && b && Math.abs(a.qty - b.qty) < 1e-9 && Math.abs(a.price - b.price) < 1e-9) agree++;
      else differences.push(`${key}: tally ${JSON.stringify(a)} CloudKitty ${JSON.stringify(b)}`);
    }
    t.diagnostic(`whole hours: ${agree}/${whole.length} agree; tally rated ${ours.size} (hour, type, resource), CloudKitty ${theirs.size}`);
    assert.deepEqual(differences, []);
    // and CloudKitty rates nothing tally does not
    for (const key of theirs.keys()) assert.ok(ours.has(key), `rated by CloudKitty only: ${key}`);
  } finally {
    await ck?.stop();
    await tally?.close();
  }
});
