/**
 * The sinks a process runs, from its configuration: QuestDB (`questdb_url`)
 * and remote write (`remote_write_url`). Registering them in the store's
 * mirror log comes first, before any write is accepted, so that every write
 * from then on is kept until delivered; a sink no longer configured is
 * unregistered, and what only it waited for is deleted.
 */
import type { Engine } from '../../tsdb/engine.js';
import type { Index } from '../../tsdb/index/index.js';
import { MetricDirectory } from './metric-directory.js';
import { questdbClientOptions, questdbSender } from './questdb-sink.js';
import { remoteWriteSender } from './remote-write-sink.js';
import { type RunningSink, type SinkSender, startSink } from './sink-runner.js';

export interface SinkSettings {
  /** QuestDB's client configuration string; empty: no QuestDB sink */
  readonly questdbUrl: string;
  /** a remote-write receiver's URL; empty: none */
  readonly remoteWriteUrl: string;
  /** the mirror log's bound, bytes */
  readonly maxLogBytes: number;
}

/** Checks the settings without opening anything (before storage opens), and says which sinks they make. */
export function sinkSenders(s: SinkSettings): Map<string, () => SinkSender> {
  const out = new Map<string, () => SinkSender>();
  if (s.questdbUrl !== '') {
    questdbClientOptions(s.questdbUrl);
    out.set('questdb', () => questdbSender(s.questdbUrl));
  }
  if (s.remoteWriteUrl !== '') {
    remoteWriteSender(s.remoteWriteUrl);
    out.set('remote_write', () => remoteWriteSender(s.remoteWriteUrl));
  }
  if (!Number.isFinite(s.maxLogBytes) || s.maxLogBytes < 1 << 20) throw new Error(`config sink_backlog_max_bytes: expected 1048576 bytes or more, got ${s.maxLogBytes}`);
  return out;
}

export interface RunningSinks {
  readonly sinks: readonly RunningSink[];
  stop(): Promise<void>;
}

export async function startSinks(o: { settings: SinkSettings; engine: Engine; index: Index; log: (level: 'info' | 'warn', message: string) => void }): Promise<RunningSinks> {
  const senders = sinkSenders(o.settings);
  await o.engine.mirror.register([...senders.keys()]);
  const directory = new MetricDirectory(o.index);
  const sinks = [...senders].map(([name, sender]) => startSink({ name, engine: o.engine, directory, sender: sender(), maxLogBytes: o.settings.maxLogBytes, log: o.log }));
  return { sinks, stop: async () => void (await Promise.all(sinks.map((s) => s.stop()))) };
}
