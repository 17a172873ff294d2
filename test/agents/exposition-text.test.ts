/**
 * The exposition read by real Prometheus parsers: Prometheus's own
 * (`promtool check metrics`, Debian's prometheus 2.42), which must find no
 * error and no lint problem beyond those the mimicked exporters' names
 * bring, and the Prometheus Python client's, which must read back every
 * series with its labels in order and its value, escaped display names
 * included. The samples are the libvirt sampler's on libvirt's test driver,
 * the Ceph sampler's from a reading, Open vSwitch-like ports and names with
 * quotes, backslashes and newlines.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { CEPH_METERS, wantedMeters } from '../../agents/ceph/meters.js';
import { clusterSamples } from '../../agents/ceph/samples.js';
import { CeilometerExposition } from '../../agents/exposition/exposition.js';
import { LIBVIRT_METERS } from '../../agents/libvirt/meters.js';
import { LibvirtSampler } from '../../agents/libvirt/sampler.js';
import type { AgentSample } from '../../agents/sample.js';
import { requires } from '../lib/requirements.js';

const URI = `test://${fileURLToPath(new URL('./libvirt/node.xml', import.meta.url))}`;

/** Runs a program with `input` on stdin: its exit code and output. */
function pipe(command: string, args: readonly string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 256 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      if (code === -1) reject(err);
      else resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        out.append([f.type, s.name, list(s.labels.items()), repr(s.value)])
json.dump(out, sys.stdout)
`;

/** [type, sample name, labels in order, value] of every sample, as the Python client's parser reads the text */
async function pythonParse(text: string): Promise<[string, string, [string, string][], number][]> {
  const { code, stdout, stderr } = await pipe('/usr/bin/python3', ['-c', PARSE], text);
  assert.equal(code, 0, stderr);
  return (JSON.parse(stdout) as [string, string, [string, string][], string][]).map(([t, n, l, v]) => [t, n, l, Number(v)]);
}

const nasty = (display: string, n: number): AgentSample => ({
  name: 'memory.usage',
  type: 'gauge',
  unit: 'MB',
  volume: n,
  user_id: 'u',
  project_id: 'p',
  resource_id: `r${n}`,
  timestamp: '2026-12-06T05:00:00',
  resource_metadata: { display_name: display, name: `instance-${n}`, host: 'h', user_metadata: { server_group: 'a"b' } },
});
const NASTY_NAMES = ['say "hi"', 'C:\\temp\\', 'two\nlines', '\\n is not a newline', 'ünïcødé ☃', '"', '\\', '\n', '{},='];

const port = (n: number): AgentSample => ({
  name: 'switch.port.receive.bytes',
  type: 'cumulative',
  unit: 'B',
  volume: 1000 * n,
  user_id: null,
  project_id: null,
  resource_id: `86065225156673:${n}`,
  timestamp: '2026-12-06T05:00:00',
  resource_metadata: { name: `tap${n}`, bridge: 'br-int', switch: '86065225156673', port_number_on_switch: n },
});

describe('the text, read by real Prometheus parsers', requires('libvirt-clients', 'libvirt-daemon', 'prometheus', 'python3-prometheus-client'), () => {
  const exposition = new CeilometerExposition({ exporterNames: true, identity: { projectName: (id) => `name of ${id}`, userName: () => undefined } });
  let text = '';
  before(async () => {
    const sampler = new LibvirtSampler({ uri: URI, host: 'compute-1' });
    exposition.update('instances/libvirt', await sampler.poll(new Set(LIBVIRT_METERS)));
    await sampler.close();
    const reading = {
      fsid: 'f',
      errors: {},
      cluster: { total: 100, used: 10, available: 90, health: 'HEALTH_ERR' },
      pools: [{ name: 'we"ird\\pool', id: 7, stored: 1, bytes_used: 3, objects: 1, rd: 2, rd_bytes: 4, wr: 5, wr_bytes: 6 }],
      osds: [{ id: 0, up: true, in: false, commit_ms: 1.5, apply_ms: 2 }],
    };
    exposition.update('ceph', clusterSamples(reading, wantedMeters(new Set(CEPH_METERS.map((m) => m.name))), '2026-12-06T05:00:00'));
    exposition.update('ports/ovs', [port(1), port(2)]);
    exposition.update('odd', NASTY_NAMES.map(nasty));
    text = await exposition.metrics();
  });

  it('promtool check metrics: no error; lint only about the names the other exporters chose', async () => {
    const { code, stdout, stderr } = await pipe('promtool', ['check', 'metrics'], text);
    assert.ok(code === 0 || code === 3, `exit ${code} (1 is a parse error): ${stderr}${stdout}`);
    const allowed = [
      /^ceilometer_\w+ no help text$/, // Ceilometer's exporter writes an empty HELP
      /^ceilometer_\w+_total non-counter metrics should not have "_total" suffix$/, // ceph.cluster.bytes.total, a gauge as every Ceilometer series
      /^ceph_pool_(rd|wr)(_bytes)? counter metrics should have "_total" suffix$/, // the mgr module's counters
      /^ceph_osd_(apply|commit)_latency_ms metric names should not contain abbreviated units$/,
    ];
    const problems = `${stdout}${stderr}`.split('\n').filter((l) => l.trim() !== '');
    assert.ok(problems.length > 0, 'promtool ran and linted');
    for (const p of problems) assert.ok(allowed.some((re) => re.test(p)), `unexpected: ${p}`);
  });

  it('the Python client reads back every series: labels in order, values, escaped names', async () => {
    const parsed = await pythonParse(text);
    const expected: [string, string, [string, string][], number][] = [];
    for (const family of await exposition.registry.getMetricsAsJSON()) {
      // the Python client calls untyped `unknown`, and reads a counter's samples under a name ending in _total
      const type = String(family.type) === 'untyped' ? 'unknown' : String(family.type);
      const name = type === 'counter' && !family.name.endsWith('_total') ? `${family.name}_total` : family.name;
      for (const v of family.values) expected.push([type, name, Object.entries(v.labels).map(([k, x]) => [k, String(x)]), v.value]);
    }
    assert.ok(expected.length > 150, `${expected.length} series`);
    assert.deepEqual(parsed, expected);
    const names = parsed.filter(([, n]) => n === 'ceilometer_memory_usage').map(([, , labels]) => Object.fromEntries(labels).resource_name);
    assert.deepEqual(names, NASTY_NAMES.map((d, i) => `${d}:instance-${i}`));
  });

  it('no series twice, no family twice', () => {
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const keys = lines.map((l) => l.slice(0, l.lastIndexOf(' ')));
    assert.equal(new Set(keys).size, keys.length);
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    assert.equal(new Set(types.map((l) => l.split(' ')[2])).size, types.length);
  });
});
