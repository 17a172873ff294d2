/**
 * One metric family fed by several sources, each source's series replaced
 * whole by its next poll. It is a prom-client metric (a Gauge whose get()
 * answers the sources' series) so that it sits in a Registry beside other
 * metrics; the exposition writes its text itself (family-text.ts), which is
 * faster than prom-client formatting every label of every series.
 */
import { Gauge } from 'prom-client';
import { type FamilyType, type Labels, familyHeader } from './prom-text.js';
import type { SeriesBlock } from './series-block.js';

export interface FamilySpec {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
}

/** A family as one scrape writes it: fixed when the scrape starts, so that a poll ending mid-response does not mix two polls. */
export interface FamilyView {
  readonly name: string;
  /** `# HELP …\n# TYPE …` */
  readonly header: string;
  /** in the order of the sources' last updates: a series two sources share is the last update's */
  readonly blocks: readonly SeriesBlock[];
}

type GaugeReading = Awaited<ReturnType<Gauge<string>['get']>>;

export class Family extends Gauge<string> {
  /** in the order of the sources' last updates */
  private readonly sources = new Map<string, SeriesBlock>();
  private readonly header: string;

  constructor(readonly spec: FamilySpec) {
    // prom-client refuses an empty help; get() answers the real one (Ceilometer's is empty)
    super({ name: spec.name, help: spec.help || spec.name, registers: [] });
    this.header = familyHeader(spec.name, spec.help, spec.type);
  }

  get empty(): boolean {
    return this.sources.size === 0;
  }

  put(source: string, series: SeriesBlock): void {
    this.sources.delete(source);
    this.sources.set(source, series);
  }

  series(source: string): SeriesBlock | undefined {
    return this.sources.get(source);
  }

  drop(source: string): void {
    this.sources.delete(source);
  }

  view(): FamilyView {
    return { name: this.spec.name, header: this.header, blocks: [...this.sources.values()] };
  }

  override async get(): Promise<GaugeReading> {
    const base = await super.get();
    const values: { labels: Labels; value: number }[] = [];
    // fresh objects: a registry with default labels writes into the values it is given
    const blocks = [...this.sources.values()];
    const series = blocks.length === 1 ? Array.from({ length: blocks[0].size }, (_, i) => [blocks[0], i] as const) : mergedSeries(blocks);
    for (const [block, i] of series) values.push({ labels: block.labels(i), value: block.values[i] });
    // the declarations type `type` as a numeric enum; at run time prom-client reads the string
    return { ...base, help: this.spec.help, type: this.spec.type as unknown as GaugeReading['type'], values };
  }
}

/**
 * The series of several sources' blocks, each once: in the place of its
 * first appearance, with the value of the last block that has it. Blocks
 * of different polls do not share pieces, so a series is known by its
 * label text here.
 */
export function mergedSeries(blocks: readonly SeriesBlock[]): Iterable<readonly [SeriesBlock, number]> {
  const merged = new Map<string, readonly [SeriesBlock, number]>();
  for (const block of blocks) for (let i = 0; i < block.size; i++) merged.set(block.labelText(i), [block, i]);
  return merged.values();
}
