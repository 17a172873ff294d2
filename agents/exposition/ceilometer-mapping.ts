/**
 * Ceilometer's exporter names: every sample a gauge `ceilometer_<meter>`
 * with the labels of ceilometer-labels.ts and the sample's volume as it is.
 */
import type { AgentSample } from '../sample.js';
import { type IdentityNames, type MeterShape, ceilometerLabels, meterShape } from './ceilometer-labels.js';
import type { FamilySpec } from './family.js';
import type { Mapping, SeriesSink } from './poll-series.js';

export class CeilometerMapping implements Mapping {
  /** per meter name, worked out once: its shape and family, or null when it cannot be written */
  private readonly meters = new Map<string, { readonly shape: MeterShape; readonly family: FamilySpec } | null>();

  constructor(private readonly identity?: IdentityNames) {}

  write(_source: string, samples: readonly AgentSample[] | null, sink: SeriesSink): void {
    if (samples === null) return;
    for (const sample of samples) {
      let meter = this.meters.get(sample.name);
      if (meter === undefined) {
        const shape = meterShape(sample.name);
        // Ceilometer documents none: its HELP lines are empty
        meter = shape && { shape, family: { name: shape.metric, help: '', type: 'gauge' } };
        this.meters.set(sample.name, meter);
      }
      if (meter === null) sink.unwritable(sample.name);
      else sink.add(meter.family, ceilometerLabels(sample, meter.shape, this.identity), sample.volume);
    }
  }
}
