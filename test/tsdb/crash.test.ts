import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../tsdb/engine.js';
import { CRASH_BASE_US, CRASH_METRICS, MEASURES_PER_BATCH } from '../helpers/crash-workload.js';

const child = fileURLToPath(new URL('../helpers/crash-ingest-child.ts', import.meta.url));

/** Runs the child until it has acknowledged `minAcks` batches plus a random delay, then SIGKILLs it. */
async function runAndKill(dir: string, firstBatch: number, minAcks: number, mode: string, mirror: boolean): Promise<number[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, String(firstBatch), mode, mirror ? 'mirror' : ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acks: number[] = [];
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  let killTimer: NodeJS.Timeout | undefined;
  for await (const line of createInterface({ input: proc.stdout })) {
    if (line.startsWith('ack ')) acks.push(Number(line.slice(4)));
    if (acks.length >= minAcks && killTimer === undefined) {
      killTimer = setTimeout(() => proc.kill('SIGKILL'), Math.floor(Math.random() * 40));
    }
  }
  await exited;
  clearTimeout(killTimer);
  assert.equal(proc.signalCode, 'SIGKILL', 'the child must die by SIGKILL, not by itself');
  return acks;
}

describe('crash safety', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  // one metric per write: incoming entries; 64 batches per write: incoming blocks, folded by block sweeps in steps of 4 metrics;
  // with a sink registered, each write is also logged for it, in the same transaction
  for (const [mode, minAcks, mirror] of [['entries', 150, false], ['blocks', 640, false], ['entries', 150, true], ['blocks', 640, true]] as const)
  it(`counts every acknowledged measure exactly once across SIGKILLs (${mode}${mirror ? ', logged for a sink' : ''})`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-crash-'));
    dirs.push(dir);
    const acked = new Set<number>();
    let firstBatch = 0;
    for (let round = 0; round < 3; round++) {
      for (const b of await runAndKill(dir, firstBatch, minAcks, mode, mirror)) acked.add(b);
      firstBatch += 100_000; // batch numbers of the next run never collide with unacknowledged ones
    }
    assert.ok(acked.size >= 3 * minAcks);

    const engine = Engine.open({ path: dir });
    try {
      await engine.processAll();
      assert.equal(engine.pendingEntries(), 0);
      const seen = new Map<number, number>(); // batch → measures found
      let total = 0;
      for (let m = 0; m < CRASH_METRICS; m++) {
        const perMs = engine.read(`m${m}`, { method: 'count', granularity: 1000 });
        const sums = engine.read(`m${m}`, { method: 'sum', granularity: 1000 });
        for (let i = 0; i < perMs.length; i++) {
          assert.equal(perMs.values[i], 1, 'no measure is counted twice');
          const k = (perMs.ts[i] - CRASH_BASE_US) / 1000;
          assert.equal(sums.values[i], k, 'each bucket holds its own measure');
          const b = Math.floor(k / MEASURES_PER_BATCH);
          assert.equal(b % CRASH_METRICS, m);
          seen.set(b, (seen.get(b) ?? 0) + 1);
        }
        const daily = engine.read(`m${m}`, { method: 'count', granularity: 86_400_000_000 });
        const dayTotal = Array.from(daily.values.subarray(0, daily.length)).reduce((a, b) => a + b, 0);
        assert.equal(dayTotal, perMs.length, 'both granularities saw the same measures');
        total += perMs.length;
      }
      for (const b of acked) assert.equal(seen.get(b), MEASURES_PER_BATCH, `acknowledged batch ${b} is complete`);
      for (const [b, n] of seen) assert.equal(n, MEASURES_PER_BATCH, `batch ${b} is all or nothing`);
      assert.ok(total >= acked.size * MEASURES_PER_BATCH);
      if (mirror) {
        // the log holds exactly the writes the store holds: each batch once, whole, with the same measures
        const logged = new Map<number, number>();
        const seqs: number[] = [];
        for (const { seq, block } of engine.mirror.read(0, Infinity)) {
          seqs.push(seq);
          for (let m = 0; m < block.ids.length; m++) {
            for (let i = block.starts[m]; i < block.starts[m + 1]; i++) {
              const k = (block.ts[i] - CRASH_BASE_US) / 1000;
              assert.equal(block.values[i], k);
              const b = Math.floor(k / MEASURES_PER_BATCH);
              logged.set(b, (logged.get(b) ?? 0) + 1);
            }
          }
        }
        assert.deepEqual([...logged].sort((a, b) => a[0] - b[0]), [...seen].sort((a, b) => a[0] - b[0]), 'the log and the store hold the same batches');
        assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'sequence numbers follow each other from 1, with no gap');
      }
    } finally {
      await engine.close();
    }
  });
});
