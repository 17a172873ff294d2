/**
 * Meter definitions against Ceilometer 19 itself: the fixture meters.yaml
 * loads unchanged and makes, of every notification in the corpus
 * (test/fixtures/notifications), the samples Ceilometer's own code makes —
 * the recorded oracle output, and the oracle run live when Debian's
 * python3-ceilometer is installed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MeterDefinitions, SampleBuildError } from '../../collector/meters/meter-definitions.js';
import { PoisonMessage, toNotification } from '../../collector/notification.js';
import type { Sample } from '../../collector/meters/sample.js';

const METERS_YAML = '/work/shared/fixtures/ceilometer/meters.yaml';
const CORPUS = join(import.meta.dirname, '../fixtures/notifications');
const ORACLE = join(import.meta.dirname, '../oracle/ceilometer_meters.py');
const hasCeilometer = existsSync('/usr/lib/python3/dist-packages/ceilometer/meter/notifications.py');

const corpusFiles = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();

function tallySamples(defs: MeterDefinitions, raw: unknown): Sample[] {
  try {
    return defs.samples(toNotification(raw));
  } catch (err) {
    // Ceilometer logs such a notification and publishes nothing of it
    if (err instanceof SampleBuildError || err instanceof PoisonMessage) return [];
    throw err;
  }
}

/** The oracle adds message_id beside each sample; it is not a Sample field. */
function withoutMessageId(samples: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return samples.map(({ message_id: _, ...rest }) => rest);
}

describe('meter definitions: the fixture meters.yaml', () => {
  const defs = MeterDefinitions.load([METERS_YAML]);

  it('loads every definition unchanged', () => {
    assert.deepEqual(defs.skipped, []);
    // the file's 38 definitions, none duplicated
    assert.equal(defs.definitions.length, 38);
    // Ceilometer keeps them bottom-up
    assert.equal(defs.definitions[0].name, 'manila.share.size');
    assert.equal(defs.definitions.at(-1)!.name, 'image.size');
  });

  for (const file of corpusFiles) {
    it(`gives Ceilometer's samples for ${file}`, () => {
      const corpus = JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as unknown[];
      const expected = JSON.parse(readFileSync(join(CORPUS, 'expected', file), 'utf8')) as Record<string, unknown>[][];
      assert.equal(corpus.length, expected.length);
      corpus.forEach((raw, i) => {
        const got = JSON.parse(JSON.stringify(tallySamples(defs, raw))) as unknown;
        assert.deepEqual(got, withoutMessageId(expected[i]), `${file} #${i}`);
      });
    });
  }

  it('agrees with Ceilometer run live on the whole corpus', { skip: hasCeilometer ? false : 'python3-ceilometer is not installed' }, () => {
    // one run over all files: the oracle takes seconds to start
    const corpora = corpusFiles.map((f) => JSON.parse(readFileSync(join(CORPUS, f), 'utf8')) as unknown[]);
    const out = execFileSync('/usr/bin/python3', [ORACLE], {
      input: JSON.stringify({ meters_yaml: METERS_YAML, notifications: corpora.flat() }),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const live = JSON.parse(out) as unknown[];
    let at = 0;
    corpusFiles.forEach((file, k) => {
      const expected = JSON.parse(readFileSync(join(CORPUS, 'expected', file), 'utf8')) as unknown;
      assert.deepEqual(live.slice(at, at + corpora[k].length), expected, `${file}: the recorded oracle output is stale`);
      at += corpora[k].length;
    });
  });
});
