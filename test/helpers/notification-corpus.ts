/**
 * The notification corpus (test/fixtures/notifications) and the Ceilometer
 * oracles run over it (test/oracle/ceilometer_*.py, Debian python3-ceilometer).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS = join(import.meta.dirname, '../fixtures/notifications');
export const CORPUS_FILES = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();

export const readCorpus = (file: string): unknown[] => JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as unknown[];

/** What an oracle recorded for a corpus file, under expected/ or expected-events/. */
export const readExpected = (folder: string, file: string): unknown[] => JSON.parse(readFileSync(join(CORPUS, folder, file), 'utf8')) as unknown[];

/**
 * Runs an oracle once over every corpus file (it takes seconds to start) and
 * checks its output is what `folder` recorded for each file.
 */
export function checkRecordedOracle(oracle: string, input: Record<string, unknown>, folder: string): void {
  const corpora = CORPUS_FILES.map(readCorpus);
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../oracle', oracle)], {
    input: JSON.stringify({ ...input, notifications: corpora.flat() }),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const live = JSON.parse(out) as unknown[];
  let at = 0;
  CORPUS_FILES.forEach((file, k) => {
    assert.deepEqual(live.slice(at, at + corpora[k].length), readExpected(folder, file), `${file}: the recorded oracle output is stale`);
    at += corpora[k].length;
  });
}
