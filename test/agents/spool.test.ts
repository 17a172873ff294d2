/**
 * The agent's spool on a real directory: order across segments, a restart
 * that resumes where sending stopped, a torn last line, the bound.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Spool } from '../../agents/publish/spool.js';

const entry = (i: number, samples = 2): string => JSON.stringify({ message_id: `m${i}`, payload: { samples: Array.from({ length: samples }, (_, k) => ({ counter_name: 'cpu', n: k, display_name: 'wéb-ü' })) } });
const ids = (entries: readonly string[]): string[] => entries.map((e) => (JSON.parse(e) as { message_id: string }).message_id);

describe('agent spool', () => {
  const root = mkdtempSync(join(tmpdir(), 'tally-spool-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = (): string => join(root, `s${n++}`);

  it('gives entries back in order across segments, and deletes a segment once sent', () => {
    const dir = fresh();
    const spool = Spool.open(dir, { segmentBytes: 500 });
    assert.equal(spool.empty, true);
    for (let i = 0; i < 10; i++) spool.append([entry(i)]);
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).length > 1, 'several segments');
    const got: string[] = [];
    for (let b = spool.take(3); b; b = spool.take(3)) {
      got.push(...b.entries);
      b.commit();
    }
    assert.deepEqual(ids(got), Array.from({ length: 10 }, (_, i) => `m${i}`));
    assert.equal(spool.empty, true);
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.jsonl')).length <= 1);
    assert.equal(JSON.parse(got[9]).payload.samples[0].display_name, 'wéb-ü');
  });

  it('resumes after a restart where sending stopped: nothing committed comes back, nothing uncommitted is lost', () => {
    const dir = fresh();
    const a = Spool.open(dir, { segmentBytes: 400 });
    for (let i = 0; i < 8; i++) a.append([entry(i)]);
    const first = a.take(5)!;
    first.commit();
    const uncommitted = a.take(2)!;
    assert.ok(uncommitted.entries.length > 0);
    // the process dies here: the second batch was taken, never confirmed
    const b = Spool.open(dir, { segmentBytes: 400 });
    const rest: string[] = [];
    for (let t = b.take(100); t; t = b.take(100)) {
      rest.push(...t.entries);
      t.commit();
    }
    assert.deepEqual([...ids(first.entries), ...ids(rest)], Array.from({ length: 8 }, (_, i) => `m${i}`));
  });

  it('drops a last line cut short by a crash, keeps the rest', () => {
    const dir = fresh();
    const a = Spool.open(dir);
    a.append([entry(1), entry(2)]);
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.jsonl'))!);
    appendFileSync(file, '{"message_id":"m3","payl');
    const b = Spool.open(dir);
    b.append([entry(4)]);
    const t = b.take(10)!;
    assert.deepEqual(ids(t.entries), ['m1', 'm2', 'm4']);
  });

  it('keeps within its bound by dropping the oldest, and counts what it dropped', () => {
    const dir = fresh();
    const logs: string[] = [];
    const spool = Spool.open(dir, { maxBytes: 2000, segmentBytes: 500, log: (l) => logs.push(l) });
    for (let i = 0; i < 40; i++) spool.append([entry(i, 3)]);
    assert.ok(spool.size <= 2000 + 500, `${spool.size} bytes`);
    const kept: string[] = [];
    for (let t = spool.take(100); t; t = spool.take(100)) {
      kept.push(...t.entries);
      t.commit();
    }
    const keptIds = ids(kept);
    assert.equal(keptIds.at(-1), 'm39', 'the newest stay');
    assert.equal(spool.dropped.entries, 40 - kept.length);
    assert.equal(spool.dropped.samples, 3 * (40 - kept.length));
    assert.deepEqual(keptIds, Array.from({ length: kept.length }, (_, i) => `m${40 - kept.length + i}`), 'what is kept is the newest, in order');
    assert.ok(logs.some((l) => /spool is full/.test(l)));
  });
});
