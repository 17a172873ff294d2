/**
 * `tally rating` alone: CloudKitty's rating API on its own port, reading the
 * store an all-in-one wrote (the hashmap rules and the usage), and answering
 * `Accept: text/csv` where CloudKitty's reports do, while the Gnocchi API
 * still refuses it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../cli/config.js';
import { startRatingServer, startServer } from '../../cli/server.js';

const T0 = Date.UTC(2026, 10, 2, 0, 0, 0) / 1000;
const PROJECT = 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0';
const VM = '0f000000-0000-4000-8000-00000000000f';

const dir = mkdtempSync(join(tmpdir(), 'tally-rating-command-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const config = { ...loadConfig({ env: {} }), port: 0, rating_port: 0, data_dir: dir, log_level: 'warn', processing_interval_ms: 50, evaluation_interval: 0 };

async function send(url: string, method: string, path: string, body?: unknown, accept = 'application/json'): Promise<{ status: number; text: string; type: string }> {
  const r = await fetch(`${url}${path}`, { method, headers: { accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') ?? '' };
}

test('tally rating serves the rules and reports of a store written by an all-in-one', { timeout: 120_000 }, async () => {
  // an all-in-one (with the collector's resource types): an m1.small instance sampled every 300 s for two hours, and its price
  const aio = await startServer(config, () => undefined, { collector: true, alarms: false });
  try {
    const created = await send(aio.url, 'POST', '/v1/resource/instance', {
      id: VM, project_id: PROJECT, user_id: PROJECT, started_at: new Date(T0 * 1000).toISOString(), flavor_name: 'm1.small', flavor_id: '2',
      display_name: 'vm', host: 'h', image_ref: 'i', metrics: { cpu: { archive_policy_name: 'ceilometer-low-rate' } },
    });
    assert.equal(created.status, 201, created.text);
    const measures = Array.from({ length: 24 }, (_, k) => ({ timestamp: new Date((T0 + 17 + k * 300) * 1000).toISOString(), value: 1e9 * (k + 1) }));
    const wrote = await send(aio.url, 'POST', `/v1/resource/instance/${VM}/metric/cpu/measures`, measures);
    assert.equal(wrote.status, 202, wrote.text);
    const H = '/v1/rating/module_config/hashmap';
    const service = JSON.parse((await send(aio.url, 'POST', `${H}/services`, { name: 'instance' })).text) as { service_id: string };
    const field = JSON.parse((await send(aio.url, 'POST', `${H}/fields`, { service_id: service.service_id, name: 'flavor_name' })).text) as { field_id: string };
    assert.equal((await send(aio.url, 'POST', `${H}/mappings`, { field_id: field.field_id, value: 'm1.small', cost: '0.25', type: 'flat' })).status, 201);
    // the Gnocchi API answers JSON only
    assert.equal((await send(aio.url, 'GET', '/v1/resource/instance', undefined, 'text/csv')).status, 406);
  } finally {
    await aio.stop();
  }

  const lines: string[] = [];
  const rating = await startRatingServer(config, (line) => lines.push(line));
  try {
    assert.match(lines.join('\n'), /CloudKitty rating API listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.notEqual(new URL(rating.url).port, new URL(config.gnocchi_url).port);
    const modules = JSON.parse((await send(rating.url, 'GET', '/v1/rating/modules')).text) as { modules: { module_id: string; enabled: boolean }[] };
    assert.ok(modules.modules.some((m) => m.module_id === 'hashmap' && m.enabled));
    // an instant quote: 2 × the m1.small flat price; an unknown flavor costs nothing; bad input names the field
    const quote = async (resources: unknown): Promise<{ status: number; text: string }> => {
      const { status, text } = await send(rating.url, 'POST', '/v1/rating/quote', { resources });
      return { status, text };
    };
    assert.deepEqual(await quote([{ service: 'instance', desc: { metadata: { flavor_name: 'm1.small' } }, volume: '2' }]), { status: 200, text: '0.5' });
    assert.deepEqual(await quote([{ service: 'instance', desc: { metadata: { flavor_name: 'm9' } }, volume: 1 }]), { status: 200, text: '0.0' });
    const bad = await quote([{ service: 'instance', volume: 'lots' }]);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /resources\[0\]\.volume/);
    const span = `begin=${new Date(T0 * 1000).toISOString().slice(0, 19)}&end=${new Date((T0 + 7200) * 1000).toISOString().slice(0, 19)}`;
    // two instance-hours of m1.small at 0.25
    const total = await send(rating.url, 'GET', `/v1/report/total?${span}`);
    assert.equal(total.status, 200, total.text);
    assert.equal(Number(JSON.parse(total.text)), 0.5);
    const csv = await send(rating.url, 'GET', `/v2/summary?${span}&groupby=type`, undefined, 'text/csv');
    assert.equal(csv.status, 200, csv.text);
    assert.match(csv.type, /^text\/csv/);
    const [header, ...rows] = csv.text.trim().split(/\r?\n/);
    assert.ok(header.split(',').includes('type'), header);
    assert.equal(rows.length, 1, csv.text);
    assert.ok(rows[0].includes('instance'), rows[0]);
  } finally {
    await rating.stop();
  }
});
