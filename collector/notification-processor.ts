/**
 * Bodies from the bus (or HTTP) into the store, a batch at a time: each
 * notification becomes samples (meter definitions, or a polling agent's
 * samples as they are) and an event (event definitions); events are stored,
 * resources created or changed, and all measures of the batch written in one
 * durable LMDB transaction together with the messages' ids. A message seen
 * again (redelivered after a crash between that write and its
 * acknowledgement) is recognised by its id and not counted twice.
 */
import type { Engine, MeasureBatch } from '../tsdb/engine.js';
import { MetricNotFoundError } from '../tsdb/errors.js';
import type { Event } from '../tsdb/index/events.js';
import type { Index } from '../tsdb/index/index.js';
import { EventBuildError, type EventDefinitions } from './events/event-definitions.js';
import { type GnocchiPublisher, StagedMeasures, type TaggedSample } from './gnocchi/publisher.js';
import { type MeterDefinitions, SampleBuildError } from './meters/meter-definitions.js';
import { pollingSamples } from './meters/polling-samples.js';
import { type Notification, PoisonMessage, toNotification } from './notification.js';

/** What became of one message: null when stored (or already stored), else why it goes to the dead-letter queue. */
export type MessageOutcome = null | { readonly deadLetter: string };

export interface ProcessorStats {
  messages: number;
  duplicates: number;
  samples: number;
  /** samples Ceilometer's publisher would skip too (no resource definition, no numeric volume) */
  skippedSamples: number;
  measures: number;
  events: number;
  deadLettered: number;
}

export interface ProcessorDeps {
  readonly engine: Engine;
  readonly index: Index;
  readonly meters: MeterDefinitions;
  readonly events: EventDefinitions;
  readonly publisher: GnocchiPublisher;
  /** sees the new events of a batch once they are durable, before the batch is acknowledged (event alarms) */
  readonly onEvents?: (events: readonly Event[]) => Promise<void>;
}

/** The idempotency key of a message's write. */
const keyOf = (messageId: string): string => `notification:${messageId}`;

export class NotificationProcessor {
  readonly stats: ProcessorStats = { messages: 0, duplicates: 0, samples: 0, skippedSamples: 0, measures: 0, events: 0, deadLettered: 0 };

  constructor(private readonly deps: ProcessorDeps) {}

  /** Parses bodies (Buffers or text of JSON, or parsed JSON) into notifications; a body that is none is poison. */
  static parse(body: unknown): Notification {
    let doc = body;
    if (Buffer.isBuffer(body) || typeof body === 'string') {
      try {
        doc = JSON.parse(body.toString());
      } catch (err) {
        throw new PoisonMessage(`not JSON: ${(err as Error).message}`);
      }
    }
    return toNotification(doc);
  }

  /** One outcome per body, in order, once everything storable is durable; `duplicate` hears of each body stored before (by its position). */
  async process(bodies: readonly unknown[], duplicate?: (index: number) => void): Promise<MessageOutcome[]> {
    const { engine, index, meters, events: eventDefs, publisher } = this.deps;
    const outcomes: MessageOutcome[] = bodies.map(() => null);
    const fail = (i: number, reason: string): void => {
      if (outcomes[i] === null) outcomes[i] = { deadLetter: reason };
    };

    const notifications: (Notification | null)[] = bodies.map((b, i) => {
      try {
        return NotificationProcessor.parse(b);
      } catch (err) {
        if (!(err instanceof PoisonMessage)) throw err;
        fail(i, err.message);
        return null;
      }
    });
    const written = engine.writtenKeys(notifications.flatMap((n) => (n ? [keyOf(n.message.metadata.message_id)] : [])));
    const keys: string[] = [];
    const seen = new Set<string>();
    // per message, in order: its event, its samples (Ceilometer's agent runs the event pipeline first)
    const work: { event: Event | null; samples: TaggedSample[] }[] = [];
    notifications.forEach((n, i) => {
      if (!n) return;
      const key = keyOf(n.message.metadata.message_id);
      if (written.has(key) || seen.has(key)) {
        this.stats.duplicates++;
        duplicate?.(i);
        return;
      }
      seen.add(key);
      keys.push(key);
      const item: { event: Event | null; samples: TaggedSample[] } = { event: null, samples: [] };
      work.push(item);
      try {
        const made = n.message.event_type === 'telemetry.polling' ? pollingSamples(n) : meters.samples(n);
        for (const sample of made) item.samples.push({ sample, tag: i });
      } catch (err) {
        if (!(err instanceof SampleBuildError)) throw err;
        fail(i, `samples of ${n.message.event_type}: ${err.message}`);
      }
      try {
        item.event = eventDefs.event(n);
      } catch (err) {
        if (!(err instanceof EventBuildError)) throw err;
        fail(i, `event of ${n.message.event_type}: ${err.message}`);
      }
    });

    this.stats.events += await index.events.add(work.flatMap((w) => (w.event ? [w.event] : [])));
    // resources change message by message, as each notification is published on its own in
    // Ceilometer (one revision per change, the event's changes before its samples'); all of it
    // before the write that records the messages as done: a crash in between replays them
    const stage = async (): Promise<{ staged: StagedMeasures; batches: MeasureBatch[] }> => {
      const staged = new StagedMeasures();
      for (const w of work) {
        if (w.event) await publisher.applyEvents([w.event]);
        if (w.samples.length > 0) await publisher.stage(w.samples, staged);
      }
      return { staged, batches: await publisher.batches(staged) };
    };
    let prepared = await stage();
    try {
      await engine.addMeasures(prepared.batches, keys);
    } catch (err) {
      if (!(err instanceof MetricNotFoundError)) throw err;
      // a metric was deleted through the API since it was looked up: look again, once
      publisher.forget();
      prepared = await stage();
      await engine.addMeasures(prepared.batches, keys);
    }
    for (const [i, reason] of prepared.staged.failures) fail(i, reason);
    if (this.deps.onEvents) await this.deps.onEvents(work.flatMap((w) => (w.event ? [w.event] : [])));
    this.stats.samples += work.reduce((n, w) => n + w.samples.length, 0);
    this.stats.skippedSamples += prepared.staged.skipped;
    for (const b of prepared.batches) this.stats.measures += b.timestamps.length;
    // counted once done: a batch that fails is delivered again and counted then
    this.stats.messages += bodies.length;
    this.stats.deadLettered += outcomes.filter((o) => o !== null).length;
    return outcomes;
  }
}
