/**
 * The samples of one domain, as Ceilometer 19's compute pollsters make them
 * (ceilometer/compute/pollsters/, with the libvirt inspector and discovery):
 * the same meter names, types, units, resource ids and metadata, built from
 * domstats keys (domain-stats.ts). `vcpus`, `memory` and `power.state` are
 * the later Ceilometer's pollsters of those names.
 */
import { createHash } from 'node:crypto';
import type { AgentSample, CounterType } from '../sample.js';
import type { DomainInfo, NovaInstance } from './domain-xml.js';
import { type DomainStats, num } from './domain-stats.js';

/** libvirt's virDomainState → Nova's vm_state and status, as Ceilometer guesses them (libvirt/utils.py). */
const VM_STATE = ['pending', 'running', 'running', 'paused', 'shutdown', 'shutdown', 'crashed', 'suspended'];
const STATUS = ['building', 'active', 'active', 'paused', 'stopped', 'stopped', 'error', 'suspended'];
export const VIR_DOMAIN_SHUTOFF = 5;

interface MeterSpec {
  readonly name: string;
  readonly type: CounterType;
  readonly unit: string;
}

const m = (name: string, type: CounterType, unit: string): MeterSpec => ({ name, type, unit });

export const INSTANCE_METERS = {
  cpu: m('cpu', 'cumulative', 'ns'),
  vcpus: m('vcpus', 'gauge', 'vcpu'),
  memory: m('memory', 'gauge', 'MB'),
  usage: m('memory.usage', 'gauge', 'MB'),
  resident: m('memory.resident', 'gauge', 'MB'),
  swapIn: m('memory.swap.in', 'cumulative', 'MB'),
  swapOut: m('memory.swap.out', 'cumulative', 'MB'),
  power: m('power.state', 'gauge', ''),
  cycles: m('perf.cpu.cycles', 'gauge', ''),
  instructions: m('perf.instructions', 'gauge', ''),
  cacheRefs: m('perf.cache.references', 'gauge', ''),
  cacheMisses: m('perf.cache.misses', 'gauge', ''),
  bandwidthTotal: m('memory.bandwidth.total', 'gauge', 'B/s'),
  bandwidthLocal: m('memory.bandwidth.local', 'gauge', 'B/s'),
  l3: m('cpu_l3_cache', 'gauge', 'B'),
} as const;

/** per disk: meter, and the domstats key under `block.N.` */
const DISK_METERS: readonly (readonly [MeterSpec, string])[] = [
  [m('disk.device.read.requests', 'cumulative', 'request'), 'rd.reqs'],
  [m('disk.device.read.bytes', 'cumulative', 'B'), 'rd.bytes'],
  [m('disk.device.write.requests', 'cumulative', 'request'), 'wr.reqs'],
  [m('disk.device.write.bytes', 'cumulative', 'B'), 'wr.bytes'],
  [m('disk.device.read.latency', 'cumulative', 'ns'), 'rd.times'],
  [m('disk.device.write.latency', 'cumulative', 'ns'), 'wr.times'],
];
const DISK_INFO = { capacity: m('disk.device.capacity', 'gauge', 'B'), allocation: m('disk.device.allocation', 'gauge', 'B'), usage: m('disk.device.usage', 'gauge', 'B') } as const;

/** per vNIC: meter, and the domstats key under `net.N.` */
const NIC_METERS: readonly (readonly [MeterSpec, string])[] = [
  [m('network.incoming.bytes', 'cumulative', 'B'), 'rx.bytes'],
  [m('network.incoming.packets', 'cumulative', 'packet'), 'rx.pkts'],
  [m('network.outgoing.bytes', 'cumulative', 'B'), 'tx.bytes'],
  [m('network.outgoing.packets', 'cumulative', 'packet'), 'tx.pkts'],
  [m('network.incoming.packets.drop', 'cumulative', 'packet'), 'rx.drop'],
  [m('network.outgoing.packets.drop', 'cumulative', 'packet'), 'tx.drop'],
  [m('network.incoming.packets.error', 'cumulative', 'packet'), 'rx.errs'],
  [m('network.outgoing.packets.error', 'cumulative', 'packet'), 'tx.errs'],
];
// Ceilometer 19's outgoing delta pollster names its samples `network.outgoing.packets.delta` (sic): kept, so stored data matches
const NIC_DELTAS = { incoming: m('network.incoming.bytes.delta', 'delta', 'B'), outgoing: m('network.outgoing.packets.delta', 'delta', 'B') } as const;

/** Every meter name the libvirt sampler can produce. */
export const LIBVIRT_METERS: readonly string[] = [
  ...Object.values(INSTANCE_METERS).map((s) => s.name),
  ...DISK_METERS.map(([s]) => s.name),
  ...Object.values(DISK_INFO).map((s) => s.name),
  ...NIC_METERS.map(([s]) => s.name),
  ...Object.values(NIC_DELTAS).map((s) => s.name),
];

/**
 * Ceilometer's util._get_metadata_from_object for a domain found by libvirt
 * discovery: a maker of fresh copies (the instance's samples share one, each
 * disk and vNIC adds its fields to its own). The copies are written field
 * by field, not spread from one object: spread copies each got a hidden
 * class of their own (~0.5 KB each, 5,000 a poll at 1,000 domains), these
 * share one per kind.
 */
function instanceMetadata(domain: DomainInfo, nova: NovaInstance, state: number, host: string): () => Record<string, unknown> {
  const f = nova.flavor;
  const image = nova.imageId === null ? null : { id: nova.imageId };
  // Nova's hostId: sha224(project_id + host)
  const hostId = createHash('sha224').update(nova.projectId + host).digest('hex');
  // Nova's flavor id needs Nova's API; its name is unique in a cloud and stands in for it
  const flavor = { id: f.name, name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: f.ephemeral, swap: f.swap };
  const status = STATUS[state] ?? null;
  const vmState = VM_STATE[state] ?? null;
  const rootGb = (f.disk ?? 0) - (f.ephemeral ?? 0);
  return () => {
    const md: Record<string, unknown> = {
      display_name: nova.displayName,
      name: domain.name,
      instance_id: domain.uuid,
      instance_type: f.name,
      host: hostId,
      instance_host: host,
      flavor,
      status,
      state: vmState,
      task_state: '',
      image,
      image_ref: nova.imageId,
      image_ref_url: null,
    };
    if (domain.arch !== null) md.architecture = domain.arch;
    if (domain.osType !== null) md.os_type = domain.osType;
    md.vcpus = f.vcpus;
    md.memory_mb = f.ram;
    md.disk_gb = f.disk;
    md.ephemeral_gb = f.ephemeral;
    md.root_gb = rootGb;
    return md;
  };
}

/** Ceilometer's cpu time: the vCPUs' time + wait when every vCPU reports both, else the domain's cpu.time. */
function cpuTime(stats: DomainStats): number | null {
  const max = num(stats, 'vcpu.maximum') ?? 0;
  let current = num(stats, 'vcpu.current') ?? 0;
  let sum = 0;
  for (let i = 0; i < max; i++) {
    const t = num(stats, `vcpu.${i}.time`);
    const w = num(stats, `vcpu.${i}.wait`);
    if (t !== null && w !== null) {
      sum += t + w;
      current--;
    }
  }
  return current ? num(stats, 'cpu.time') : sum;
}

export interface SampleContext {
  readonly host: string;
  readonly timestamp: string;
  readonly wanted: ReadonlySet<string>;
  /** previous rx/tx bytes per vNIC name, for the delta meters (Ceilometer's inspector cache) */
  readonly previousBytes: Map<string, readonly [number, number]>;
}

/** The samples of one running domain with Nova metadata. */
export function domainSamples(domain: DomainInfo, nova: NovaInstance, stats: DomainStats, ctx: SampleContext, out: AgentSample[]): void {
  const state = num(stats, 'state.state') ?? 0;
  const metadata = instanceMetadata(domain, nova, state, ctx.host);
  const base = metadata();
  const push = (spec: MeterSpec, volume: number | null, resourceId: string, metadata: Record<string, unknown>): void => {
    if (volume === null || !ctx.wanted.has(spec.name)) return;
    out.push({
      name: spec.name,
      type: spec.type,
      unit: spec.unit,
      volume,
      user_id: nova.userId,
      project_id: nova.projectId,
      resource_id: resourceId,
      timestamp: ctx.timestamp,
      resource_metadata: metadata,
    });
  };
  const M = INSTANCE_METERS;
  const id = domain.uuid;
  const vcpus = num(stats, 'vcpu.current');
  const cpuMetadata = metadata();
  cpuMetadata.cpu_number = vcpus;
  push(M.cpu, cpuTime(stats), id, cpuMetadata);
  push(M.vcpus, vcpus, id, base);
  const mb = (k: string): number | null => {
    const v = num(stats, k);
    return v === null ? null : v / 1024;
  };
  push(M.memory, mb('balloon.current'), id, base);
  const available = num(stats, 'balloon.available');
  const usable = num(stats, 'balloon.usable');
  const unused = num(stats, 'balloon.unused');
  push(M.usage, available === null ? null : usable !== null ? (available - usable) / 1024 : unused !== null ? (available - unused) / 1024 : null, id, base);
  push(M.resident, mb('balloon.rss'), id, base);
  if (stats.has('balloon.swap_in') && stats.has('balloon.swap_out')) {
    push(M.swapIn, mb('balloon.swap_in'), id, base);
    push(M.swapOut, mb('balloon.swap_out'), id, base);
  }
  push(M.power, state, id, base);
  push(M.cycles, num(stats, 'perf.cpu_cycles'), id, base);
  push(M.instructions, num(stats, 'perf.instructions'), id, base);
  push(M.cacheRefs, num(stats, 'perf.cache_references'), id, base);
  push(M.cacheMisses, num(stats, 'perf.cache_misses'), id, base);
  push(M.bandwidthTotal, num(stats, 'perf.mbmt'), id, base);
  push(M.bandwidthLocal, num(stats, 'perf.mbml'), id, base);
  push(M.l3, num(stats, 'perf.cmt'), id, base);

  const blocks = num(stats, 'block.count') ?? 0;
  for (let i = 0; i < blocks; i++) {
    const dev = stats.get(`block.${i}.name`);
    // as Ceilometer: the disks of the XML that have a source (not an empty CD-ROM drive)
    if (!dev || !domain.disks.some((d) => d.dev === dev)) continue;
    const rid = `${id}-${dev}`;
    // a device's metadata is made once and shared by its samples
    const extra = metadata();
    extra.disk_name = dev;
    const p = `block.${i}.`;
    if (stats.has(`${p}rd.reqs`)) for (const [spec, key] of DISK_METERS) push(spec, num(stats, p + key), rid, extra);
    const capacity = num(stats, `${p}capacity`);
    const physical = num(stats, `${p}physical`);
    if (capacity !== null || physical !== null) {
      push(DISK_INFO.capacity, Math.max(capacity ?? 0, physical ?? 0), rid, extra);
      push(DISK_INFO.allocation, num(stats, `${p}allocation`), rid, extra);
      push(DISK_INFO.usage, physical, rid, extra);
    }
  }

  const nets = num(stats, 'net.count') ?? 0;
  for (let i = 0; i < nets; i++) {
    const dev = stats.get(`net.${i}.name`);
    const nic = dev ? domain.nics.find((n) => n.dev === dev) : undefined;
    if (!nic) continue;
    const rid = nic.fref ?? `${domain.name}-${id}-${nic.dev}`;
    const extra = metadata();
    // `name` keeps its place among the instance's fields and takes the vNIC's value
    extra.name = nic.dev;
    extra.mac = nic.mac;
    extra.fref = nic.fref;
    extra.parameters = nic.parameters;
    extra.vnic_name = nic.fref ?? nic.dev;
    const p = `net.${i}.`;
    for (const [spec, key] of NIC_METERS) push(spec, num(stats, p + key), rid, extra);
    const rx = num(stats, `${p}rx.bytes`);
    const tx = num(stats, `${p}tx.bytes`);
    if (rx === null || tx === null) continue;
    const prev = ctx.previousBytes.get(nic.dev);
    ctx.previousBytes.set(nic.dev, [rx, tx]);
    // Ceilometer: 0 on the first poll; a counter that went back (a reset) counts from 0
    const delta = (now: number, before: number | undefined): number => (before === undefined ? 0 : now - before < 0 ? now : now - before);
    push(NIC_DELTAS.incoming, delta(rx, prev?.[0]), rid, extra);
    push(NIC_DELTAS.outgoing, delta(tx, prev?.[1]), rid, extra);
  }
}
