/**
 * Runs one sink: reads the store's mirror log after the sink's cursor, sends
 * the measures, and moves the cursor only once the receiver took them, so
 * every measure is delivered at least once and, per metric, in the order it
 * was written. A receiver that fails (down, 5xx, a timeout) is retried with
 * the same measures, backing off from 1 s to 30 s; nothing is lost meanwhile,
 * up to the log's bound (`maxLogBytes`), past which the oldest writes are
 * given up and counted.
 */
import type { Engine } from '../../tsdb/engine.js';
import type { MirrorEntry } from '../../tsdb/mirror-log.js';
import type { MetricDirectory, MirroredMetric } from './metric-directory.js';

/** What a receiver made of one send. */
export interface SendOutcome {
  /** measures the receiver took */
  readonly sent: number;
  /** measures with nothing to send them as (their metric deleted, or not a series for this receiver) */
  readonly skipped: number;
  /** measures the receiver refused for good (a 4xx naming them: too old, out of order): never retried */
  readonly rejected: number;
}

/** A receiver: sends the measures of these entries, or throws when they should be sent again later. */
export interface SinkSender {
  /** `signal` aborts when the sink stops: a send in progress may give up (it is sent again at the next start) */
  send(entries: readonly MirrorEntry[], metrics: ReadonlyMap<string, MirroredMetric>, signal: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** What a sink has done since the process started, for /metrics. */
export interface SinkStats {
  readonly sent: number;
  readonly skipped: number;
  readonly rejected: number;
  /** measures given up to keep the log under its bound */
  readonly dropped: number;
  /** sends that failed and will be tried again */
  readonly failures: number;
  /** whether the last send succeeded (true until one fails) */
  readonly up: boolean;
}

export interface SinkOptions {
  readonly name: string;
  readonly engine: Engine;
  readonly directory: MetricDirectory;
  readonly sender: SinkSender;
  /** measures read from the log per send (default 20,000) */
  readonly batchMeasures?: number;
  /** the log's bound in bytes, shared by every sink */
  readonly maxLogBytes: number;
  /** pause when nothing waits, ms (default 250) */
  readonly idleMs?: number;
  readonly log: (level: 'info' | 'warn', message: string) => void;
}

export interface RunningSink {
  readonly name: string;
  stats(): SinkStats;
  /** finishes the send in progress and stops */
  stop(): Promise<void>;
}

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;

/** Starts delivering; the sink must be registered in the engine's mirror log. */
export function startSink(o: SinkOptions): RunningSink {
  const batch = o.batchMeasures ?? 20_000;
  const idleMs = o.idleMs ?? 250;
  const stats = { sent: 0, skipped: 0, rejected: 0, failures: 0, up: true };
  let stopped = false;
  const stopping = new AbortController();
  let wake: (() => void) | null = null;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => { wake = null; resolve(); }, ms);
      wake = () => { clearTimeout(timer); wake = null; resolve(); };
    });
  let retryMs = FIRST_RETRY_MS;

  const step = async (): Promise<boolean> => {
    for (const [sink, measures] of await o.engine.mirror.bound(o.maxLogBytes)) {
      o.log('warn', `sink ${sink}: the mirror log passed its bound (sink_backlog_max_bytes ${o.maxLogBytes}): ${measures} measures it had not delivered were given up`);
    }
    const after = o.engine.mirror.sinks().get(o.name);
    if (after === undefined) return false;
    const entries = o.engine.mirror.read(after, batch);
    if (entries.length === 0) return false;
    const ids = new Set<string>();
    for (const e of entries) for (const id of e.block.ids) ids.add(id);
    const outcome = await o.sender.send(entries, await o.directory.describe(ids), stopping.signal);
    await o.engine.mirror.delivered(o.name, entries[entries.length - 1].seq);
    stats.sent += outcome.sent;
    stats.skipped += outcome.skipped;
    stats.rejected += outcome.rejected;
    return true;
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        const more = await step();
        if (!stats.up) o.log('info', `sink ${o.name}: delivering again`);
        stats.up = true;
        retryMs = FIRST_RETRY_MS;
        if (!more) await pause(idleMs);
      } catch (err) {
        stats.failures++;
        if (stats.up) o.log('warn', `sink ${o.name}: send failed, retrying from ${FIRST_RETRY_MS / 1000} s up to every ${LAST_RETRY_MS / 1000} s: ${(err as Error).message}`);
        stats.up = false;
        await pause(retryMs);
        retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
      }
    }
  })();

  return {
    name: o.name,
    // what bound() gave up is counted by the log: another sink's loop may have run it
    stats: () => ({ ...stats, dropped: o.engine.mirror.dropped(o.name) }),
    stop: async () => {
      stopped = true;
      stopping.abort();
      wake?.();
      await loop;
      await o.sender.close();
    },
  };
}
