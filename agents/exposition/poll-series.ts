/**
 * The series one poll of one source gives, by family: what the name
 * mappings write into. A series written twice in a poll keeps its first
 * place and takes the last value, as a prometheus_client Gauge set twice.
 * The poll's families share one table of label pieces (label-pieces.ts).
 */
import type { AgentSample } from '../sample.js';
import type { FamilySpec } from './family.js';
import { LabelPieces } from './label-pieces.js';
import type { Labels } from './prom-text.js';
import { type SeriesBlock, SeriesBlockBuilder } from './series-block.js';

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
  private readonly pieces = new LabelPieces();
  private readonly building = new Map<string, { readonly spec: FamilySpec; readonly series: SeriesBlockBuilder }>();
  readonly unwritableMeters = new Set<string>();
  count = 0;

  /** `previous`: a family's series of the source's previous poll, to size this poll's (most polls find what the last one found) */
  constructor(private readonly previous: (family: string) => SeriesBlock | undefined = () => undefined) {}

  add(family: FamilySpec, labels: Labels, value: number): void {
    let f = this.building.get(family.name);
    if (!f) {
      f = { spec: family, series: new SeriesBlockBuilder(this.pieces, this.previous(family.name)) };
      this.building.set(family.name, f);
    }
    const series = f.series;
    for (const label in labels) series.label(this.pieces.id(label, labels[label]));
    if (series.close(value)) this.count++;
  }

  unwritable(meter: string): void {
    this.unwritableMeters.add(meter);
  }

  /** The poll's families, in the order their first series came; nothing can be added after. */
  families(): Map<string, { readonly spec: FamilySpec; readonly series: SeriesBlock }> {
    this.pieces.seal();
    const out = new Map<string, { readonly spec: FamilySpec; readonly series: SeriesBlock }>();
    for (const [name, { spec, series }] of this.building) out.set(name, { spec, series: series.build() });
    this.building.clear();
    return out;
  }
}
