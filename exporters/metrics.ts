/**
 * The process's Prometheus registry, served at GET /metrics: Node.js's and
 * the process's default metrics, and tally's account of where its memory
 * goes: `tally_memory_bytes{part}` (read when scraped) and
 * `tally_cache_entries{cache}`. The parts and caches are given by whoever
 * assembles the process (cli/), each a function that reads it now.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { residentSet } from './process-memory.js';

/** Reads a figure now: bytes for a memory part, entries for a cache. */
export type Reading = () => number | Promise<number>;

export interface ProcessMetrics {
  readonly registry: Registry;
  /** a part of the memory, in bytes */
  memoryPart(part: string, read: Reading): void;
  /** a cache's size, in entries */
  cache(name: string, read: Reading): void;
}

export function processMetrics(): ProcessMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const parts = new Map<string, Reading>([
    ['rss', () => residentSet().rss],
    ['rss_anonymous', () => residentSet().anon],
    ['rss_file', () => residentSet().file],
  ]);
  const caches = new Map<string, Reading>();
  const gauge = (name: string, help: string, label: string, readings: Map<string, Reading>): void =>
    void new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        this.reset();
        // a reading that fails (a worker stopping) leaves its part out of this scrape
        const values = await Promise.all([...readings].map(async ([key, read]) => [key, await Promise.resolve(read()).catch(() => null)] as const));
        for (const [key, value] of values) if (value !== null) this.set({ [label]: key }, value);
      },
    });
  gauge('tally_memory_bytes', 'Where the process memory goes, by part (resident where Linux tells, else allocated)', 'part', parts);
  gauge('tally_cache_entries', 'Entries held by each bounded cache', 'cache', caches);
  return {
    registry,
    memoryPart: (part, read) => void parts.set(part, read),
    cache: (name, read) => void caches.set(name, read),
  };
}
