/**
 * Keeps bench/api runnable: its short mode against tally and the real Gnocchi
 * must print the full table with a number in every cell. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GNOCCHI_NEEDS } from '../helpers/real-gnocchi.js';
import { requires } from '../lib/requirements.js';

const script = fileURLToPath(new URL('../../bench/api.ts', import.meta.url));
const run = promisify(execFile);

test('bench/api --short --gnocchi prints its table', { timeout: 300_000, ...requires(...GNOCCHI_NEEDS) }, async () => {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, '--short', '--gnocchi'], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 }).catch(
    (e: { stdout?: string; stderr?: string; message: string }) => assert.fail(`bench failed: ${e.message}\n${e.stderr ?? ''}`),
  );
  const rows = stdout.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  assert.deepEqual(rows[0], ['figure', 'tally', 'gnocchi', 'ratio'], `no table header in:\n${stdout}\n${stderr}`);
  const figures = rows.slice(2);
  for (const start of ['ingest measures/s', 'read median ms', 'aggregates median ms']) {
    assert.ok(figures.some((r) => r[0].startsWith(start)), `missing row '${start}' in:\n${stdout}`);
  }
  for (const [label, ...cells] of figures) {
    assert.equal(cells.length, 3, `row '${label}'`);
    for (const cell of cells) assert.match(cell, /^\d[\d,]*(\.\d+)?×?$/, `row '${label}': '${cell}' is not a number`);
    assert.ok(cells.every((c) => Number(c.replace(/[,×]/g, '')) > 0), `row '${label}': ${cells.join(' | ')}`);
  }
});
