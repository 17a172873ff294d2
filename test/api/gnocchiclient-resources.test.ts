/**
 * The resource side of the real `gnocchi` CLI against tally: resource types,
 * resources with non-UUID ids, updates and history, search, batch measures
 * by resource with metric creation, aggregates grouped by an attribute,
 * status, and what a member of another project can (not) see.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const run = promisify(execFile);

describe('gnocchi CLI: resources against tally', requires('python3-gnocchiclient', 'python3-gnocchi'), () => {
  let server: TestServer;
  let cli: (identity: { user: string; project: string; roles: string }, ...args: string[]) => Promise<unknown>;
  const alice = { user: 'alice', project: 'proj-a', roles: 'admin' };
  const bob = { user: 'bob', project: 'proj-b', roles: 'member' };
  const gnocchi = (...args: string[]): Promise<unknown> => cli(alice, ...args);

  before(async () => {
    server = await startTestServer();
    cli = async (identity, ...args) => {
      const env = {
        ...process.env,
        OS_AUTH_TYPE: 'gnocchi-noauth',
        GNOCCHI_ENDPOINT: server.url,
        GNOCCHI_USER_ID: identity.user,
        GNOCCHI_PROJECT_ID: identity.project,
        GNOCCHI_ROLES: identity.roles,
      };
      const quiet = ['delete', 'batch-resources-metrics'].includes(args[1]) || (args[0] === 'resource-type' && args[1] === 'delete');
      const { stdout } = await run('gnocchi', quiet ? args : [...args, '-f', 'json'], { env, encoding: 'utf8' });
      return stdout.trim() === '' ? null : JSON.parse(stdout);
    };
    await gnocchi('archive-policy', 'create', '-d', 'granularity:1m,points:60', '-m', 'mean', '-m', 'max', 'minute');
  });
  after(async () => server?.close());

  it('creates a resource type with typed attributes', async () => {
    const rt = (await gnocchi('resource-type', 'create', '-a', 'flavor:string:true:max_length=16', '-a', 'vcpus:number:false:min=1', 'vm')) as Record<string, string>;
    assert.equal(rt.name, 'vm');
    // the CLI flattens each attribute's definition
    assert.equal(rt['attributes/flavor'], 'max_length=16, min_length=0, required=True, type=string');
    assert.equal(rt['attributes/vcpus'], 'max=None, min=1, required=False, type=number');
    const names = ((await gnocchi('resource-type', 'list')) as { name: string }[]).map((t) => t.name);
    assert.deepEqual(names, ['generic', 'vm']);
  });

  it('creates resources with non-UUID ids mapped as Gnocchi maps them, updates them and keeps their history', async () => {
    const created = (await gnocchi('resource', 'create', '-t', 'vm', '-a', 'flavor:small', '-a', 'vcpus:2', '-a', 'project_id:proj-a', '-n', 'cpu:minute', 'vm-1')) as Record<
      string,
      unknown
    >;
    // Gnocchi's own mapping, computed by Gnocchi's code
    const { stdout } = await run('/usr/bin/python3', ['-c', 'from gnocchi import utils; print(utils.ResourceUUID("vm-1", "alice:proj-a"))']);
    assert.equal(created.id, stdout.trim());
    assert.equal(created.original_resource_id, 'vm-1');
    assert.equal(created.flavor, 'small');
    assert.equal(created.vcpus, 2);
    assert.equal(created.creator, 'alice:proj-a');
    await gnocchi('resource', 'create', '-t', 'vm', '-a', 'flavor:large', '-a', 'vcpus:8', '-a', 'project_id:proj-b', '-n', 'cpu:minute', 'vm-2');

    const updated = (await gnocchi('resource', 'update', '-t', 'vm', '-a', 'flavor:medium', 'vm-1')) as Record<string, unknown>;
    assert.equal(updated.flavor, 'medium');
    const history = (await gnocchi('resource', 'history', '-t', 'vm', 'vm-1')) as Record<string, unknown>[];
    assert.deepEqual(history.map((r) => r.flavor), ['small', 'medium']);
    assert.equal(history[0].revision_end, history[1].revision_start);

    await assert.rejects(gnocchi('resource', 'create', '-t', 'vm', '-a', 'flavor:far-too-long-for-sixteen', 'vm-3'), (e: { stderr?: string }) =>
      /length of value must be at most 16 .*\(HTTP 400\)/.test(String(e.stderr)),
    );
    await assert.rejects(gnocchi('resource', 'create', '-t', 'vm', '-a', 'flavor:small', 'vm-1'), (e: { stderr?: string }) =>
      /already exists \(HTTP 409\)/.test(String(e.stderr)),
    );
  });

  it('searches resources with the filter language', async () => {
    const found = (await gnocchi('resource', 'search', '-t', 'vm', 'vcpus>=4 or flavor=medium')) as { original_resource_id: string }[];
    assert.deepEqual(found.map((r) => r.original_resource_id).sort(), ['vm-1', 'vm-2']);
    const medium = (await gnocchi('resource', 'search', '-t', 'vm', 'flavor="medium" and not vcpus>4')) as { original_resource_id: string }[];
    assert.deepEqual(medium.map((r) => r.original_resource_id), ['vm-1']);
    const generic = (await gnocchi('resource', 'list', '-t', 'generic')) as { type: string }[];
    assert.deepEqual(generic.map((r) => r.type), ['vm', 'vm']);
  });

  it('takes batch measures by resource and metric name, creating missing metrics, and aggregates them per project', async (t) => {
    const batchDir = mkdtempSync(join(tmpdir(), 'tally-batch-'));
    t.after(() => rmSync(batchDir, { recursive: true, force: true }));
    const file = join(batchDir, 'batch.json');
    writeFileSync(
      file,
      JSON.stringify({
        'vm-1': { cpu: [{ timestamp: '2024-01-01T00:00:00', value: 10 }, { timestamp: '2024-01-01T00:01:00', value: 20 }], mem: { archive_policy_name: 'minute', measures: [{ timestamp: '2024-01-01T00:00:00', value: 512 }] } },
        'vm-2': { cpu: [{ timestamp: '2024-01-01T00:00:00', value: 30 }, { timestamp: '2024-01-01T00:01:00', value: 50 }] },
      }),
    );
    await gnocchi('measures', 'batch-resources-metrics', '--create-metrics', file);
    const vm1 = (await gnocchi('resource', 'show', '-t', 'vm', 'vm-1')) as { metrics: Record<string, string> };
    assert.deepEqual(Object.keys(vm1.metrics).sort(), ['cpu', 'mem']);
    const mem = (await gnocchi('measures', 'show', '--refresh', '-r', 'vm-1', 'mem')) as { value: number }[];
    assert.deepEqual(mem.map((p) => p.value), [512]);

    // wait until the background processor has aggregated both resources' cpu
    for (let i = 0; i < 100 && (await gnocchi('status') as { 'storage/total number of measures to process': number })['storage/total number of measures to process'] > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const groups = (await gnocchi('aggregates', '--resource-type', 'vm', '--groupby', 'project_id', '(aggregate mean (metric cpu mean))', 'flavor!=tiny')) as {
      group: string;
      name: string;
      timestamp: string;
      value: number;
    }[];
    const byProject = (project: string): number[] => groups.filter((g) => g.group === `project_id: ${project}`).map((g) => g.value);
    assert.deepEqual(byProject('proj-a'), [10, 20]);
    assert.deepEqual(byProject('proj-b'), [30, 50]);
    const across = (await gnocchi('aggregates', '--resource-type', 'vm', '(aggregate max (metric cpu mean))', 'id in ["vm-1", "vm-2"]')) as { value: number }[];
    assert.deepEqual(across.map((p) => p.value), [30, 50]);
  });

  it('shows a member of another project only what belongs to their project', async () => {
    const seen = (await cli(bob, 'resource', 'list', '-t', 'vm')) as { original_resource_id: string }[];
    assert.deepEqual(seen.map((r) => r.original_resource_id), ['vm-2'], 'vm-2 is in proj-b, vm-1 is not');
    const vm1 = (await gnocchi('resource', 'show', '-t', 'vm', 'vm-1')) as { id: string };
    await assert.rejects(cli(bob, 'resource', 'show', '-t', 'vm', vm1.id), (e: { stderr?: string }) => /HTTP 403/.test(String(e.stderr)));
    const searched = (await cli(bob, 'resource', 'search', '-t', 'vm', 'vcpus>0')) as unknown[];
    assert.equal(searched.length, 1);
    await assert.rejects(cli(bob, 'resource-type', 'delete', 'vm'), (e: { stderr?: string }) => /HTTP 403/.test(String(e.stderr)));
  });

  it('reports the processing status', async () => {
    const status = (await gnocchi('status')) as Record<string, number>;
    assert.equal(typeof status['storage/total number of measures to process'], 'number');
  });
});
