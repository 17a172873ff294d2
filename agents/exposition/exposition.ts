/**
 * The node agent's /metrics: the samples of each source's last poll, under
 * Ceilometer's exporter names and, when asked, also under the names of
 * Debian's prometheus-libvirt-exporter and of the ceph-mgr prometheus
 * module. Each poll of a source replaces that source's series: a series
 * missing from the new poll is gone, as Ceilometer drops a pollster's
 * metric at every cycle.
 */
import { Registry } from 'prom-client';
import type { AgentSample } from '../sample.js';
import { CeilometerMapping } from './ceilometer-mapping.js';
import type { IdentityNames } from './ceilometer-labels.js';
import { CephMgrMapping } from './ceph-mgr.js';
import { Family } from './family.js';
import { familyText } from './family-text.js';
import { type LibvirtExporterOptions, LibvirtExporterMapping } from './libvirt-exporter.js';
import { type Mapping, PollSeries } from './poll-series.js';

/** Which other exporters' names the samples are also exposed under. */
export interface ExporterNames {
  /** Debian's prometheus-libvirt-exporter, for the libvirt sampler's samples */
  readonly libvirt?: boolean | LibvirtExporterOptions;
  /** the ceph-mgr prometheus module, for the Ceph sampler's samples */
  readonly cephMgr?: boolean;
}

export interface ExpositionOptions {
  /** also other exporters' names; true: both, the libvirt exporter's with its default labels */
  readonly exporterNames?: boolean | ExporterNames;
  /** project and user names for Ceilometer's project_name / user_name labels (and the libvirt exporter's project_name) */
  readonly identity?: IdentityNames;
  /** where the families are registered (default: a registry of their own) */
  readonly registry?: Registry;
}

/** What one update did. */
export interface UpdateReport {
  /** series of the source now exposed, under every naming */
  readonly series: number;
  /** meters of the poll that have no Prometheus name (characters outside the format, a label name taken twice) */
  readonly unwritable: readonly string[];
}

export class CeilometerExposition {
  readonly registry: Registry;
  private readonly mappings: readonly Mapping[];
  private readonly families = new Map<string, Family>();
  /** source → the families it has series in */
  private readonly sources = new Map<string, Set<string>>();

  constructor(options: ExpositionOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const mappings: Mapping[] = [new CeilometerMapping(options.identity)];
    const names: ExporterNames = options.exporterNames === true ? { libvirt: true, cephMgr: true } : options.exporterNames || {};
    if (names.libvirt) mappings.push(new LibvirtExporterMapping(names.libvirt === true ? {} : names.libvirt, options.identity));
    if (names.cephMgr) mappings.push(new CephMgrMapping());
    this.mappings = mappings;
  }

  /** A poll of `source` succeeded: its samples replace that source's series. */
  update(source: string, samples: readonly AgentSample[]): UpdateReport {
    return this.replace(source, samples);
  }

  /**
   * A poll of `source` failed: its series go (Ceilometer drops a pollster's
   * metric before polling, so a failed poll leaves none), and libvirt_up
   * turns 0 for the libvirt source.
   */
  failed(source: string): void {
    this.replace(source, null);
  }

  /**
   * The exposition in the text format (version 0.0.4), UTF-8, in buffers of
   * about 64 KiB made as they are asked for: /metrics writes them to the
   * response one at a time instead of keeping a copy of the whole text. The
   * series are those of when it is called: a poll ending meanwhile shows in
   * the next scrape.
   */
  chunks(): Iterable<Uint8Array> {
    return familyText([...this.families.values()].map((f) => f.view()));
  }

  /** The exposition in the text format, whole. */
  async metrics(): Promise<string> {
    return Buffer.concat([...this.chunks()]).toString('utf8');
  }

  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  private replace(source: string, samples: readonly AgentSample[] | null): UpdateReport {
    const poll = new PollSeries((name) => this.families.get(name)?.series(source));
    for (const mapping of this.mappings) mapping.write(source, samples, poll);

    const before = this.sources.get(source) ?? new Set<string>();
    const now = new Set<string>();
    for (const [name, { spec, series }] of poll.families()) {
      let family = this.families.get(name);
      if (!family) {
        family = new Family(spec);
        this.families.set(name, family);
        this.registry.registerMetric(family);
      }
      family.put(source, series);
      now.add(name);
    }
    for (const name of before) {
      if (now.has(name)) continue;
      const family = this.families.get(name);
      if (!family) continue;
      family.drop(source);
      if (family.empty) {
        this.families.delete(name);
        this.registry.removeSingleMetric(name);
      }
    }
    this.sources.delete(source);
    if (now.size > 0) this.sources.set(source, now);
    return { series: poll.count, unwritable: [...poll.unwritableMeters] };
  }
}
