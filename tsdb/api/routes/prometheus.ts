/**
 * `POST /v1/prometheus/write`: Prometheus remote write (a snappy-compressed
 * protobuf WriteRequest), as Gnocchi takes it. Each series' `job` and
 * `instance` labels name a resource of type `prometheus` ("job@instance"),
 * created with that type on first write; `__name__` names the metric.
 * NaN samples are skipped: unlike Gnocchi, the store keeps numbers only.
 */
import type { FastifyInstance } from 'fastify';
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import type { ApiDeps } from '../app.js';
import { HttpError } from '../http-error.js';
import { resourceUuid } from '../resource-id.js';
import { writeByResource } from '../resource-upsert.js';

/** prometheus/prompb remote.proto, the messages remote write sends. */
const WriteRequest = protobuf.Root.fromJSON({
  nested: {
    Sample: { fields: { value: { type: 'double', id: 1 }, timestamp_ms: { type: 'int64', id: 2 } } },
    LabelPair: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    TimeSeries: { fields: { labels: { rule: 'repeated', type: 'LabelPair', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } } },
    WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
  },
}).lookupType('WriteRequest');

export interface DecodedSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp_ms: number | { toNumber(): number } }[];
}

/** The series of a remote-write request body (snappy block format around a protobuf WriteRequest). */
export function decodeWriteRequest(body: unknown): DecodedSeries[] {
  if (!Buffer.isBuffer(body)) throw new HttpError(415);
  try {
    return (WriteRequest.decode(snappy.uncompress(body)) as unknown as { timeseries: DecodedSeries[] }).timeseries;
  } catch (err) {
    throw new HttpError(400, { cause: 'Unable to decode body', reason: String((err as Error).message) });
  }
}

/** A remote-write request body: what a Prometheus sends (benches and tests write with it). */
export function encodeWriteRequest(series: readonly { readonly labels: readonly { name: string; value: string }[]; readonly samples: readonly { value: number; timestamp_ms: number }[] }[]): Buffer {
  return Buffer.from(snappy.compress(WriteRequest.encode(WriteRequest.fromObject({ timeseries: series })).finish()));
}

/** A series' samples as measures (µs); NaN is Prometheus' "no value" (stale markers, empty summaries), and the store keeps numbers only. */
export function measuresOf(ts: DecodedSeries): { timestamps: number[]; values: number[] } {
  const measures = { timestamps: [] as number[], values: [] as number[] };
  for (const s of ts.samples) {
    if (Number.isNaN(s.value)) continue;
    const ms = typeof s.timestamp_ms === 'number' ? s.timestamp_ms : s.timestamp_ms.toNumber();
    measures.timestamps.push(ms * 1000);
    measures.values.push(s.value);
  }
  return measures;
}

const PROMETHEUS_TYPE = {
  instance: { type: 'string', min_length: 1, max_length: 512, required: true },
  job: { type: 'string', min_length: 1, max_length: 512, required: true },
} as const;

export async function prometheusRoutes(app: FastifyInstance, { engine, index }: ApiDeps): Promise<void> {
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/v1/prometheus/write', async (request, reply) => {
    const series = decodeWriteRequest(request.body);
    // "job@instance" → metric name → measures
    const byResource = new Map<string, { job: string; instance: string; metrics: Map<string, { timestamps: number[]; values: number[] }> }>();
    for (const ts of series) {
      if (ts.samples.length === 0) continue;
      const labels = new Map(ts.labels.map((l) => [l.name, l.value]));
      const job = labels.get('job') ?? 'none';
      const instance = labels.get('instance') ?? 'none';
      const name = labels.get('__name__');
      if (name === undefined) throw new HttpError(400, { cause: 'Invalid input', reason: 'a series without __name__' });
      const key = `${job}@${instance}`;
      let entry = byResource.get(key);
      if (!entry) byResource.set(key, (entry = { job, instance, metrics: new Map() }));
      // as Gnocchi: the last series of a name in a request wins
      entry.metrics.set(name, measuresOf(ts));
    }
    await writeByResource(
      engine,
      index,
      request.caller,
      [...byResource].map(([originalId, { job, instance, metrics }]) => ({
        upsert: {
          id: resourceUuid(originalId, request.caller.creator),
          originalId,
          type: 'prometheus',
          typeAttributes: PROMETHEUS_TYPE,
          attributes: { job, instance },
        },
        measures: metrics,
      })),
    );
    return reply.code(202).send();
  });
}
