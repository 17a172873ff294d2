/**
 * Counters and gauges whose values their owner keeps (plain numbers it
 * counts anyway) and the registry reads when scraped: nothing on the hot
 * path but the owner's own increment. A reading that fails leaves the
 * family empty for that scrape.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** A sample's labels (prom-client's own shape, which it does not export). */
export type LabelValues<L extends string> = Partial<Record<L, string | number>>;

/** One sample: its labels and value. */
export type Reading<L extends string> = readonly [labels: LabelValues<L>, value: number];

/** Reads a family's samples now. */
export type ReadAll<L extends string> = () => Iterable<Reading<L>> | Promise<Iterable<Reading<L>>>;

export interface ReadMetric<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly read: ReadAll<L>;
}

async function readings<L extends string>(read: ReadAll<L>): Promise<Iterable<Reading<L>>> {
  try {
    return await read();
  } catch {
    return [];
  }
}

/** A counter whose totals its owner keeps: `read` gives the totals since the process started. */
export function counterReadWhenScraped<L extends string>(registry: Registry, m: ReadMetric<L>): Counter<L> {
  return new Counter<L>({
    name: m.name,
    help: m.help,
    labelNames: m.labelNames ?? [],
    registers: [registry],
    async collect() {
      const values = await readings(m.read);
      this.reset();
      for (const [labels, value] of values) this.inc(labels, value);
    },
  });
}

/** A gauge read when scraped. */
export function gaugeReadWhenScraped<L extends string>(registry: Registry, m: ReadMetric<L>): Gauge<L> {
  return new Gauge<L>({
    name: m.name,
    help: m.help,
    labelNames: m.labelNames ?? [],
    registers: [registry],
    async collect() {
      const values = await readings(m.read);
      this.reset();
      for (const [labels, value] of values) this.set(labels, value);
    },
  });
}

/** One unlabelled sample. */
export const single = (value: number): Reading<never>[] => [[{}, value]];
