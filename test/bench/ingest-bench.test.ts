/** Keeps bench/ingest runnable: a tiny run must print its full table. No timing is asserted. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../bench/ingest.ts', import.meta.url));

describe('bench/ingest', () => {
  it('prints its table on a small run', { timeout: 120_000 }, () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--metrics', '50', '--measures', '300', '--interval', '50'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    for (const row of ['end-to-end measures/s', 'peak RSS', 'bytes on disk per measure', 'read: 30-day rollup at 5 min (8640 points)', 'aggregate mean across 50 metrics']) {
      assert.ok(out.includes(row), `missing row '${row}' in:\n${out}`);
    }
    assert.match(out, /\| measures\s+\| 15,000 \|/);
  });
});
