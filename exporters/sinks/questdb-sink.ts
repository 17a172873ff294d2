/**
 * The QuestDB sink: measures as InfluxDB line protocol rows, sent over HTTP
 * with QuestDB's own client (`questdb_url` is the client's configuration
 * string, e.g. `http::addr=127.0.0.1:9000;`). One row per measure: the table
 * and tags of series-of-metric.ts, the field `value`, the measure's own time.
 * The client is made at the first send (and again after a failure), so a
 * QuestDB that is down when tally starts only delays delivery.
 */
import { Sender } from '@questdb/nodejs-client';
import type { MirrorEntry } from '../../tsdb/mirror-log.js';
import type { MirroredMetric } from './metric-directory.js';
import { type IlpSeries, ilpSeriesOf } from './series-of-metric.js';
import type { SendOutcome, SinkSender } from './sink-runner.js';

/**
 * The client's configuration with the settings the sink depends on: it
 * flushes once per batch itself (auto_flush off), and uses Node's own HTTP
 * transport unless told otherwise: the client's default transport retries a
 * refused connection without end, so a send to a QuestDB that is down would
 * never fail, and the sink could neither report it nor stop.
 */
export function questdbClientConfig(config: string): string {
  const trimmed = config.trim();
  if (!/^https?::/.test(trimmed)) {
    throw new Error(`questdb_url: expected QuestDB's client configuration string over HTTP, such as http::addr=127.0.0.1:9000; (got ${JSON.stringify(config)})`);
  }
  const options = trimmed.slice(trimmed.indexOf('::') + 2);
  const has = (key: string): boolean => new RegExp(`(^|;)\\s*${key}\\s*=`).test(options);
  if (has('auto_flush')) throw new Error('questdb_url: leave auto_flush out: the sink flushes each batch itself, and moves its cursor only after QuestDB took it');
  return `${trimmed.endsWith(';') ? trimmed : `${trimmed};`}auto_flush=off;${has('stdlib_http') ? '' : 'stdlib_http=on;'}`;
}

/** The configuration string without its secrets, for logs. */
export function redactedClientConfig(config: string): string {
  return config.replace(/((?:password|token|token_x|token_y)\s*=)[^;]*/g, '$1***');
}

export function questdbSender(config: string): SinkSender {
  const clientConfig = questdbClientConfig(config);
  let sender: Sender | null = null;
  const rows = new WeakMap<MirroredMetric, IlpSeries>();
  return {
    async send(entries: readonly MirrorEntry[], metrics: ReadonlyMap<string, MirroredMetric>): Promise<SendOutcome> {
      sender ??= await Sender.fromConfig(clientConfig);
      const s = sender;
      s.reset();
      let sent = 0;
      let skipped = 0;
      for (const { block } of entries) {
        for (let m = 0; m < block.ids.length; m++) {
          const from = block.starts[m];
          const to = block.starts[m + 1];
          const metric = metrics.get(block.ids[m]);
          if (metric === undefined) {
            skipped += to - from;
            continue;
          }
          let series = rows.get(metric);
          if (series === undefined) rows.set(metric, (series = ilpSeriesOf(metric)));
          for (let i = from; i < to; i++) {
            s.table(series.table);
            for (const [k, v] of series.tags) s.symbol(k, v);
            s.floatColumn('value', block.values[i]);
            await s.at(block.ts[i], 'us');
          }
          sent += to - from;
        }
      }
      try {
        await s.flush();
      } catch (err) {
        sender = null;
        await s.close().catch(() => undefined);
        throw err;
      }
      return { sent, skipped, rejected: 0 };
    },
    async close(): Promise<void> {
      await sender?.close();
      sender = null;
    },
  };
}
