/**
 * CloudKitty's own clients against tally alone: python-cloudkittyclient's
 * `cloudkitty` command and `openstack rating …` (its OpenStackClient plugin),
 * through its noauth plugin, set hashmap rules on tally and read what tally
 * rated: v1's summary and total, v2's summary and dataframes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const run = promisify(execFile);
const T0 = Date.UTC(2026, 10, 2, 0, 0, 0);
const VM = '0f000000-0000-4000-8000-00000000000f';
const PROJECT = 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0';
const BEGIN = '2026-11-02T00:00:00';
const END = '2026-11-02T02:00:00';

describe('cloudkitty and openstack rating CLIs against tally', requires('python3-cloudkittyclient', 'python3-openstackclient'), () => {
  let server: TestServer;
  /** the CLI's JSON output; `env` adds variables (OS_RATING_API_VERSION) */
  const cli = async (command: 'cloudkitty' | 'openstack', args: string[], env: Record<string, string> = {}): Promise<unknown> => {
    const { stdout } = await run(`/usr/bin/${command}`, ['--os-auth-type', 'cloudkitty-noauth', '--os-endpoint', server.url, ...args, '-f', 'json'], {
      env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      timeout: 60_000,
    });
    return JSON.parse(stdout);
  };

  before(async () => {
    server = await startTestServer({ evaluation_interval: 0 }, { collector: true });
    const post = async (path: string, body: unknown, status: number): Promise<void> => {
      const r = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status, status, await r.text());
    };
    // an m1.small instance, its cpu sampled every 300 s for two hours
    await post('/v1/resource/instance', {
      id: VM, project_id: PROJECT, user_id: PROJECT, started_at: new Date(T0).toISOString(), flavor_name: 'm1.small', flavor_id: '2',
      display_name: 'vm', host: 'h', image_ref: 'i', metrics: { cpu: { archive_policy_name: 'ceilometer-low-rate' } },
    }, 201);
    await post(`/v1/resource/instance/${VM}/metric/cpu/measures`, Array.from({ length: 24 }, (_, k) => ({ timestamp: new Date(T0 + (17 + k * 300) * 1000).toISOString(), value: 1e9 * (k + 1) })), 202);
  });
  after(async () => {
    await server?.close();
  });

  it('sets hashmap rules with the cloudkitty command', async () => {
    const [service] = (await cli('cloudkitty', ['hashmap', 'service', 'create', 'instance'])) as { 'Service ID': string }[];
    const [field] = (await cli('cloudkitty', ['hashmap', 'field', 'create', service['Service ID'], 'flavor_name'])) as { 'Field ID': string }[];
    await cli('cloudkitty', ['hashmap', 'mapping', 'create', '--field-id', field['Field ID'], '--value', 'm1.small', '-t', 'flat', '0.25']);
    await cli('cloudkitty', ['hashmap', 'mapping', 'create', '--field-id', field['Field ID'], '--value', 'm1.large', '-t', 'flat', '2']);
    const mappings = (await cli('openstack', ['rating', 'hashmap', 'mapping', 'list', '--field-id', field['Field ID']])) as { Value: string; Cost: string; Type: string }[];
    assert.deepEqual(mappings.map((m) => [m.Value, Number(m.Cost), m.Type]).sort(), [['m1.large', 2, 'flat'], ['m1.small', 0.25, 'flat']]);
    const modules = (await cli('openstack', ['rating', 'module', 'list'])) as { Module: string; Enabled: boolean }[];
    assert.ok(modules.some((m) => m.Module === 'hashmap' && m.Enabled));
  });

  it('reads what tally rated: two instance-hours of m1.small at 0.25', async () => {
    const v1 = (await cli('openstack', ['rating', 'summary', 'get', '-b', BEGIN, '-e', END])) as { Rate: string }[];
    assert.equal(Number(v1[0].Rate), 0.5);
    const total = (await cli('cloudkitty', ['total', 'get', '-b', BEGIN, '-e', END])) as { Total: number };
    assert.equal(total.Total, 0.5);
    const v2 = (await cli('openstack', ['rating', 'summary', 'get', '-b', BEGIN, '-e', END, '-g', 'type'], { OS_RATING_API_VERSION: '2' })) as { Type: string; Qty: number; Rate: number }[];
    assert.deepEqual(v2.map((r) => [r.Type, r.Qty, r.Rate]), [['instance', 2, 0.5]]);
    const frames = (await cli('openstack', ['rating', 'dataframes', 'get', '-b', BEGIN, '-e', END], { OS_RATING_API_VERSION: '2' })) as { Begin: string; 'Metric Type': string; Quantity: number; Price: number; Metadata: string }[];
    assert.deepEqual(frames.map((f) => [f.Begin, f['Metric Type'], f.Quantity, f.Price]), [
      ['2026-11-02T00:00:00+00:00', 'instance', 1, 0.25],
      ['2026-11-02T01:00:00+00:00', 'instance', 1, 0.25],
    ]);
    assert.match(frames[0].Metadata, /flavor_name="m1.small"/);
  });
});
