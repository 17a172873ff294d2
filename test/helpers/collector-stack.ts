/** An engine, an index and the collector's processor over them, in a temp dir, with Ceilometer's definition files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventDefinitions } from '../../collector/events/event-definitions.js';
import { GnocchiPublisher } from '../../collector/gnocchi/publisher.js';
import { loadResourceDefinitions } from '../../collector/gnocchi/resource-definitions.js';
import { MeterDefinitions } from '../../collector/meters/meter-definitions.js';
import { NotificationProcessor } from '../../collector/notification-processor.js';
import { Engine } from '../../tsdb/engine.js';
import { Index } from '../../tsdb/index/index.js';
import { CEILOMETER_DEFINITIONS } from './notification-corpus.js';

export interface CollectorStack {
  readonly dir: string;
  readonly engine: Engine;
  readonly index: Index;
  readonly publisher: GnocchiPublisher;
  readonly processor: NotificationProcessor;
  readonly warnings: string[];
  close(): Promise<void>;
}

export async function openCollectorStack(indexTarget?: string): Promise<CollectorStack> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-collector-'));
  const engine = Engine.open({ path: join(dir, 'tsdb') });
  const index = await Index.open(indexTarget ?? join(dir, 'index'));
  const warnings: string[] = [];
  const publisher = new GnocchiPublisher(engine, index, loadResourceDefinitions(join(CEILOMETER_DEFINITIONS, 'gnocchi_resources.yaml')), 'ceilometer:service', {
    warn: (line) => warnings.push(line),
  });
  await publisher.setup();
  const processor = new NotificationProcessor({
    engine,
    index,
    meters: MeterDefinitions.load([join(CEILOMETER_DEFINITIONS, 'meters.yaml')]),
    events: EventDefinitions.load(join(CEILOMETER_DEFINITIONS, 'event_definitions.yaml')),
    publisher,
  });
  return {
    dir,
    engine,
    index,
    publisher,
    processor,
    warnings,
    close: async () => {
      await engine.close();
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
