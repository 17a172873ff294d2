/**
 * The names of Debian's prometheus-libvirt-exporter (kumina/libvirt_exporter
 * 0.2.0), computed from the libvirt sampler's samples: which meter feeds
 * which metric, in what unit, with which labels. README.md says where each
 * value differs from what the exporter reads from libvirt.
 */
import type { AgentSample } from '../sample.js';
import type { IdentityNames } from './ceilometer-labels.js';
import type { FamilySpec } from './family.js';
import type { Mapping, SeriesSink } from './poll-series.js';
import type { FamilyType, Labels } from './prom-text.js';
import { dict, pyStr } from './python-value.js';

/** What a metric is about: the domain, one of its disks, one of its vNICs (labels differ). */
type Device = 'domain' | 'disk' | 'interface';

interface LibvirtRow {
  readonly meter: string;
  readonly family: FamilySpec;
  readonly device: Device;
  /** the sample's volume times this, or, with `metadata`, that metadata field's times this */
  readonly scale: number;
  readonly metadata?: string;
}

const NS = 1e-9;
const MIB = 1024 * 1024;

const row = (meter: string, name: string, type: FamilyType, device: Device, help: string, scale = 1, metadata?: string): LibvirtRow => ({
  meter,
  family: { name, help, type },
  device,
  scale,
  ...(metadata === undefined ? {} : { metadata }),
});

/** meter → exporter metric: the table to complete */
export const LIBVIRT_EXPORTER_TABLE: readonly LibvirtRow[] = [
  row('cpu', 'libvirt_domain_info_cpu_time_seconds_total', 'counter', 'domain', 'CPU time used by the domain, in seconds.', NS),
  row('vcpus', 'libvirt_domain_info_virtual_cpus', 'gauge', 'domain', 'Virtual CPUs of the domain.'),
  row('memory', 'libvirt_domain_info_memory_usage_bytes', 'gauge', 'domain', 'Memory of the domain (its balloon), in bytes.', MIB),
  row('memory', 'libvirt_domain_info_maximum_memory_bytes', 'gauge', 'domain', "Maximum memory of the domain (its flavor's), in bytes.", MIB, 'memory_mb'),
  row('power.state', 'libvirt_domain_state_code', 'gauge', 'domain', "libvirt's state code of the domain."),
  row('disk.device.read.bytes', 'libvirt_domain_block_stats_read_bytes_total', 'counter', 'disk', 'Bytes read from a block device.'),
  row('disk.device.read.requests', 'libvirt_domain_block_stats_read_requests_total', 'counter', 'disk', 'Read requests of a block device.'),
  row('disk.device.read.latency', 'libvirt_domain_block_stats_read_seconds_total', 'counter', 'disk', 'Time spent reading from a block device, in seconds.', NS),
  row('disk.device.write.bytes', 'libvirt_domain_block_stats_write_bytes_total', 'counter', 'disk', 'Bytes written to a block device.'),
  row('disk.device.write.requests', 'libvirt_domain_block_stats_write_requests_total', 'counter', 'disk', 'Write requests of a block device.'),
  row('disk.device.write.latency', 'libvirt_domain_block_stats_write_seconds_total', 'counter', 'disk', 'Time spent writing to a block device, in seconds.', NS),
  row('network.incoming.bytes', 'libvirt_domain_interface_stats_receive_bytes_total', 'counter', 'interface', 'Bytes received on a network interface.'),
  row('network.incoming.packets', 'libvirt_domain_interface_stats_receive_packets_total', 'counter', 'interface', 'Packets received on a network interface.'),
  row('network.incoming.packets.error', 'libvirt_domain_interface_stats_receive_errors_total', 'counter', 'interface', 'Receive errors on a network interface.'),
  row('network.incoming.packets.drop', 'libvirt_domain_interface_stats_receive_drops_total', 'counter', 'interface', 'Received packets dropped on a network interface.'),
  row('network.outgoing.bytes', 'libvirt_domain_interface_stats_transmit_bytes_total', 'counter', 'interface', 'Bytes transmitted on a network interface.'),
  row('network.outgoing.packets', 'libvirt_domain_interface_stats_transmit_packets_total', 'counter', 'interface', 'Packets transmitted on a network interface.'),
  row('network.outgoing.packets.error', 'libvirt_domain_interface_stats_transmit_errors_total', 'counter', 'interface', 'Transmit errors on a network interface.'),
  row('network.outgoing.packets.drop', 'libvirt_domain_interface_stats_transmit_drops_total', 'counter', 'interface', 'Transmitted packets dropped on a network interface.'),
];

/** The exporter's metrics that no meter feeds: the samples carry nothing to compute them from. */
export const LIBVIRT_EXPORTER_UNMAPPED: Readonly<Record<string, string>> = {
  libvirt_domain_block_stats_flush_requests_total: 'Ceilometer has no flush meter',
  libvirt_domain_block_stats_flush_seconds_total: 'Ceilometer has no flush meter',
};

const UP: FamilySpec = { name: 'libvirt_up', help: 'Whether the last poll of libvirt succeeded.', type: 'gauge' };
const DOMAINS: FamilySpec = { name: 'libvirt_domains_number', help: 'Domains polled.', type: 'gauge' };

export interface LibvirtExporterOptions {
  /** the exporter's --libvirt.export-nova-metadata: labels name, flavor and project_name */
  readonly novaMetadata?: boolean;
  /**
   * Whether a source's samples are the libvirt sampler's. Default: a source
   * named `libvirt` or `<polling source>/libvirt`, as the agent names its
   * tasks.
   */
  readonly isLibvirt?: (source: string) => boolean;
}

const byDefault = (source: string): boolean => source === 'libvirt' || source.endsWith('/libvirt');

const BY_METER = new Map<string, LibvirtRow[]>();
for (const r of LIBVIRT_EXPORTER_TABLE) BY_METER.set(r.meter, [...(BY_METER.get(r.meter) ?? []), r]);

/** Ceilometer's vNIC resource id without a nwfilter: `<domain>-<instance uuid>-<tap>` */
const PLAIN_NIC = /^(.+)-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}-/;
/** Nova's nwfilter name, the vNIC's resource id when set: `nova-instance-<domain>-<mac without colons>` */
const NWFILTER = /^nova-instance-(.+)-[0-9a-fA-F]{12}$/;

const str = (v: unknown): string => (v === null || v === undefined ? '' : pyStr(v));

export class LibvirtExporterMapping implements Mapping {
  private readonly nova: boolean;
  private readonly isLibvirt: (source: string) => boolean;

  constructor(
    options: LibvirtExporterOptions,
    private readonly identity?: IdentityNames,
  ) {
    this.nova = options.novaMetadata ?? false;
    this.isLibvirt = options.isLibvirt ?? byDefault;
  }

  write(source: string, samples: readonly AgentSample[] | null, sink: SeriesSink): void {
    if (!this.isLibvirt(source)) return;
    sink.add(UP, {}, samples === null ? 0 : 1);
    if (samples === null) return;
    const { domains, count } = domainNames(samples);
    sink.add(DOMAINS, {}, count);
    for (const s of samples) {
      const rows = BY_METER.get(s.name);
      if (rows === undefined) continue;
      for (const r of rows) {
        const base = r.metadata === undefined ? s.volume : s.resource_metadata[r.metadata];
        if (typeof base !== 'number') continue;
        sink.add(r.family, this.labels(r.device, s, domains), base * r.scale);
      }
    }
  }

  /** client_golang writes labels sorted by name: built here in that order */
  private labels(device: Device, s: AgentSample, domains: ReadonlyMap<string, string>): Labels {
    const md = s.resource_metadata;
    const uuid = str(md.instance_id);
    const labels: Labels = { domain: device === 'interface' ? nicDomain(s, uuid, domains) : str(md.name) };
    if (this.nova) {
      labels.flavor = str(dict(md.flavor)?.name ?? md.instance_type);
      labels.name = str(md.display_name);
      labels.project_name = (s.project_id && this.identity?.projectName(s.project_id)) || '';
    }
    if (device === 'disk') {
      // the disk's source path is not in the samples (Ceilometer's metadata names the device only)
      labels.source_file = '';
      labels.target_device = str(md.disk_name);
    } else if (device === 'interface') {
      labels.source_bridge = str(dict(md.parameters)?.bridge);
      labels.target_device = str(md.name);
    }
    labels.uuid = uuid;
    return labels;
  }
}

/** instance id → libvirt domain name, from the samples of the instance itself and of its disks; how many instances */
function domainNames(samples: readonly AgentSample[]): { domains: Map<string, string>; count: number } {
  const domains = new Map<string, string>();
  const ids = new Set<string>();
  for (const s of samples) {
    const md = s.resource_metadata;
    if (typeof md.instance_id !== 'string') continue;
    ids.add(md.instance_id);
    // a vNIC's samples carry the vNIC's name under `name`
    if (s.name.startsWith('network.') || typeof md.name !== 'string') continue;
    if (!domains.has(md.instance_id)) domains.set(md.instance_id, md.name);
  }
  return { domains, count: ids.size };
}

/** The domain of a vNIC sample: from its instance's other samples, else from its resource id. */
function nicDomain(s: AgentSample, uuid: string, domains: ReadonlyMap<string, string>): string {
  const known = domains.get(uuid);
  if (known !== undefined) return known;
  return PLAIN_NIC.exec(s.resource_id)?.[1] ?? NWFILTER.exec(s.resource_id)?.[1] ?? '';
}
