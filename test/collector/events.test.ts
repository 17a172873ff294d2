/**
 * Event definitions against Ceilometer 19 itself: the fixture
 * event_definitions.yaml makes, of every notification in the corpus, the event
 * Ceilometer's converter makes (recorded in expected-events/, and run live:
 * Debian's python3-ceilometer).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CEILOMETER_DEFINITIONS, CORPUS_FILES, agreementWithOracle, readCorpus, readExpected } from '../helpers/notification-corpus.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { EventBuildError, EventDefinitions } from '../../collector/events/event-definitions.js';
import { PoisonMessage, toNotification } from '../../collector/notification.js';
import { eventPayload } from '../../alarms/evaluator/event-alarms.js';

const EVENTS_YAML = join(CEILOMETER_DEFINITIONS, 'event_definitions.yaml');

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

describe("event definitions: Ceilometer's event_definitions.yaml", () => {
  const defs = EventDefinitions.load(EVENTS_YAML);

  for (const file of CORPUS_FILES) {
    it(`gives Ceilometer's events for ${file}`, () => {
      const corpus = readCorpus(file);
      const expected = readExpected('expected-events', file);
      assert.equal(corpus.length, expected.length);
      corpus.forEach((raw, i) => assert.deepEqual(tallyEvent(defs, raw), expected[i], `${file} #${i}`));
    });
  }

  it('agrees with Ceilometer run live on the whole corpus', requires('python3-ceilometer'), (t) => {
    const { total, differ, stale } = agreementWithOracle('ceilometer_events.py', { event_definitions_yaml: EVENTS_YAML }, 'expected-events', (raw) => tallyEvent(defs, raw));
    reportCompat(t, 'ceilometer-events', total - differ.length, total);
    assert.deepEqual(differ, [], 'notifications whose event differs from Ceilometer\'s');
    assert.deepEqual(stale, [], 'corpus files whose recorded oracle output is stale');
  });
});
