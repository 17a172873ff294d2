/**
 * The notification corpus (test/fixtures/notifications) and the Ceilometer
 * oracles run over it (test/oracle/ceilometer_*.py, Debian python3-ceilometer).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

/** Ceilometer 19's own definition files, as tally ships them for its collector. */
export const CEILOMETER_DEFINITIONS = join(import.meta.dirname, '..', '..', 'collector', 'data');

export const CORPUS = join(import.meta.dirname, '../fixtures/notifications');
export const CORPUS_FILES = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();

export const readCorpus = (file: string): unknown[] => JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as unknown[];

/** What an oracle recorded for a corpus file, under expected/ or expected-events/. */
export const readExpected = (folder: string, file: string): unknown[] => JSON.parse(readFileSync(join(CORPUS, folder, file), 'utf8')) as unknown[];

/**
 * Runs an oracle once over every corpus file (it takes seconds to start) and
 * compares, notification by notification, what tally makes of it (`ours`) with
 * what the oracle made (`theirs` of its output): how many there were, which
 * differ, and the files whose oracle output is no longer what `folder` recorded.
 */
export function agreementWithOracle(
  oracle: string,
  input: Record<string, unknown>,
  folder: string,
  ours: (notification: unknown) => unknown,
  theirs: (output: unknown) => unknown = (output) => output,
): { total: number; differ: string[]; stale: string[] } {
  const { live, stale } = runOracle(oracle, input, folder);
  let total = 0;
  const differ: string[] = [];
  CORPUS_FILES.forEach((file, k) =>
    readCorpus(file).forEach((raw, i) => {
      total++;
      if (!isDeepStrictEqual(ours(raw), theirs(live[k][i]))) differ.push(`${file} #${i}`);
    }),
  );
  return { total, differ, stale };
}

/** The oracle's output for each notification, by file, and the files whose output is no longer what `folder` recorded. */
function runOracle(oracle: string, input: Record<string, unknown>, folder: string): { live: unknown[][]; stale: string[] } {
  const corpora = CORPUS_FILES.map(readCorpus);
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, '../oracle', oracle)], {
    input: JSON.stringify({ ...input, notifications: corpora.flat() }),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const all = JSON.parse(out) as unknown[];
  assert.equal(all.length, corpora.reduce((n, c) => n + c.length, 0), `${oracle}: one answer per notification`);
  let at = 0;
  const live = corpora.map((c) => all.slice(at, (at += c.length)));
  return { live, stale: CORPUS_FILES.filter((file, k) => !isDeepStrictEqual(live[k], readExpected(folder, file))) };
}
