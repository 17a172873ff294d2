/**
 * The series one poll of one source gives, by family: what the name
 * mappings write into. A series written twice in a poll keeps its first
 * place and takes the last value, as a prometheus_client Gauge set twice.
 */
import type { AgentSample } from '../sample.js';
import type { FamilySpec, SeriesByKey } from './family.js';
import { type Labels, seriesKey } from './prom-text.js';

export interface SeriesSink {
  add(family: FamilySpec, labels: Labels, value: number): void;
  /** a sample whose meter no series can be written for */
  unwritable(meter: string): void;
}

/** A name mapping: the series of a source's poll, or (samples null) of its failure. */
export interface Mapping {
  write(source: string, samples: readonly AgentSample[] | null, sink: SeriesSink): void;
}

export class PollSeries implements SeriesSink {
  readonly families = new Map<string, { readonly spec: FamilySpec; readonly series: SeriesByKey }>();
  readonly unwritableMeters = new Set<string>();
  count = 0;

  add(family: FamilySpec, labels: Labels, value: number): void {
    let f = this.families.get(family.name);
    if (!f) {
      f = { spec: family, series: new Map() };
      this.families.set(family.name, f);
    }
    const key = seriesKey(family.name, labels);
    const known = f.series.get(key);
    if (known) known.value = value;
    else {
      f.series.set(key, { labels, value });
      this.count++;
    }
  }

  unwritable(meter: string): void {
    this.unwritableMeters.add(meter);
  }
}
