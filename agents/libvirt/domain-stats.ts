/**
 * Domain statistics in one vocabulary: the keys of `virsh domstats --raw`
 * (libvirt's virConnectGetAllDomainStats: `cpu.time`, `balloon.rss`,
 * `block.0.rd.bytes`, `net.1.tx.pkts`, …). A QEMU host answers every group
 * in that one bulk call; where a host leaves groups out (the test driver
 * answers only `state`), the per-domain commands that carry the same
 * counters are run instead and their output is translated to these keys, so
 * that the samples are built from one shape whatever the host.
 */
import type { DomainInfo } from './domain-xml.js';

export type DomainStats = Map<string, string>;

/** `domstats --raw`: the stats of every domain, by domain name. */
export function parseDomstats(text: string): Map<string, DomainStats> {
  const out = new Map<string, DomainStats>();
  let current: DomainStats | null = null;
  for (const line of text.split('\n')) {
    const header = /^Domain: '(.*)'$/.exec(line);
    if (header) {
      current = new Map();
      out.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** The groups a domain's stats lack, each filled in by per-domain commands. */
export type Group = 'cpu' | 'vcpu' | 'balloon' | 'block' | 'net';

export function missingGroups(stats: DomainStats): Group[] {
  const has = (prefix: string): boolean => {
    for (const k of stats.keys()) if (k.startsWith(prefix)) return true;
    return false;
  };
  const missing: Group[] = [];
  if (!stats.has('cpu.time')) missing.push('cpu');
  if (!stats.has('vcpu.current')) missing.push('vcpu');
  if (!has('balloon.')) missing.push('balloon');
  if (!stats.has('block.count')) missing.push('block');
  if (!stats.has('net.count')) missing.push('net');
  return missing;
}

/** A per-domain command, and how its output becomes domstats keys. */
export interface Fill {
  /** the virsh command's name: `dommemstat`, `domblkstat`, … */
  readonly kind: string;
  readonly command: string;
  readonly apply: (output: string, stats: DomainStats) => void;
}

/** virsh's own quoting of an argument (names and devices are plain, but a quote must not break the round). */
const arg = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** `key value` lines (domblkstat, domifstat, dommemstat, cpu-stats), keyed by their last-but-one word. */
function pairs(output: string): Map<string, string> {
  // the last two words of each line, found by index: a split per line was most of a poll's garbage on hosts that need these commands
  const m = new Map<string, string>();
  for (let start = 0; start < output.length; ) {
    let stop = output.indexOf('\n', start);
    if (stop < 0) stop = output.length;
    let j = stop;
    while (j > start && isSpace(output.charCodeAt(j - 1))) j--;
    const valueEnd = j;
    while (j > start && !isSpace(output.charCodeAt(j - 1))) j--;
    const valueStart = j;
    while (j > start && isSpace(output.charCodeAt(j - 1))) j--;
    const keyEnd = j;
    while (j > start && !isSpace(output.charCodeAt(j - 1))) j--;
    if (valueStart < valueEnd && j < keyEnd) m.set(output.slice(j, keyEnd), output.slice(valueStart, valueEnd));
    start = stop + 1;
  }
  return m;
}

/** What `\s` matches in virsh's output (LC_ALL=C: ASCII), and the other spaces JavaScript's trim() and `\s` take. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** `Label: value` lines (dominfo, domblkinfo). */
function labelled(output: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of output.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) m.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return m;
}

/** A command's counter names → domstats' names under the group's prefix (`balloon.`, `block.N.`, `net.N.`). */
const MEMSTAT_KEYS = { actual: 'current', swap_in: 'swap_in', swap_out: 'swap_out', unused: 'unused', available: 'available', usable: 'usable', rss: 'rss' } as const;
const BLKSTAT_KEYS = { rd_req: 'rd.reqs', rd_bytes: 'rd.bytes', wr_req: 'wr.reqs', wr_bytes: 'wr.bytes', rd_total_times: 'rd.times', wr_total_times: 'wr.times', errs: 'errors' } as const;
const IFSTAT_KEYS = { rx_bytes: 'rx.bytes', rx_packets: 'rx.pkts', rx_errs: 'rx.errs', rx_drop: 'rx.drop', tx_bytes: 'tx.bytes', tx_packets: 'tx.pkts', tx_errs: 'tx.errs', tx_drop: 'tx.drop' } as const;

/** per prefix and key table: [command's name, domstats' full key], made once (a domain's keys are the same strings every poll) */
const prefixed = new Map<string, Map<Readonly<Record<string, string>>, readonly (readonly [string, string])[]>>();

const copy = (from: Map<string, string>, to: DomainStats, prefix: string, keys: Readonly<Record<string, string>>): void => {
  let byKeys = prefixed.get(prefix);
  if (!byKeys) prefixed.set(prefix, (byKeys = new Map()));
  let table = byKeys.get(keys);
  if (!table) byKeys.set(keys, (table = Object.entries(keys).map(([src, dst]) => [src, prefix + dst] as const)));
  for (const [src, dst] of table) {
    const v = from.get(src);
    if (v !== undefined && /^-?\d+(\.\d+)?$/.test(v)) to.set(dst, v);
  }
};

/** One command per device (a disk or a vNIC), its counters under `<group>.N.`, with the group's count and the device's name. */
function perDevice(kind: string, domain: string, group: 'block' | 'net', devices: readonly { readonly dev: string }[], keys: Readonly<Record<string, string>>): Fill[] {
  return devices.map(({ dev }, i) => ({
    kind,
    command: `${kind} ${domain} ${arg(dev)}`,
    apply: (out, stats) => {
      stats.set(`${group}.count`, String(devices.length));
      stats.set(`${group}.${i}.name`, dev);
      copy(pairs(out), stats, `${group}.${i}.`, keys);
    },
  }));
}

/** The commands that fill in what `domstats` left out for one domain. */
export function fillsFor(domain: DomainInfo, missing: readonly Group[], skip: ReadonlySet<string> = new Set()): Fill[] {
  const d = arg(domain.name);
  const fills: Fill[] = [];
  if (missing.includes('cpu') || missing.includes('vcpu') || missing.includes('balloon')) {
    // one command for the three: dominfo is virDomainGetInfo, whose CPU time is the domain's cpu.time
    fills.push({
      kind: 'dominfo',
      command: `dominfo ${d}`,
      apply: (out, stats) => {
        const info = labelled(out);
        const time = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(info.get('CPU time') ?? '');
        if (time && missing.includes('cpu')) stats.set('cpu.time', String(BigInt(time[1]) * 1_000_000_000n + BigInt((time[2] ?? '').padEnd(9, '0'))));
        const cpus = info.get('CPU(s)');
        if (cpus && missing.includes('vcpu')) stats.set('vcpu.current', cpus);
        const used = /^(\d+) KiB$/.exec(info.get('Used memory') ?? '');
        const max = /^(\d+) KiB$/.exec(info.get('Max memory') ?? '');
        if (used && !stats.has('balloon.current')) stats.set('balloon.current', used[1]);
        if (max && !stats.has('balloon.maximum')) stats.set('balloon.maximum', max[1]);
      },
    });
  }
  if (missing.includes('balloon')) {
    fills.push({
      kind: 'dommemstat',
      command: `dommemstat ${d}`,
      apply: (out, stats) => copy(pairs(out), stats, 'balloon.', MEMSTAT_KEYS),
    });
  }
  if (missing.includes('block')) fills.push(...perDevice('domblkstat', d, 'block', domain.disks, BLKSTAT_KEYS));
  if (missing.includes('block') && domain.disks.length > 0) {
    fills.push({
      kind: 'domblkinfo',
      command: `domblkinfo ${d} --all`,
      apply: (out, stats) => {
        // ` vda      1099506450432   1099511627776   1099511627776`: target, capacity, allocation, physical
        for (const line of out.split('\n')) {
          const [dev, capacity, allocation, physical] = line.trim().split(/\s+/);
          const i = domain.disks.findIndex((disk) => disk.dev === dev);
          if (i < 0) continue;
          const p = `block.${i}.`;
          for (const [key, v] of [['capacity', capacity], ['allocation', allocation], ['physical', physical]] as const) if (v && /^\d+$/.test(v)) stats.set(p + key, v);
        }
      },
    });
  }
  if (missing.includes('net')) fills.push(...perDevice('domifstat', d, 'net', domain.nics, IFSTAT_KEYS));
  return skip.size === 0 ? fills : fills.filter((f) => !skip.has(f.kind));
}

/** A counter as a number, or null when absent. Counters beyond 2^53 lose their last digits, as they would in a float64 store. */
export function num(stats: DomainStats, key: string): number | null {
  const v = stats.get(key);
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
