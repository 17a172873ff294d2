/**
 * Meter definitions against Ceilometer 19 itself: the fixture meters.yaml
 * loads unchanged and makes, of every notification in the corpus
 * (test/fixtures/notifications), the samples Ceilometer's own code makes:
 * the recorded oracle output, and the oracle run live (Debian's
 * python3-ceilometer).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CEILOMETER_DEFINITIONS, CORPUS_FILES, agreementWithOracle, readCorpus, readExpected } from '../helpers/notification-corpus.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { MeterDefinitions, SampleBuildError } from '../../collector/meters/meter-definitions.js';
import { PoisonMessage, toNotification } from '../../collector/notification.js';
import type { Sample } from '../../collector/meters/sample.js';

const METERS_YAML = join(CEILOMETER_DEFINITIONS, 'meters.yaml');

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

describe("meter definitions: Ceilometer's meters.yaml", () => {
  const defs = MeterDefinitions.load([METERS_YAML]);

  it('loads every definition unchanged', () => {
    assert.deepEqual(defs.skipped, []);
    // the file's 38 definitions, none duplicated
    assert.equal(defs.definitions.length, 38);
    // Ceilometer keeps them bottom-up
    assert.equal(defs.definitions[0].name, 'manila.share.size');
    assert.equal(defs.definitions.at(-1)!.name, 'image.size');
  });

  for (const file of CORPUS_FILES) {
    it(`gives Ceilometer's samples for ${file}`, () => {
      const corpus = readCorpus(file);
      const expected = readExpected('expected', file) as Record<string, unknown>[][];
      assert.equal(corpus.length, expected.length);
      corpus.forEach((raw, i) => {
        const got = JSON.parse(JSON.stringify(tallySamples(defs, raw))) as unknown;
        assert.deepEqual(got, withoutMessageId(expected[i]), `${file} #${i}`);
      });
    });
  }

  it('agrees with Ceilometer run live on the whole corpus', requires('python3-ceilometer'), (t) => {
    const { total, differ, stale } = agreementWithOracle(
      'ceilometer_meters.py',
      { meters_yaml: METERS_YAML },
      'expected',
      (raw) => JSON.parse(JSON.stringify(tallySamples(defs, raw))) as unknown,
      (samples) => withoutMessageId(samples as Record<string, unknown>[]),
    );
    reportCompat(t, 'ceilometer-meters', total - differ.length, total);
    assert.deepEqual(differ, [], 'notifications whose samples differ from Ceilometer\'s');
    assert.deepEqual(stale, [], 'corpus files whose recorded oracle output is stale');
  });
});
