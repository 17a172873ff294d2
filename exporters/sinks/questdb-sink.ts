/**
 * The QuestDB sink: measures as InfluxDB line protocol (ILP, text, version 1)
 * rows sent over HTTP by QuestDB's own client transport (`questdb_url` is the
 * client's configuration string, e.g. `http::addr=127.0.0.1:9000;`, parsed
 * and checked by the client: address, TLS, auth, timeouts). One row per
 * measure: the table and tags of series-of-metric.ts, the field `value`, the
 * measure's own time.
 *
 * The rows are written here rather than through the client's Sender: its
 * per-call checks cost ~10 µs a row with five tags (bench/sinks.ts), as much
 * as ingesting the measure; a series' table and tags are escaped once per
 * batch here, and each row adds its value and time.
 */
import { SenderOptions, type SenderTransport, createTransport } from '@questdb/nodejs-client';
import type { MirrorEntry } from '../../tsdb/mirror-log.js';
import type { MirroredMetric } from './metric-directory.js';
import { ilpSeriesOf } from './series-of-metric.js';
import type { SendOutcome, SinkSender } from './sink-runner.js';

/**
 * The client's options from `questdb_url`, with what the sink depends on: HTTP
 * (a send is acknowledged), text rows (protocol_version 1, which every
 * QuestDB and any ILP receiver takes), and Node.js's own HTTP transport
 * unless the string says otherwise: the client's default transport retries a
 * refused connection without end, so a send to a QuestDB that is down would
 * never fail, and the sink could neither report it nor stop.
 */
export function questdbClientOptions(config: string): SenderOptions {
  const trimmed = config.trim();
  if (!/^https?::/.test(trimmed)) {
    throw new Error(`questdb_url: expected QuestDB's client configuration string over HTTP, such as http::addr=127.0.0.1:9000; (got ${JSON.stringify(redactedClientConfig(config))})`);
  }
  const options = trimmed.slice(trimmed.indexOf('::') + 2);
  const value = (key: string): string | undefined => new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*([^;]*)`).exec(options)?.[1]?.trim();
  const version = value('protocol_version');
  if (version !== undefined && version !== '1' && version !== 'auto') {
    throw new Error(`questdb_url: protocol_version ${version}: the sink writes text rows, protocol_version 1 (leave it out)`);
  }
  let full = trimmed.endsWith(';') ? trimmed : `${trimmed};`;
  if (version === undefined || version === 'auto') full = full.replace(/(^|;)\s*protocol_version\s*=[^;]*;/, '$1') + 'protocol_version=1;';
  if (value('stdlib_http') === undefined) full += 'stdlib_http=on;';
  try {
    return new SenderOptions(full);
  } catch (err) {
    throw new Error(`questdb_url: ${(err as Error).message}`);
  }
}

/** The configuration string without its secrets, for logs. */
export function redactedClientConfig(config: string): string {
  return config.replace(/((?:password|token|token_x|token_y)\s*=)[^;]*/g, '$1***');
}

/** ILP's escapes: in a table name commas and spaces, in tag keys and values also `=`. */
const escapeTable = (s: string): string => s.replace(/[\\, ]/g, '\\$&');
const escapeTag = (s: string): string => s.replace(/[\\,= ]/g, '\\$&').replace(/\n/g, '\\n');

export function questdbSender(config: string): SinkSender {
  const options = questdbClientOptions(config);
  let transport: SenderTransport | null = null;
  /** a series' row start, `table,tag=value,… value=`, made once per metric seen */
  const prefixes = new WeakMap<MirroredMetric, string>();
  const prefixOf = (m: MirroredMetric): string => {
    let p = prefixes.get(m);
    if (p === undefined) {
      const { table, tags } = ilpSeriesOf(m);
      p = `${escapeTable(table)}${tags.map(([k, v]) => `,${escapeTag(k)}=${escapeTag(v)}`).join('')} value=`;
      prefixes.set(m, p);
    }
    return p;
  };
  return {
    async send(entries: readonly MirrorEntry[], metrics: ReadonlyMap<string, MirroredMetric>): Promise<SendOutcome> {
      transport ??= createTransport(options);
      const rows: string[] = [];
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
          const prefix = prefixOf(metric);
          // nanoseconds: µs as digits then 000 (µs·1000 is past 2^53)
          for (let i = from; i < to; i++) rows.push(`${prefix}${block.values[i]} ${block.ts[i]}000\n`);
          sent += to - from;
        }
      }
      if (rows.length > 0) await transport.send(Buffer.from(rows.join(''), 'utf8'));
      return { sent, skipped, rejected: 0 };
    },
    async close(): Promise<void> {
      await transport?.close();
      transport = null;
    },
  };
}
