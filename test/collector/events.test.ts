/**
 * Event definitions against Ceilometer 19 itself: the fixture
 * event_definitions.yaml makes, of every notification in the corpus, the event
 * Ceilometer's converter makes (recorded in expected-events/, and run live
 * when python3-ceilometer is installed).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CORPUS_FILES, checkRecordedOracle, readCorpus, readExpected } from '../helpers/notification-corpus.js';
import { EventBuildError, EventDefinitions } from '../../collector/events/event-definitions.js';
import { PoisonMessage, toNotification } from '../../collector/notification.js';
import { eventPayload } from '../../alarms/evaluator/event-alarms.js';

const EVENTS_YAML = '/work/shared/fixtures/ceilometer/event_definitions.yaml';
const hasCeilometer = existsSync('/usr/lib/python3/dist-packages/ceilometer/event/converter.py');

/** Ceilometer's Trait dtype numbers. */
/** Ceilometer's Event.serialize(): the form events travel in (to Aodh, and from the oracle). */
const serialize = eventPayload;

function tallyEvent(defs: EventDefinitions, raw: unknown): unknown {
  try {
    const e = defs.event(toNotification(raw));
    return e === null ? null : serialize(e);
  } catch (err) {
    if (err instanceof EventBuildError || err instanceof PoisonMessage) return null;
    throw err;
  }
}

describe('event definitions: the fixture event_definitions.yaml', () => {
  const defs = EventDefinitions.load(EVENTS_YAML);

  for (const file of CORPUS_FILES) {
    it(`gives Ceilometer's events for ${file}`, () => {
      const corpus = readCorpus(file);
      const expected = readExpected('expected-events', file);
      assert.equal(corpus.length, expected.length);
      corpus.forEach((raw, i) => assert.deepEqual(tallyEvent(defs, raw), expected[i], `${file} #${i}`));
    });
  }

  it('agrees with Ceilometer run live on the whole corpus', { skip: hasCeilometer ? false : 'python3-ceilometer is not installed' }, () => {
    checkRecordedOracle('ceilometer_events.py', { event_definitions_yaml: EVENTS_YAML }, 'expected-events');
  });
});
