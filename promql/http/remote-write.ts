/**
 * `POST /api/v1/write`: Prometheus's own remote-write receiver path. Unlike
 * Gnocchi's `/v1/prometheus/write` (tsdb/api/routes/prometheus.ts), which
 * names a metric by `__name__` alone and so keeps one series per name, every
 * series keeps its name and labels here: it lands where tally's scraper files
 * the same series (collector/prometheus/series-mapping.ts), so a Prometheus
 * remote-writing here and tally scraping the same target fill the same
 * series, and PromQL reads them back as they were written. Answered 204 once
 * the samples are durable, as Prometheus answers.
 */
import type { FastifyInstance } from 'fastify';
import { metricNameOf, resourceOfSeries } from '../../collector/prometheus/series-mapping.js';
import type { Engine } from '../../tsdb/engine.js';
import type { Index } from '../../tsdb/index/index.js';
import { HttpError } from '../../tsdb/api/http-error.js';
import { type MeasuresByName, type Upsert, writeByResource } from '../../tsdb/api/resource-upsert.js';
import { decodeWriteRequest, measuresOf } from '../../tsdb/api/routes/prometheus.js';

export function registerRemoteWrite(app: FastifyInstance, deps: { readonly engine: Engine; readonly index: Index }): void {
  app.post('/api/v1/write', async (request, reply) => {
    const byResource = new Map<string, { upsert: Omit<Upsert, 'metricNames'>; measures: MeasuresByName }>();
    for (const ts of decodeWriteRequest(request.body)) {
      if (ts.samples.length === 0) continue;
      const labels = new Map(ts.labels.map((l) => [l.name, l.value]));
      if (!labels.get('__name__')) throw new HttpError(400, { cause: 'Invalid input', reason: 'a series without __name__' });
      const upsert = resourceOfSeries(labels, request.caller.creator);
      let entry = byResource.get(upsert.id);
      if (!entry) byResource.set(upsert.id, (entry = { upsert, measures: new Map() }));
      const name = metricNameOf(labels);
      const measures = measuresOf(ts);
      const known = entry.measures.get(name);
      if (known) {
        known.timestamps.push(...measures.timestamps);
        known.values.push(...measures.values);
      } else entry.measures.set(name, measures);
    }
    await writeByResource(deps.engine, deps.index, request.caller, byResource.values());
    return reply.code(204).send();
  });
}
