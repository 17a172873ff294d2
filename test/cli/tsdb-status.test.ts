import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ARCHIVE_POLICIES } from '../../tsdb/archive-policy.js';
import { Engine } from '../../tsdb/engine.js';

const bin = fileURLToPath(new URL('../../bin/tally.js', import.meta.url));

describe('tally tsdb-status', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tally-cli-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reports metrics and pending measures of a data dir', async () => {
    const engine = Engine.open({ path: join(dataDir, 'tsdb') });
    for (const name of ['cpu', 'mem', 'disk']) await engine.createMetric(name, DEFAULT_ARCHIVE_POLICIES[1]);
    await engine.addMeasures([{ metricId: 'cpu', timestamps: [1e15], values: [1] }, { metricId: 'mem', timestamps: [1e15], values: [2] }]);
    await engine.close();
    const out = execFileSync(process.execPath, [bin, 'tsdb-status', '--data-dir', dataDir], { encoding: 'utf8' });
    assert.match(out, /^metrics\s+3$/m);
    assert.match(out, /^pending_entries\s+2$/m);
  });

  it('says clearly when there is no store', () => {
    const r = spawnSync(process.execPath, [bin, 'tsdb-status', '--data-dir', join(dataDir, 'missing')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^tally: no time-series store at /);
  });
});
