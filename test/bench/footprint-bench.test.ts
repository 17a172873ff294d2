/**
 * Keeps bench/footprint runnable: a small run against the built tally, with the
 * index in PGlite and in PostgreSQL, must print its tables with a figure in
 * every cell it fills. No figure is asserted: a timed or sized test would fail
 * on a busy machine, not on a wrong program.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const script = fileURLToPath(new URL('../../bench/footprint.ts', import.meta.url));
const run = promisify(execFile);

test('bench/footprint --quick prints its tables', { timeout: 300_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, '--quick', '--idle', '3', '--seconds', '3', '--resources', '200'], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 }).catch(
    (e: { stdout?: string; stderr?: string; message: string }) => assert.fail(`bench failed: ${e.message}\n${e.stderr ?? ''}`),
  );
  const rows = stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('|---')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const phase = (name: string): string[] => rows.find((r) => r[0].startsWith(name)) ?? assert.fail(`no row '${name}' in:\n${stdout}`);
  for (const index of ['PGlite', 'PostgreSQL']) {
    for (const name of [`${index}: starting, peak`, `${index}: idle after`, `${index}: steady load (`]) {
      const [, rss, anon, file] = phase(name);
      for (const cell of [rss, anon, file]) assert.match(cell, /^\d+$/, `${name}: ${cell}`);
      assert.ok(Number(rss) >= Number(anon), name);
    }
  }
  // tally's own account, and the embedded database apart
  assert.match(phase('index_wasm_memory_allocated')[1], /^\d+$/);
  assert.match(phase('v8_heap_aggregation_thread')[2], /^\d+$/);
  assert.match(phase("Node.js + PGlite with tally's schema, shared_buffers 16MB")[1], /^\d+$/);
});
