/**
 * What the collector stored, seen through the real `gnocchi` CLI: the
 * instance a cloud's notifications describe, its attributes and its
 * measures, as an operator would look at them after pointing tally at the bus.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { CORPUS } from '../helpers/notification-corpus.js';
import { requires } from '../lib/requirements.js';

const run = promisify(execFile);
const INSTANCE = '9f9d01b9-4a58-4271-9e27-398b21ab20d1';

describe('gnocchi CLI: what the collector stored', requires('python3-gnocchiclient'), () => {
  let server: TestServer;
  const gnocchi = async (...args: string[]): Promise<unknown> => {
    const env = { ...process.env, OS_AUTH_TYPE: 'gnocchi-noauth', GNOCCHI_ENDPOINT: server.url, GNOCCHI_USER_ID: 'admin', GNOCCHI_PROJECT_ID: 'admin', GNOCCHI_ROLES: 'admin' };
    const { stdout } = await run('gnocchi', [...args, '-f', 'json'], { env, encoding: 'utf8' });
    return JSON.parse(stdout);
  };

  before(async () => {
    server = await startTestServer({}, { collector: true });
    for (const f of ['nova', 'cinder']) {
      const res = await fetch(`${server.url}/collector/notifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: readFileSync(join(CORPUS, `${f}.json`)) });
      assert.equal(res.status, 202, await res.text());
    }
  });
  after(async () => server.close());

  it('lists the instance with the attributes its notifications gave', async () => {
    const instances = (await gnocchi('resource', 'list', '--type', 'instance')) as Record<string, unknown>[];
    const vm = instances.find((r) => r.id === INSTANCE);
    assert.ok(vm, JSON.stringify(instances));
    assert.equal(vm.display_name, 'web-1');
    assert.equal(vm.flavor_name, 'm1.small');
    assert.equal(vm.host, 'compute-0');
    assert.notEqual(vm.ended_at, null, 'deleted in the notifications: ended');
    const volumes = (await gnocchi('resource', 'list', '--type', 'volume')) as Record<string, unknown>[];
    assert.ok(volumes.length > 0);
  });

  it('shows its measures', async () => {
    const memory = (await gnocchi('measures', 'show', '--refresh', '--resource-id', INSTANCE, 'memory')) as { timestamp: string; granularity: number; value: number }[];
    assert.ok(memory.length > 0);
    assert.equal(memory[0].granularity, 300);
    assert.equal(memory.at(-1)!.value, 2048);
  });
});
