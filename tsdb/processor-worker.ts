/**
 * Background aggregation on its own thread: opens the same store and runs a
 * sweep every interval, so ingest and aggregation use separate cores. Started
 * by Engine.startProcessor({ thread: true }); 'stop' ends it after the sweep
 * in progress.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { Engine, type ThreadMemory } from './engine.js';

interface ProcessorWorkerData {
  readonly path: string;
  readonly intervalMs: number;
  readonly metricCacheSize: number;
}

const { path, intervalMs, metricCacheSize } = workerData as ProcessorWorkerData;
/** incoming entries (a metric's part of one accepted request each) that make the next sweep start without waiting */
const BACKLOG_SWEEP_AT_ONCE = 256;
const port = parentPort!;
const engine = Engine.open({ path, metricCacheSize });
let stopping = false;
let wake: (() => void) | null = null;
port.on('message', (msg: unknown) => {
  if (msg === 'stop') {
    stopping = true;
    wake?.();
  } else if (msg === 'sweep') {
    wake?.();
  } else if (msg === 'memory') {
    const heap = getHeapStatistics();
    const memory: ThreadMemory = { heapUsed: heap.used_heap_size, heapTotal: heap.total_heap_size, external: heap.external_memory, caches: engine.caches() };
    port.postMessage({ memory });
  }
});
while (!stopping) {
  try {
    // Modest transactions: each commit is synced, and ingest waits for the write lock meanwhile.
    await engine.processSweep(128);
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
  // the main thread's scrape reads it: one small message a sweep
  port.postMessage({ progress: engine.progress() });
  if (stopping) break;
  // a backlog that built up during the sweep is swept at once; the interval is for a quiet store
  if (engine.pendingEntries() >= BACKLOG_SWEEP_AT_ONCE) continue;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, intervalMs);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  wake = null;
}
await engine.close();
port.postMessage('stopped');
