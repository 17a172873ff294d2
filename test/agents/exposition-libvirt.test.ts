/**
 * The libvirt exporter's names against the exporter itself: Debian's
 * prometheus-libvirt-exporter (kumina 0.2.0, --libvirt.export-nova-metadata)
 * and the libvirt sampler read the same libvirt test driver
 * (test/agents/libvirt/node.xml), and both expositions, parsed by the
 * Prometheus Python client's parser, must have the same metric names,
 * types, label sets and values. The test driver's counters grow with the
 * clock: a counter of ours lies between the exporter's scrapes before and
 * after our poll.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CeilometerExposition } from '../../agents/exposition/exposition.js';
import { LIBVIRT_EXPORTER_TABLE, LIBVIRT_EXPORTER_UNMAPPED } from '../../agents/exposition/libvirt-exporter.js';
import { LIBVIRT_METERS } from '../../agents/libvirt/meters.js';
import { LibvirtSampler } from '../../agents/libvirt/sampler.js';
import type { AgentSample } from '../../agents/sample.js';
import { freePort } from '../helpers/free-port.js';
import { SKIP_MISSING_VARIABLE, installCommand, missingPackages, requires, skipMissingAsked } from '../lib/requirements.js';

const NODE = fileURLToPath(new URL('./libvirt/node.xml', import.meta.url));
const URI = `test://${NODE}`;
const EXPORTER = '/usr/bin/prometheus-libvirt-exporter';
/** node.xml's projects: the names Nova writes into the domain XML, which the exporter reads */
const PROJECTS: Record<string, string> = { bbbb1111bbbb1111bbbb1111bbbb1111: 'project0', bbbb2222bbbb2222bbbb2222bbbb2222: 'project1' };

/** As requires(), for the exporter's package (not in test/lib/requirements.ts's list). */
function needsExporter(): { skip?: string } {
  const missing = missingPackages(['prometheus-libvirt-exporter']);
  if (missing.length === 0) return {};
  const why = `Debian package prometheus-libvirt-exporter not installed: \`${installCommand(missing)}\``;
  if (skipMissingAsked()) return { skip: `${why} (${SKIP_MISSING_VARIABLE})` };
  throw new Error(`this test needs ${why}; or set ${SKIP_MISSING_VARIABLE}=1 to skip it`);
}

interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}
interface ParsedFamily {
  readonly type: string;
  readonly samples: ParsedSample[];
}

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        fam = out.setdefault(s.name, {'type': f.type, 'samples': []})
        fam['samples'].append({'name': s.name, 'labels': s.labels, 'value': repr(s.value)})
json.dump(out, sys.stdout)
`;

/** An exposition as the Prometheus Python client's parser reads it, by sample name. */
async function parse(text: string): Promise<Map<string, ParsedFamily>> {
  const child = execFile('/usr/bin/python3', ['-c', PARSE], { maxBuffer: 64 * 2 ** 20 });
  child.stdin?.end(text);
  const out = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`parser: ${stderr}`))));
  });
  const doc = JSON.parse(out) as Record<string, { type: string; samples: { name: string; labels: Record<string, string>; value: string }[] }>;
  return new Map(Object.entries(doc).map(([name, f]) => [name, { type: f.type, samples: f.samples.map((s) => ({ ...s, value: Number(s.value) })) }]));
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return res.text();
}

const libvirtOnly = (families: Map<string, ParsedFamily>): Map<string, ParsedFamily> => new Map([...families].filter(([name]) => name.startsWith('libvirt_')));
/** a series' identity: its labels, with source_file left out (the samples do not carry a disk's path) */
const identity = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'source_file'));

describe("the libvirt exporter's names against Debian's prometheus-libvirt-exporter", { ...requires('libvirt-clients', 'libvirt-daemon', 'python3-prometheus-client'), ...needsExporter() }, () => {
  let exporter: ChildProcess | undefined;
  let url = '';
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    exporter = spawn(EXPORTER, [`--web.listen-address=127.0.0.1:${port}`, `--libvirt.uri=${URI}`, '--libvirt.export-nova-metadata'], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      try {
        await scrape(url);
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  after(() => void exporter?.kill());

  it('the same names, types, label sets and values, for the domains Nova made', async () => {
    const before = libvirtOnly(await parse(await scrape(url)));
    const sampler = new LibvirtSampler({ uri: URI, host: 'compute-1' });
    const samples: AgentSample[] = await sampler.poll(new Set(LIBVIRT_METERS));
    await sampler.close();
    const afterScrape = libvirtOnly(await parse(await scrape(url)));
    const exposition = new CeilometerExposition({
      exporterNames: { libvirt: { novaMetadata: true } },
      identity: { projectName: (id) => PROJECTS[id], userName: () => undefined },
    });
    exposition.update('instances/libvirt', samples);
    const ours = libvirtOnly(await parse(await exposition.metrics()));

    const unmapped = new Set(Object.keys(LIBVIRT_EXPORTER_UNMAPPED));
    assert.deepEqual([...ours.keys()].sort(), [...afterScrape.keys()].filter((n) => !unmapped.has(n)).sort(), 'the same metrics, but those no meter feeds');
    // the exporter lists every domain; the sampler, as Ceilometer, those Nova made (their XML has Nova's metadata: a name label)
    const nova = (s: ParsedSample): boolean => !('name' in s.labels) || s.labels.name !== '';
    for (const [name, theirs] of afterScrape) {
      const mine = ours.get(name);
      if (!mine) continue;
      assert.equal(mine.type, theirs.type, `${name}: type`);
      const earlier = new Map(before.get(name)?.samples.filter(nova).map((s) => [identity(s.labels), s.value]));
      const later = new Map(theirs.samples.filter(nova).map((s) => [identity(s.labels), s.value]));
      const mineByKey = new Map(mine.samples.map((s) => [identity(s.labels), s.value]));
      if (name === 'libvirt_domains_number') {
        const novaDomains = new Set(afterScrape.get('libvirt_domain_state_code')?.samples.filter(nova).map((s) => s.labels.uuid));
        assert.equal(mineByKey.get('[]'), novaDomains.size, 'the domains Nova made');
        continue;
      }
      assert.deepEqual([...mineByKey.keys()].sort(), [...later.keys()].sort(), `${name}: the same series`);
      for (const [key, value] of mineByKey) {
        const [low, high] = [earlier.get(key), later.get(key)];
        assert.ok(low !== undefined && high !== undefined, `${name} ${key} in both scrapes`);
        // Ceilometer's cpu is the vCPUs' time (+ wait), the exporter's the domain's (virDomainGetInfo): not the same reading
        if (name === 'libvirt_domain_info_cpu_time_seconds_total') assert.ok(value > 0, `${name} ${key}`);
        else if (theirs.type === 'counter') assert.ok(low <= value && value <= high, `${name} ${key}: ${low} <= ${value} <= ${high}`);
        else assert.equal(value, high, `${name} ${key}`);
      }
    }
    assert.ok(ours.get('libvirt_domain_block_stats_read_bytes_total')?.samples.every((s) => s.labels.source_file === ''), 'source_file is empty');
  });

  it("a vNIC's domain when the poll has no instance sample: from its resource id, or Nova's nwfilter name", async () => {
    const sampler = new LibvirtSampler({ uri: URI, host: 'compute-1' });
    const samples = await sampler.poll(new Set(LIBVIRT_METERS.filter((m) => m.startsWith('network.'))));
    await sampler.close();
    const exposition = new CeilometerExposition({ exporterNames: true });
    exposition.update('network/libvirt', samples);
    const rx = (await parse(await exposition.metrics())).get('libvirt_domain_interface_stats_receive_bytes_total');
    const domains = Object.fromEntries(rx?.samples.map((s) => [s.labels.target_device, s.labels.domain]) ?? []);
    assert.deepEqual(domains, { tap0001a: 'instance-00000001', tap0001b: 'instance-00000001', tap0002a: 'instance-00000002' });
    // without --libvirt.export-nova-metadata: the exporter's default labels
    assert.deepEqual(Object.keys(rx?.samples[0].labels ?? {}), ['domain', 'source_bridge', 'target_device', 'uuid']);
  });
});

describe('libvirt_up and the sources that are libvirt', () => {
  const cpu: AgentSample = {
    name: 'cpu',
    type: 'cumulative',
    unit: 'ns',
    volume: 2.5e9,
    user_id: 'u',
    project_id: 'p',
    resource_id: 'aaaa',
    timestamp: '2026-12-06T05:00:00',
    resource_metadata: { name: 'instance-1', instance_id: 'aaaa', display_name: 'web', flavor: { name: 'm1' } },
  };

  it('1 after a poll, 0 after a failed one; other sources feed none of the names', async () => {
    const e = new CeilometerExposition({ exporterNames: true });
    e.update('instances/libvirt', [cpu]);
    e.update('elsewhere', [{ ...cpu, resource_id: 'bbbb', resource_metadata: { ...cpu.resource_metadata, instance_id: 'bbbb' } }]);
    let text = await e.metrics();
    assert.ok(text.includes('\nlibvirt_up 1\n'));
    assert.ok(text.includes('\nlibvirt_domain_info_cpu_time_seconds_total{domain="instance-1",uuid="aaaa"} 2.5\n'), 'ns to s');
    assert.ok(!text.includes('uuid="bbbb"'));
    e.failed('instances/libvirt');
    text = await e.metrics();
    assert.ok(text.includes('\nlibvirt_up 0\n'));
    assert.ok(!text.includes('libvirt_domain_info_cpu_time_seconds_total'));
  });

  it('every row of the table names a meter the libvirt sampler makes', () => {
    for (const row of LIBVIRT_EXPORTER_TABLE) assert.ok(LIBVIRT_METERS.includes(row.meter), row.meter);
  });
});
