/**
 * Compute agent benchmark: a poll of 50, 200 and 1,000 domains on libvirt's
 * test driver (each with Nova's metadata, 2 disks and 2 vNICs), by tally's
 * agent, by Ceilometer 19's compute pollsters and by Debian's
 * prometheus-libvirt-exporter, side by side. Prints a table.
 *
 *   npm run bench:agent [-- --sizes 50,200,1000 --polls 5 --tally-only]
 *
 * - tally: `tally agent` (the built JavaScript, as deployed) polling every
 *   5 s with no broker and scraped once between polls, as Prometheus would;
 *   CPU per poll from /proc (the agent and its virsh, a waited-for child,
 *   without the scrape's), the scrape's time and size, peak RSS of the agent;
 *   the wall time of a poll from the sampler itself, in this process;
 * - Ceilometer: its pollsters set up once, then timed per poll in the same
 *   Python process (bench/ceilometer_compute_polls.py): CPU, wall, peak RSS;
 * - the exporter: scraped `--polls` times; CPU per scrape from /proc, peak
 *   RSS.
 * Targets (issue 14): a 1,000-domain poll under 1 s, at most a tenth of
 * Ceilometer's CPU per poll, under 80 MB RSS. Loopback only; stops by itself.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { LIBVIRT_METERS } from '../agents/libvirt/meters.js';
import { LibvirtSampler } from '../agents/libvirt/sampler.js';
import { freePort } from '../test/helpers/free-port.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({ options: { sizes: { type: 'string', default: '50,200,1000' }, polls: { type: 'string', default: '5' }, 'tally-only': { type: 'boolean', default: false } } });
const SIZES = args.sizes!.split(',').map(Number);
const POLLS = Number(args.polls);
// USER_HZ: the unit of /proc's CPU times on Linux
const TICK = 100;

const log = (line: string): void => console.error(`[bench:agent] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** n domains with Nova's metadata, 2 disks and 2 vNICs each. */
function nodeXml(n: number): string {
  const parts = ['<node>'];
  for (let i = 0; i < n; i++) {
    const hex = i.toString(16).padStart(12, '0');
    const uuid = `6a7f5e3c-1d2b-4c8e-9f10-${hex}`;
    const name = `instance-${i.toString(16).padStart(8, '0')}`;
    parts.push(`<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory unit='MiB'>2048</memory><currentMemory unit='MiB'>2048</currentMemory><vcpu>2</vcpu><os><type arch='x86_64'>hvm</type></os>
<metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>vm-${i}</nova:name><nova:flavor name="m1.small"><nova:memory>2048</nova:memory><nova:disk>20</nova:disk><nova:swap>0</nova:swap><nova:ephemeral>0</nova:ephemeral><nova:vcpus>2</nova:vcpus></nova:flavor><nova:owner><nova:user uuid="u${i % 50}">u</nova:user><nova:project uuid="p${i % 20}">p</nova:project></nova:owner><nova:root type="image" uuid="cccc3333-cccc-3333-cccc-333333333333"/></nova:instance></metadata>
<devices><disk type='file' device='disk'><source file='/v/${i}/disk'/><target dev='vda'/></disk><disk type='file' device='disk'><source file='/v/${i}/disk.eph0'/><target dev='vdb'/></disk>
<interface type='bridge'><mac address='fa:16:3e:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}'/><source bridge='br-int'/><target dev='tap${hex.slice(4)}a'/></interface><interface type='bridge'><mac address='fa:16:3f:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}'/><source bridge='br-int'/><target dev='tap${hex.slice(4)}b'/></interface></devices></domain>`);
  }
  parts.push('</node>');
  return parts.join('\n');
}

/** CPU seconds of a process itself and of the children it waited for (utime + stime, cutime + cstime). */
function cpuTimes(pid: number | 'self'): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields 14-17 (utime, stime, cutime, cstime) are 12-15 after the command
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { own: (Number(f[11]) + Number(f[12])) / TICK, children: (Number(f[13]) + Number(f[14])) / TICK };
}

/** CPU seconds of a process and of the children it waited for, and its peak RSS (MB). */
function usage(pid: number): { cpu: number; hwmMb: number } {
  const { own, children } = cpuTimes(pid);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpu: own + children, hwmMb: hwm ? Number(hwm[1]) / 1024 : 0 };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface Figures {
  wallS: number;
  cpuS: number;
  rssMb: number;
  samples?: number;
  /** CPU of the virsh a poll runs: the floor of a poll on this host */
  virshCpuS?: number;
  /** a scrape of /metrics between polls: its wall time and size */
  scrapeS?: number;
  scrapeMb?: number;
}

async function tally(uri: string, dir: string): Promise<Figures> {
  // wall time of a poll: the sampler itself, here (after a first poll that reads every domain's XML)
  const sampler = new LibvirtSampler({ uri, host: 'compute-1' });
  const wanted = new Set(LIBVIRT_METERS);
  await sampler.poll(wanted);
  let wall = 0;
  let samples = 0;
  const virsh0 = cpuTimes('self').children;
  for (let i = 0; i < POLLS; i++) {
    const t = performance.now();
    samples = (await sampler.poll(wanted)).length;
    wall += (performance.now() - t) / 1000;
  }
  const virshCpuS = (cpuTimes('self').children - virsh0) / POLLS;
  // CPU and RSS: the agent as deployed, polling every 5 s
  const polling = join(dir, 'polling.yaml');
  writeFileSync(polling, 'sources:\n  - name: all\n    interval: 5\n    meters: ["*"]\n');
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const child = spawn(join(ROOT, 'bin', 'tally'), ['agent', '--libvirt-uri', uri, '--ovsdb', 'none', '--ceph-conf', 'none', '--polling', polling, '--metrics-port', String(port), '--spool-dir', join(dir, 'spool')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  try {
    // the first poll runs at start and reads every XML; measure whole 5 s turns after it
    await sleep(2_500);
    if (child.exitCode !== null) throw new Error(`tally agent exited: ${out}`);
    await sleep(5_000 - (Date.now() % 5_000) + 2_500);
    const turn = Date.now() - (Date.now() % 5_000);
    const a = usage(child.pid!);
    // one scrape per turn, late in it (after the poll that started it), its CPU counted apart from the polls'
    let scrapeCpu = 0;
    let scrapeWall = 0;
    let scrapeBytes = 0;
    for (let i = 0; i < POLLS; i++) {
      await sleep(turn + i * 5_000 + 4_600 - Date.now());
      const s0 = usage(child.pid!);
      const t = performance.now();
      const res = await fetch(metricsUrl);
      scrapeBytes = (await res.arrayBuffer()).byteLength;
      scrapeWall += (performance.now() - t) / 1000;
      scrapeCpu += usage(child.pid!).cpu - s0.cpu;
    }
    await sleep(turn + POLLS * 5_000 + 2_500 - Date.now());
    const b = usage(child.pid!);
    return { wallS: wall / POLLS, cpuS: (b.cpu - a.cpu - scrapeCpu) / POLLS, rssMb: b.hwmMb, samples, virshCpuS, scrapeS: scrapeWall / POLLS, scrapeMb: scrapeBytes / 2 ** 20 };
  } finally {
    await stop(child);
  }
}

async function ceilometer(uri: string): Promise<Figures> {
  const { stdout } = await run('/usr/bin/python3', [join(ROOT, 'bench', 'ceilometer_compute_polls.py'), uri, String(POLLS + 1)], { encoding: 'utf8', maxBuffer: 2 ** 26 });
  const r = JSON.parse(stdout) as { polls: { wall_s: number; cpu_s: number; samples: number }[]; max_rss_kb: number };
  const steady = r.polls.slice(1);
  return { wallS: steady.reduce((s, p) => s + p.wall_s, 0) / steady.length, cpuS: steady.reduce((s, p) => s + p.cpu_s, 0) / steady.length, rssMb: r.max_rss_kb / 1024, samples: steady[0].samples };
}

async function exporter(uri: string): Promise<Figures> {
  const port = await freePort();
  const child = spawn('prometheus-libvirt-exporter', [`--libvirt.uri=${uri}`, `--web.listen-address=127.0.0.1:${port}`, '--libvirt.export-nova-metadata'], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    const scrape = async (): Promise<number> => {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      await res.text();
      return (performance.now() - t) / 1000;
    };
    for (let i = 0; ; i++) {
      try {
        await scrape();
        break;
      } catch {
        if (i > 50) throw new Error('prometheus-libvirt-exporter did not answer');
        await sleep(100);
      }
    }
    const a = usage(child.pid!);
    let wall = 0;
    for (let i = 0; i < POLLS; i++) wall += await scrape();
    const b = usage(child.pid!);
    return { wallS: wall / POLLS, cpuS: (b.cpu - a.cpu) / POLLS, rssMb: b.hwmMb };
  } finally {
    await stop(child);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tally-bench-agent-'));
const rows: string[][] = [];
try {
  for (const n of SIZES) {
    const file = join(dir, `node-${n}.xml`);
    writeFileSync(file, nodeXml(n));
    const uri = `test://${file}`;
    log(`${n} domains: tally`);
    const t = await tally(uri, dir);
    const none: Figures = { wallS: NaN, cpuS: NaN, rssMb: NaN };
    if (!args['tally-only']) log(`${n} domains: Ceilometer 19`);
    const c = args['tally-only'] ? none : await ceilometer(uri);
    if (!args['tally-only']) log(`${n} domains: prometheus-libvirt-exporter`);
    const e = args['tally-only'] ? none : await exporter(uri);
    const f = (v: number, d = 3): string => (Number.isNaN(v) ? '–' : v.toFixed(d));
    rows.push([String(n), f(t.wallS), f(c.wallS), f(e.wallS), f(t.cpuS), f(t.virshCpuS ?? 0), f(c.cpuS), f(e.cpuS), `${f(c.cpuS / t.cpuS, 1)}×`, f(t.rssMb, 0), f(c.rssMb, 0), f(e.rssMb, 0), f(t.scrapeS ?? NaN), f(t.scrapeMb ?? NaN, 1), `${t.samples} / ${c.samples ?? '–'}`]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const head = ['domains', 'wall s: tally', 'Ceilometer', 'exporter', 'CPU s/poll: tally', 'of which virsh', 'Ceilometer', 'exporter', 'Ceilometer / tally CPU', 'peak RSS MB: tally', 'Ceilometer', 'exporter', 'scrape s: tally', 'scrape MB', 'samples tally / Ceilometer'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`\n- ${POLLS} polls per figure after a first one; targets: a 1,000-domain poll under 1 s, at most a tenth of Ceilometer's CPU, under 80 MB RSS`);
console.log("- 'of which virsh': the virsh child of a poll (in-process polls), the floor of tally's poll on this host: the test driver answers one command at a time");
console.log("- 'scrape': one GET /metrics between two polls of the agent (its CPU is not in the agent's CPU per poll)");
console.log("- Ceilometer on the test driver gets fewer samples: its disk I/O call is not supported there (tally's per-domain commands read them)");
