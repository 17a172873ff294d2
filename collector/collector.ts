/**
 * The collector as a service: definition files loaded, resource types and
 * archive policies set up, one processor fed by the bus (when a broker is
 * configured) and by HTTP, one batch at a time.
 */
import type { Event } from '../tsdb/index/events.js';
import type { Engine } from '../tsdb/engine.js';
import type { Index } from '../tsdb/index/index.js';
import { type ConsumerStats, NotificationConsumer, type NotificationConsumerOptions } from './amqp/consumer.js';
import { EventDefinitions } from './events/event-definitions.js';
import { GnocchiPublisher } from './gnocchi/publisher.js';
import { loadResourceDefinitions } from './gnocchi/resource-definitions.js';
import { MeterDefinitions } from './meters/meter-definitions.js';
import { type MessageOutcome, NotificationProcessor, type ProcessorStats } from './notification-processor.js';

export interface CollectorOptions {
  readonly meterDefinitions: readonly string[];
  readonly eventDefinitions: string;
  /** gnocchi_resources.yaml files, read in order as one */
  readonly gnocchiResources: string | readonly string[];
  /** who the collector writes as (the creator of its resources and metrics) */
  readonly creator: string;
  /** RabbitMQ; none: HTTP ingest only */
  readonly amqp?: Pick<NotificationConsumerOptions, 'exchanges' | 'topics' | 'priorities' | 'durable' | 'prefetch' | 'batchSize' | 'deadLetterQueue'> & {
    readonly url: string;
  };
  /** resources remembered as written, with their UUIDs (default DEFAULT_RESOURCE_CACHE_SIZE) */
  readonly resourceCacheSize?: number;
  /** sees new events once they are durable, before their messages are acknowledged (event alarms) */
  readonly onEvents?: (events: readonly Event[]) => Promise<void>;
  log(line: string): void;
}

/** What became of the notifications of one source (a queue, or HTTP) since start. */
export interface NotificationCounts {
  /** handed to processing (a batch delivered again after a failure counts again) */
  received: number;
  stored: number;
  deadLettered: number;
  /** stored before (a redelivery), dropped */
  duplicates: number;
}

/** the source of notifications posted over HTTP */
export const HTTP_SOURCE = 'http';

export class Collector {
  private queue: Promise<unknown> = Promise.resolve();
  private consumer: NotificationConsumer | null = null;
  private readonly counts = new Map<string, NotificationCounts>();

  private constructor(
    private readonly processor: NotificationProcessor,
    readonly skippedDefinitions: readonly string[],
  ) {}

  static async start(engine: Engine, index: Index, o: CollectorOptions): Promise<Collector> {
    const meters = MeterDefinitions.load(o.meterDefinitions);
    for (const s of meters.skipped) o.log(`collector: meter definition skipped: ${s}`);
    const events = EventDefinitions.load(o.eventDefinitions);
    const publisher = new GnocchiPublisher(engine, index, loadResourceDefinitions(o.gnocchiResources), o.creator, { warn: o.log }, o.resourceCacheSize);
    const { createdPolicies, changedTypes } = await publisher.setup();
    if (createdPolicies.length + changedTypes.length > 0) {
      o.log(`collector: created ${[...createdPolicies.map((p) => `archive policy ${p}`), ...changedTypes.map((t) => `resource type ${t}`)].join(', ')}`);
    }
    const collector = new Collector(new NotificationProcessor({ engine, index, meters, events, publisher, onEvents: o.onEvents }), meters.skipped);
    collector.countsOf(HTTP_SOURCE);
    if (o.amqp) {
      const { url, ...rest } = o.amqp;
      const consumer = new NotificationConsumer((messages) => collector.process(messages.map((m) => m.body), messages.map((m) => m.queue)), {
        url,
        ...rest,
        log: o.log,
      });
      collector.consumer = consumer;
      // every queue has its series from the start, so that rates over them are defined
      for (const q of consumer.queues) collector.countsOf(q);
      // without a reachable broker the consumer keeps retrying in the background: start serving anyway
      collector.consumer.start().catch((err: unknown) => o.log(`collector: RabbitMQ consumer failed: ${String(err)}`));
    }
    return collector;
  }

  /** Processes bodies one batch at a time (the bus and HTTP share the processor); `sources`: each body's queue, or one for all. */
  process(bodies: readonly unknown[], sources: string | readonly string[] = HTTP_SOURCE): Promise<MessageOutcome[]> {
    const sourceOf = (i: number): string => (typeof sources === 'string' ? sources : sources[i] ?? '');
    bodies.forEach((_, i) => this.countsOf(sourceOf(i)).received++);
    const run = this.queue.then(async () => {
      const duplicates = new Set<number>();
      const outcomes = await this.processor.process(bodies, (i) => duplicates.add(i));
      outcomes.forEach((o, i) => {
        const c = this.countsOf(sourceOf(i));
        if (o !== null) c.deadLettered++;
        else if (duplicates.has(i)) c.duplicates++;
        else c.stored++;
      });
      return outcomes;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private countsOf(source: string): NotificationCounts {
    let c = this.counts.get(source);
    if (c === undefined) this.counts.set(source, (c = { received: 0, stored: 0, deadLettered: 0, duplicates: 0 }));
    return c;
  }

  /** Per source (a queue's name, or HTTP_SOURCE): what became of its notifications. */
  notificationCounts(): ReadonlyMap<string, Readonly<NotificationCounts>> {
    return this.counts;
  }

  /** Whether a broker is configured (amqp_url). */
  get consumesBus(): boolean {
    return this.consumer !== null;
  }

  stats(): { processor: ProcessorStats; bus: ConsumerStats | null } {
    return { processor: { ...this.processor.stats }, bus: this.consumer?.stats() ?? null };
  }

  /** Stops consuming; the batch in hand is finished and acknowledged first. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.queue;
  }
}
