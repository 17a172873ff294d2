/**
 * What a process's GET /metrics tells of its memory: the parts tally can
 * account for (V8 heaps per thread, the embedded index's WASM memory, the
 * store's mapped file) and the caches' sizes (exporters/metrics.ts).
 */
import { getHeapStatistics } from 'node:v8';
import type { FastifyInstance } from 'fastify';
import type { AlarmService } from '../alarms/alarm-service.js';
import { type ProcessMetrics, processMetrics } from '../exporters/metrics.js';
import { residentOf } from '../exporters/process-memory.js';
import type { BackgroundProcessor, Engine, ThreadMemory } from '../tsdb/engine.js';
import type { Index } from '../tsdb/index/index.js';
import type { Sql } from '../tsdb/index/sql.js';

/** Registers GET /metrics on `app`; the caller adds what its process holds. */
export function serveMetrics(app: FastifyInstance): ProcessMetrics {
  const metrics = processMetrics();
  metrics.memoryPart('v8_heap_main_thread', () => getHeapStatistics().total_heap_size);
  metrics.memoryPart('v8_external_main_thread', () => getHeapStatistics().external_memory);
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  return metrics;
}

/** The embedded database's memory: what it has allocated, and how much of it is resident. */
export function observeSql(metrics: ProcessMetrics, sql: Sql, name: string): void {
  const allocated = sql.embeddedMemory;
  if (!allocated) return;
  metrics.memoryPart(`${name}_wasm_memory_allocated`, allocated);
  // the WASM memory is the one anonymous mapping of exactly its size
  metrics.memoryPart(`${name}_wasm_memory_resident`, () => {
    const size = allocated();
    return residentOf((m) => m.path === '' && m.size === size);
  });
}

/** The store's mapped file, the aggregation thread's heap, and the caches of both engines and the index. */
export function observeStore(metrics: ProcessMetrics, engine: Engine, processor: BackgroundProcessor, index: Index): void {
  const file = engine.storeFile();
  metrics.memoryPart('lmdb_map_resident', () => residentOf((m) => m.path === file));
  // asked between sweeps: a long sweep leaves the thread out of that scrape
  const thread = async (): Promise<ThreadMemory> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const m = await Promise.race([processor.threadMemory(), new Promise<null>((resolve) => (timer = setTimeout(resolve, 1000, null)))]);
      if (m === null) throw new Error('the aggregation thread did not answer (busy, or no thread of its own)');
      return m;
    } finally {
      clearTimeout(timer);
    }
  };
  metrics.memoryPart('v8_heap_aggregation_thread', async () => (await thread()).heapTotal);
  metrics.memoryPart('v8_external_aggregation_thread', async () => (await thread()).external);
  metrics.cache('metric_states_main_thread', () => engine.caches().metricStates);
  metrics.cache('known_metrics_main_thread', () => engine.caches().knownMetrics);
  metrics.cache('write_keys', () => engine.caches().writeKeys);
  metrics.cache('metric_states_aggregation_thread', async () => (await thread()).caches.metricStates);
  metrics.cache('index_metrics', () => index.metrics.cached);
  observeSql(metrics, index.sql, 'index');
}

/** The alarms the evaluator holds. */
export function observeAlarms(metrics: ProcessMetrics, alarms: AlarmService): void {
  metrics.cache('alarm_working_set', () => alarms.evaluator.held.workingSet);
  metrics.cache('alarm_last_evaluations', () => alarms.evaluator.held.lastEvaluations);
}
