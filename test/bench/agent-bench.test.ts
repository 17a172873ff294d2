/**
 * Keeps bench/agent runnable: a run on 5 domains must print its table, a
 * figure in every cell, and the sample counts the domains make (38 each for
 * tally's agent, 27 for Ceilometer's pollsters, whose disk I/O call the test
 * driver does not support). No timing is asserted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requires } from '../lib/requirements.js';

const script = fileURLToPath(new URL('../../bench/agent.ts', import.meta.url));
const run = promisify(execFile);

test('bench/agent prints its table', { timeout: 300_000, ...requires('libvirt-clients', 'libvirt-daemon', 'python3-ceilometer', 'python3-libvirt', 'prometheus-libvirt-exporter') }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, '--sizes', '5', '--polls', '1'], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 }).catch(
    (e: { stdout?: string; stderr?: string; message: string }) => assert.fail(`bench failed: ${e.message}\n${e.stderr ?? ''}`),
  );
  const rows = stdout.split('\n').filter((l) => l.startsWith('| ')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  assert.equal(rows[0][0], 'domains', stdout);
  const row = rows.find((r) => r[0] === '5') ?? assert.fail(`no row for 5 domains in:\n${stdout}`);
  for (const cell of row.slice(1, -1)) assert.match(cell, /^\d+(\.\d+)?×?$/, `'${cell}' in ${row.join(' | ')}`);
  assert.equal(row.at(-1), '190 / 135');
});
