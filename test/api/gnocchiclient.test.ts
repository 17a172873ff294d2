/** The real python-gnocchiclient CLI (Debian's `gnocchi`) against a running tally. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

describe('gnocchi CLI against tally', requires('python3-gnocchiclient'), () => {
  let server: TestServer;
  // async: the server under test runs in this process and must keep answering
  let gnocchi: (...args: string[]) => Promise<unknown>;

  before(async () => {
    server = await startTestServer();
    const env = { ...process.env, OS_AUTH_TYPE: 'gnocchi-noauth', GNOCCHI_ENDPOINT: server.url, GNOCCHI_USER_ID: 'alice', GNOCCHI_PROJECT_ID: 'proj-a' };
    const run = promisify(execFile);
    gnocchi = async (...args: string[]) => {
      // commands that print nothing take no output format
      const quiet = args[1] === 'add' || args[1] === 'delete' || args[1] === 'batch-metrics';
      const { stdout } = await run('gnocchi', quiet ? args : [...args, '-f', 'json'], { env, encoding: 'utf8' });
      return stdout.trim() === '' ? null : JSON.parse(stdout);
    };
  });
  after(async () => server?.close());

  it('lists the default archive policies and creates one', async () => {
    const names = ((await gnocchi('archive-policy', 'list')) as { name: string }[]).map((p) => p.name);
    assert.ok(names.includes('ceilometer-low-rate') && names.includes('medium'), names.join());
    const created = await gnocchi('archive-policy', 'create', '-d', 'granularity:1m,points:60', '-d', 'granularity:1h,timespan:1d', '-b', '1', '-m', 'mean', '-m', 'max', '-m', 'rate:mean', 'demo') as Record<string, unknown>;
    assert.equal(created.name, 'demo');
    assert.equal(created.back_window, 1);
    assert.deepEqual(created.aggregation_methods, ['max', 'mean', 'rate:mean']);
  });

  it('creates a metric, adds measures and reads them per aggregation and granularity', async () => {
    const metric = await gnocchi('metric', 'create', '-a', 'demo', '--unit', 'B', 'disk.read') as { id: string; unit: string; creator: string };
    assert.equal(metric.unit, 'B');
    assert.equal(metric.creator, 'alice:proj-a');
    await gnocchi('measures', 'add', '-m', '2024-01-01T00:00:10@1', '-m', '2024-01-01T00:00:40@3', '-m', '2024-01-01T00:01:10@10', '-m', '2024-01-01T01:00:05@4', metric.id);
    const means = await gnocchi('measures', 'show', '--refresh', metric.id) as { timestamp: string; granularity: number; value: number }[];
    assert.deepEqual(means, [
      { timestamp: '2024-01-01T00:00:00+00:00', granularity: 3600, value: 14 / 3 },
      { timestamp: '2024-01-01T01:00:00+00:00', granularity: 3600, value: 4 },
      // 60 points of 1 min: once 01:00 exists, 00:00 is past retention
      { timestamp: '2024-01-01T00:01:00+00:00', granularity: 60, value: 10 },
      { timestamp: '2024-01-01T01:00:00+00:00', granularity: 60, value: 4 },
    ]);
    const maxHourly = await gnocchi('measures', 'show', '--aggregation', 'max', '--granularity', '3600', metric.id) as { value: number }[];
    assert.deepEqual(maxHourly.map((p) => p.value), [10, 4]);
    const rates = await gnocchi('measures', 'show', '--aggregation', 'rate:mean', '--granularity', '60', '--start', '2024-01-01T00:01:00', metric.id) as { value: number }[];
    assert.deepEqual(rates.map((p) => p.value), [7, -6]);
    // shorter retention for an existing metric: Gnocchi allows changing points, not granularities
    await gnocchi('archive-policy', 'update', '-d', 'granularity:1m,points:60', '-d', 'granularity:1h,points:1', 'demo');
    const hourly = (await gnocchi('measures', 'show', '--granularity', '3600', metric.id)) as { timestamp: string }[];
    assert.deepEqual(hourly.map((p) => p.timestamp), ['2024-01-01T01:00:00+00:00'], 'one hourly point kept after the update');
    const shown = await gnocchi('metric', 'show', metric.id) as Record<string, unknown>;
    assert.equal(shown['archive_policy/name'], 'demo');
    const listed = await gnocchi('metric', 'list') as { id: string }[];
    assert.deepEqual(listed.map((m) => m.id), [metric.id]);
    await gnocchi('metric', 'delete', metric.id);
    assert.deepEqual(await gnocchi('metric', 'list'), []);
  });

  it('takes measures for several metrics in one batch', async (t) => {
    const a = (await gnocchi('metric', 'create', '-a', 'demo', 'batch.a')) as { id: string };
    const b = (await gnocchi('metric', 'create', '-a', 'demo', 'batch.b')) as { id: string };
    const batchDir = mkdtempSync(join(tmpdir(), 'tally-batch-'));
    t.after(() => rmSync(batchDir, { recursive: true, force: true }));
    const file = join(batchDir, 'batch.json');
    writeFileSync(file, JSON.stringify({
      [a.id]: [{ timestamp: '2024-01-01T00:00:00', value: 1 }, { timestamp: '2024-01-01T00:00:30', value: 2 }],
      [b.id]: [{ timestamp: '2024-01-01T00:00:00', value: 10 }],
    }));
    await gnocchi('measures', 'batch-metrics', file);
    const sums = async (id: string) => ((await gnocchi('measures', 'show', '--refresh', '--granularity', '60', id)) as { value: number }[]).map((p) => p.value);
    assert.deepEqual(await sums(a.id), [1.5]);
    assert.deepEqual(await sums(b.id), [10]);
    const missing = '6f7d0b4e-0000-4000-8000-000000000000';
    writeFileSync(file, JSON.stringify({ [a.id]: [{ timestamp: '2024-01-01T00:01:00', value: 5 }], [missing]: [] }));
    await assert.rejects(gnocchi('measures', 'batch-metrics', file), (e: { stderr?: string }) => String(e.stderr).includes(`Unknown metrics: ${missing} (HTTP 400)`));
    assert.deepEqual(await sums(a.id), [1.5], 'a rejected batch writes nothing');
  });

  it('reports errors the way Gnocchi does', async () => {
    await assert.rejects(
      gnocchi('metric', 'create', '-a', 'nope', 'x'),
      (e: { stderr?: string }) => /Archive policy nope does not exist \(HTTP 400\)/.test(String(e.stderr)),
    );
    await assert.rejects(
      gnocchi('archive-policy', 'create', '-d', 'granularity:1m,points:60', 'demo'),
      (e: { stderr?: string }) => /Archive policy demo already exists \(HTTP 409\)/.test(String(e.stderr)),
    );
  });
});
