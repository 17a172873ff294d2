/**
 * `POST /api/v1/read`: Prometheus remote read, so that a Prometheus can use
 * tally as remote storage (`remote_read:` in prometheus.yml). The request is
 * a snappy-compressed (block format) protobuf ReadRequest of prompb
 * (prometheus/prompb/remote.proto); the answer a ReadResponse of samples,
 * the response type every Prometheus client accepts. A request accepting only
 * streamed XOR chunks is refused, naming it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import { BadDataError } from '../errors.js';
import type { LabelMatcher, MatchType, SeriesSource } from '../series-source.js';

const root = protobuf.Root.fromJSON({
  nested: {
    Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
    Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    TimeSeries: { fields: { labels: { rule: 'repeated', type: 'Label', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } } },
    LabelMatcher: {
      fields: { type: { type: 'LabelMatcher.Type', id: 1 }, name: { type: 'string', id: 2 }, value: { type: 'string', id: 3 } },
      nested: { Type: { values: { EQ: 0, NEQ: 1, RE: 2, NRE: 3 } } },
    },
    Query: {
      fields: {
        start_timestamp_ms: { type: 'int64', id: 1 },
        end_timestamp_ms: { type: 'int64', id: 2 },
        matchers: { rule: 'repeated', type: 'LabelMatcher', id: 3 },
      },
    },
    ReadRequest: {
      fields: { queries: { rule: 'repeated', type: 'Query', id: 1 }, accepted_response_types: { rule: 'repeated', type: 'int32', id: 2 } },
    },
    QueryResult: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
    ReadResponse: { fields: { results: { rule: 'repeated', type: 'QueryResult', id: 1 } } },
  },
});
const ReadRequest = root.lookupType('ReadRequest');
const ReadResponse = root.lookupType('ReadResponse');

const MATCH_TYPES: readonly MatchType[] = ['=', '!=', '=~', '!~'];
/** prompb ReadRequest.ResponseType */
const SAMPLES = 0;

type Long = number | { toNumber(): number };
interface DecodedQuery {
  start_timestamp_ms?: Long;
  end_timestamp_ms?: Long;
  matchers?: { type?: number; name?: string; value?: string }[];
}

const num = (v: Long | undefined): number => (v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

export function registerRemoteRead(app: FastifyInstance, sourceFor: (request: FastifyRequest) => SeriesSource): void {
  app.post('/api/v1/read', async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) throw new BadDataError('remote read takes a snappy-compressed protobuf ReadRequest (Content-Type: application/x-protobuf)');
    let decoded: { queries?: DecodedQuery[]; accepted_response_types?: number[] };
    try {
      decoded = ReadRequest.toObject(ReadRequest.decode(snappy.uncompress(request.body))) as typeof decoded;
    } catch (err) {
      throw new BadDataError(`cannot decode the ReadRequest: ${(err as Error).message}`);
    }
    const accepted = decoded.accepted_response_types ?? [];
    if (accepted.length > 0 && !accepted.includes(SAMPLES)) {
      throw new BadDataError(`none of the accepted response types ${JSON.stringify(accepted)} is served: only SAMPLES (0)`);
    }
    const source = sourceFor(request);
    const results = [];
    for (const q of decoded.queries ?? []) {
      const matchers: LabelMatcher[] = (q.matchers ?? []).map((m) => ({ type: MATCH_TYPES[m.type ?? 0] ?? '=', name: m.name ?? '', value: m.value ?? '' }));
      const start = num(q.start_timestamp_ms);
      const end = num(q.end_timestamp_ms);
      const timeseries = [];
      for (const s of await source.select(matchers, start, end)) {
        const samples = [];
        for (let i = 0; i < s.timestamps.length; i++) {
          const t = s.timestamps[i];
          if (t >= start && t <= end) samples.push({ value: s.values[i], timestamp: t });
        }
        if (samples.length > 0) timeseries.push({ labels: s.labels.map(([name, value]) => ({ name, value })), samples });
      }
      results.push({ timeseries });
    }
    const body = ReadResponse.encode(ReadResponse.fromObject({ results })).finish();
    return reply
      .type('application/x-protobuf')
      .header('content-encoding', 'snappy')
      .send(Buffer.from(snappy.compress(body)));
  });
}
