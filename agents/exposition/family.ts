/**
 * One metric family fed by several sources, each source's series replaced
 * whole by its next poll. It is a prom-client metric (a Gauge whose get()
 * answers the sources' series) so that it sits in a Registry beside other
 * metrics, and it also writes its own text, which is faster than prom-client
 * formatting every label of every series at every scrape.
 */
import { Gauge } from 'prom-client';
import { type FamilyType, type Labels, familyHeader, formatValue } from './prom-text.js';

export interface FamilySpec {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
}

export interface Series {
  readonly labels: Labels;
  value: number;
}

/** One source's series of a family, keyed by `name{labels}` (prom-text.ts seriesKey). */
export type SeriesByKey = Map<string, Series>;

type GaugeReading = Awaited<ReturnType<Gauge<string>['get']>>;

export class Family extends Gauge<string> {
  /** in the order of the sources' last updates: a series two sources share is the last update's */
  private readonly sources = new Map<string, SeriesByKey>();
  /** the text until a source's series change: scrapes come more often than polls */
  private cached: string | null = null;

  constructor(readonly spec: FamilySpec) {
    // prom-client refuses an empty help; get() answers the real one (Ceilometer's is empty)
    super({ name: spec.name, help: spec.help || spec.name, registers: [] });
  }

  get empty(): boolean {
    return this.sources.size === 0;
  }

  put(source: string, series: SeriesByKey): void {
    this.sources.delete(source);
    this.sources.set(source, series);
    this.cached = null;
  }

  drop(source: string): void {
    this.sources.delete(source);
    this.cached = null;
  }

  /** The family in the text format, without a final newline. */
  text(): string {
    if (this.cached !== null) return this.cached;
    const lines = [familyHeader(this.spec.name, this.spec.help, this.spec.type)];
    for (const [key, s] of this.merged()) lines.push(`${key} ${formatValue(s.value)}`);
    // join makes one flat string: a string grown by += would be walked piece by piece at every later copy
    this.cached = lines.join('\n');
    return this.cached;
  }

  override async get(): Promise<GaugeReading> {
    const base = await super.get();
    const values: { labels: Labels; value: number }[] = [];
    // fresh objects: a registry with default labels writes into the values it is given
    for (const s of this.merged().values()) values.push({ labels: s.labels, value: s.value });
    // the declarations type `type` as a numeric enum; at run time prom-client reads the string
    return { ...base, help: this.spec.help, type: this.spec.type as unknown as GaugeReading['type'], values };
  }

  private merged(): ReadonlyMap<string, Series> {
    if (this.sources.size === 1) for (const only of this.sources.values()) return only;
    const out = new Map<string, Series>();
    for (const series of this.sources.values()) for (const [key, s] of series) out.set(key, s);
    return out;
  }
}
