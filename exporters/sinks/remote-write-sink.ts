/**
 * The remote-write sink: measures as Prometheus remote write 1.0 requests
 * (a snappy-compressed protobuf WriteRequest of prompb) to any receiver
 * (Prometheus with --web.enable-remote-write-receiver, Mimir, VictoriaMetrics),
 * each metric under the series the PromQL API names it, its samples in time
 * order, milliseconds as Prometheus keeps them.
 *
 * A receiver answering 5xx or 429, or not answering, gets the same samples
 * again later. A 4xx refuses the whole request for one bad sample (Prometheus
 * rolls back a request holding a sample older than its head allows or out of
 * order): the request is halved until the samples refused are alone, and only
 * those are given up, counted as rejected (within a bound on the requests
 * this may take, past which a refused part is given up whole).
 */
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import type { Labels } from '../../promql/series-source.js';
import type { MirrorEntry } from '../../tsdb/mirror-log.js';
import type { MirroredMetric } from './metric-directory.js';
import { promqlSeriesOf } from './series-of-metric.js';
import type { SendOutcome, SinkSender } from './sink-runner.js';

/** One series' samples in one request. */
interface SeriesSamples {
  readonly labels: Labels;
  readonly ms: Float64Array;
  readonly values: Float64Array;
}

/** samples per request: small enough that halving one a receiver refuses stays cheap */
const REQUEST_SAMPLES = 5000;
/** requests a refused request may cost in halvings: finds ~4 refused samples among 5,000 exactly */
const HALVING_BUDGET = 64;

/** The body of a remote-write request: prompb.WriteRequest, snappy block format. */
export function encodeRemoteWrite(series: readonly SeriesSamples[]): Uint8Array<ArrayBuffer> {
  const w = protobuf.Writer.create();
  for (const s of series) {
    w.uint32((1 << 3) | 2).fork(); // WriteRequest.timeseries
    for (const [name, value] of s.labels) w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string(name).uint32((2 << 3) | 2).string(value).ldelim();
    for (let i = 0; i < s.ms.length; i++) w.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 1).double(s.values[i]).uint32(2 << 3).int64(s.ms[i]).ldelim();
    w.ldelim();
  }
  // snappyjs allocates a plain ArrayBuffer
  return snappy.compress(w.finish()) as Uint8Array<ArrayBuffer>;
}

/** The URL without credentials, and the Authorization its credentials make. */
function endpointOf(url: string): { url: string; headers: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`remote_write_url: expected a URL such as http://127.0.0.1:9090/api/v1/write (got ${JSON.stringify(url)})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`remote_write_url: expected http or https (got ${parsed.protocol})`);
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-protobuf',
    'Content-Encoding': 'snappy',
    'X-Prometheus-Remote-Write-Version': '0.1.0',
    'User-Agent': 'tally',
  };
  if (parsed.username !== '') {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { url: parsed.toString(), headers };
}

/** Groups the entries' measures by metric, sorted by time, cut into requests. */
function requestsOf(entries: readonly MirrorEntry[], metrics: ReadonlyMap<string, MirroredMetric>, labelsOf: (m: MirroredMetric) => Labels | null): { requests: SeriesSamples[][]; skipped: number } {
  // pass 1: how many samples each series has
  const counts = new Map<string, number>();
  let skipped = 0;
  for (const { block } of entries) {
    for (let m = 0; m < block.ids.length; m++) {
      const n = block.starts[m + 1] - block.starts[m];
      const metric = metrics.get(block.ids[m]);
      if (metric === undefined || labelsOf(metric) === null) skipped += n;
      else counts.set(block.ids[m], (counts.get(block.ids[m]) ?? 0) + n);
    }
  }
  // pass 2: each series' samples into its own arrays, in the order written
  const series = new Map<string, { labels: Labels; ms: Float64Array; values: Float64Array; n: number }>();
  for (const [id, n] of counts) series.set(id, { labels: labelsOf(metrics.get(id)!)!, ms: new Float64Array(n), values: new Float64Array(n), n: 0 });
  for (const { block } of entries) {
    for (let m = 0; m < block.ids.length; m++) {
      const s = series.get(block.ids[m]);
      if (s === undefined) continue;
      for (let i = block.starts[m]; i < block.starts[m + 1]; i++, s.n++) {
        s.ms[s.n] = Math.floor(block.ts[i] / 1000);
        s.values[s.n] = block.values[i];
      }
    }
  }
  const requests: SeriesSamples[][] = [];
  let current: SeriesSamples[] = [];
  let size = 0;
  for (const s of series.values()) {
    sortByTime(s.ms, s.values);
    for (let from = 0; from < s.ms.length; from += REQUEST_SAMPLES) {
      const to = Math.min(s.ms.length, from + REQUEST_SAMPLES);
      if (size + (to - from) > REQUEST_SAMPLES && current.length > 0) {
        requests.push(current);
        current = [];
        size = 0;
      }
      current.push({ labels: s.labels, ms: s.ms.subarray(from, to), values: s.values.subarray(from, to) });
      size += to - from;
    }
  }
  if (current.length > 0) requests.push(current);
  return { requests, skipped };
}

/** Sorts the samples by time, stably (already sorted: the usual case, nothing moves). */
function sortByTime(ms: Float64Array, values: Float64Array): void {
  let sorted = true;
  for (let i = 1; i < ms.length && sorted; i++) if (ms[i] < ms[i - 1]) sorted = false;
  if (sorted) return;
  const order = Array.from(ms.keys()).sort((a, b) => ms[a] - ms[b] || a - b);
  const t = Float64Array.from(order, (i) => ms[i]);
  const v = Float64Array.from(order, (i) => values[i]);
  ms.set(t);
  values.set(v);
}

const sampleCount = (series: readonly SeriesSamples[]): number => series.reduce((n, s) => n + s.ms.length, 0);

export function remoteWriteSender(url: string, timeoutMs = 30_000): SinkSender {
  const endpoint = endpointOf(url);
  const labelCache = new WeakMap<MirroredMetric, Labels | null>();
  const labelsOf = (m: MirroredMetric): Labels | null => {
    let labels = labelCache.get(m);
    if (labels === undefined) labelCache.set(m, (labels = promqlSeriesOf(m)));
    return labels;
  };

  /** Posts the series: true once taken, false when refused (4xx); throws when it should be sent again later. */
  const post = async (series: readonly SeriesSamples[], stop: AbortSignal): Promise<boolean> => {
    const res = await fetch(endpoint.url, { method: 'POST', headers: endpoint.headers, body: encodeRemoteWrite(series), signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]) });
    const text = await res.text();
    if (res.ok) return true;
    if (res.status >= 400 && res.status < 500 && res.status !== 429) return false;
    throw new Error(`remote write to ${endpoint.url} answered ${res.status}: ${text.slice(0, 300)}`);
  };

  /**
   * Sends the series, halving what is refused until the refused samples are
   * alone (halves in time order: a later half taken first would make the
   * earlier one out of order); returns the samples refused. `budget` bounds
   * the requests one refused request may cost: once spent (many refused
   * samples, say a backfill older than the receiver keeps), a refused part
   * is given up whole rather than halved further.
   */
  const sendHalving = async (series: readonly SeriesSamples[], budget: { requests: number }, stop: AbortSignal): Promise<number> => {
    budget.requests--;
    if (await post(series, stop)) return 0;
    if (budget.requests <= 0) return sampleCount(series);
    if (series.length > 1) {
      const half = series.length >> 1;
      return (await sendHalving(series.slice(0, half), budget, stop)) + (await sendHalving(series.slice(half), budget, stop));
    }
    const [s] = series;
    if (s.ms.length <= 1) return s.ms.length;
    const half = s.ms.length >> 1;
    const part = (from: number, to: number): SeriesSamples => ({ labels: s.labels, ms: s.ms.subarray(from, to), values: s.values.subarray(from, to) });
    return (await sendHalving([part(0, half)], budget, stop)) + (await sendHalving([part(half, s.ms.length)], budget, stop));
  };

  return {
    async send(entries: readonly MirrorEntry[], metrics: ReadonlyMap<string, MirroredMetric>, stop: AbortSignal): Promise<SendOutcome> {
      const { requests, skipped } = requestsOf(entries, metrics, labelsOf);
      let sent = 0;
      let rejected = 0;
      for (const request of requests) {
        const refused = await sendHalving(request, { requests: HALVING_BUDGET }, stop);
        rejected += refused;
        sent += sampleCount(request) - refused;
      }
      return { sent, skipped, rejected };
    },
    async close(): Promise<void> {},
  };
}
