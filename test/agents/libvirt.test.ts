/**
 * The libvirt sampler against libvirt's test driver (real libvirt, no
 * hypervisor): domains with Nova's metadata, disks and vNICs from
 * test/agents/libvirt/node.xml, one shut off, one paused, one Nova did not
 * make. The test driver's counters grow with the clock, so a sample's value
 * is checked between two reads by a separate virsh.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { LIBVIRT_METERS } from '../../agents/libvirt/meters.js';
import { LibvirtSampler } from '../../agents/libvirt/sampler.js';
import type { AgentSample } from '../../agents/sample.js';
import { requires } from '../lib/requirements.js';

const run = promisify(execFile);
const NODE = fileURLToPath(new URL('./libvirt/node.xml', import.meta.url));
const URI = `test://${NODE}`;
const ORACLE = fileURLToPath(new URL('../oracle/ceilometer_compute.py', import.meta.url));
const ALL = new Set(LIBVIRT_METERS);
const WEB = '6a7f5e3c-1d2b-4c8e-9f10-000000000001';
const DB = '6a7f5e3c-1d2b-4c8e-9f10-000000000002';
const SHUT = '6a7f5e3c-1d2b-4c8e-9f10-000000000003';
const PAUSED = '6a7f5e3c-1d2b-4c8e-9f10-000000000004';

/** One virsh command's output, run apart from the sampler. */
async function virsh(command: string): Promise<string> {
  return (await run('virsh', ['-c', URI, command], { encoding: 'utf8' })).stdout;
}

const counter = (out: string, key: string): number => {
  const m = new RegExp(`\\b${key}\\s+(\\d+)`).exec(out);
  assert.ok(m, `${key} in ${out}`);
  return Number(m[1]);
};

const byName = (samples: readonly AgentSample[], name: string, resourceId: string): AgentSample | undefined =>
  samples.find((s) => s.name === name && s.resource_id === resourceId);

describe('libvirt sampler on the test driver', requires('libvirt-clients', 'libvirt-daemon'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-libvirt-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("samples every running domain Nova made, with Ceilometer's names, ids and metadata", async () => {
    const sampler = new LibvirtSampler({ uri: URI, host: 'compute-1' });
    const samples = await sampler.poll(ALL);
    const resources = new Set(samples.filter((s) => s.name === 'cpu').map((s) => s.resource_id));
    assert.deepEqual([...resources].sort(), [WEB, DB, PAUSED].sort(), 'not the shut-off domain, not the one without Nova metadata');
    assert.equal(new Set(samples.map((s) => s.timestamp)).size, 1, 'one timestamp per poll');
    assert.match(samples[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);

    const cpu = byName(samples, 'cpu', WEB)!;
    assert.deepEqual([cpu.type, cpu.unit, cpu.user_id, cpu.project_id], ['cumulative', 'ns', 'aaaa1111aaaa1111aaaa1111aaaa1111', 'bbbb1111bbbb1111bbbb1111bbbb1111']);
    const md = cpu.resource_metadata;
    assert.equal(md.display_name, 'web-1');
    assert.equal(md.name, 'instance-00000001');
    assert.equal(md.instance_type, 'm1.small');
    assert.deepEqual(md.flavor, { id: 'm1.small', name: 'm1.small', vcpus: 2, ram: 2048, disk: 20, ephemeral: 0, swap: 0 });
    assert.deepEqual(md.image, { id: 'cccc3333-cccc-3333-cccc-333333333330' });
    assert.equal(md.instance_host, 'compute-1');
    assert.equal(md.cpu_number, 2);
    assert.equal(byName(samples, 'vcpus', DB)?.volume, 4);
    assert.equal(byName(samples, 'memory', DB)?.volume, 8192);
    assert.equal(byName(samples, 'power.state', WEB)?.volume, 1);
    assert.equal(byName(samples, 'power.state', PAUSED)?.volume, 3);

    // disks with a source only (the empty CD-ROM drive hdc has none)
    const disks = new Set(samples.filter((s) => s.name === 'disk.device.read.bytes').map((s) => s.resource_id));
    assert.deepEqual([...disks].sort(), [`${DB}-vda`, `${WEB}-vda`, `${WEB}-vdb`, `${PAUSED}-vda`].sort());
    assert.equal(byName(samples, 'disk.device.capacity', `${WEB}-vdb`)?.resource_metadata.disk_name, 'vdb');

    // a vNIC's id: its nwfilter when it has one, else instance name, id and device
    const plain = byName(samples, 'network.incoming.bytes', `instance-00000001-${WEB}-tap0001a`)!;
    assert.ok(plain, 'the unfiltered vNIC');
    assert.equal(plain.resource_metadata.mac, 'fa:16:3e:00:00:01');
    const filtered = byName(samples, 'network.incoming.bytes', 'nova-instance-instance-00000001-fa163e000002')!;
    assert.ok(filtered, 'the vNIC with a filterref');
    assert.deepEqual(filtered.resource_metadata.parameters, { ip: '10.0.0.10', interfaceid: 'dddd0002-dddd-4ddd-8ddd-dddddddd0002', bridge: 'br-int' });
    assert.equal(filtered.resource_metadata.vnic_name, 'nova-instance-instance-00000001-fa163e000002');
    assert.equal(samples.filter((s) => s.resource_id.includes(SHUT)).length, 0);
  });

  it('reads the counters virsh reports, within the same moment', async () => {
    const sampler = new LibvirtSampler({ uri: URI, host: 'compute-1' });
    const before = { blk: await virsh('domblkstat instance-00000002 vda'), nic: await virsh('domifstat instance-00000002 tap0002a') };
    const samples = await sampler.poll(ALL);
    const afterward = { blk: await virsh('domblkstat instance-00000002 vda'), nic: await virsh('domifstat instance-00000002 tap0002a') };
    const within = (name: string, rid: string, out: keyof typeof before, key: string): void => {
      const v = byName(samples, name, rid)?.volume;
      assert.ok(v !== undefined, `${name} ${rid}`);
      // the test driver's counters pass 2^53: compare as a float64 store keeps them
      assert.ok(v >= counter(before[out], key) && v <= counter(afterward[out], key), `${name}: ${v} within [${counter(before[out], key)}, ${counter(afterward[out], key)}]`);
    };
    within('disk.device.read.bytes', `${DB}-vda`, 'blk', 'rd_bytes');
    within('disk.device.write.requests', `${DB}-vda`, 'blk', 'wr_req');
    within('network.incoming.bytes', `instance-00000002-${DB}-tap0002a`, 'nic', 'rx_bytes');
    within('network.outgoing.packets', `instance-00000002-${DB}-tap0002a`, 'nic', 'tx_packets');
    const info = await virsh('domblkinfo instance-00000002 vda');
    assert.equal(byName(samples, 'disk.device.allocation', `${DB}-vda`)?.volume, counter(info.replace(/:/g, ''), 'Allocation'));

    // deltas: 0 on the first poll, what the counter gained since on the next
    assert.equal(byName(samples, 'network.incoming.bytes.delta', `instance-00000002-${DB}-tap0002a`)?.volume, 0);
    const next = await sampler.poll(ALL);
    const grown = (name: string): number => byName(next, name, `instance-00000002-${DB}-tap0002a`)!.volume - byName(samples, name, `instance-00000002-${DB}-tap0002a`)!.volume;
    assert.equal(byName(next, 'network.incoming.bytes.delta', `instance-00000002-${DB}-tap0002a`)?.volume, grown('network.incoming.bytes'));
    assert.ok(grown('network.incoming.bytes') > 0);
  });

  it('gives only the meters asked for, and runs one virsh per poll', async () => {
    // a virsh that notes each start, then is virsh
    const log = join(dir, 'virsh.log');
    const wrapper = join(dir, 'virsh');
    writeFileSync(wrapper, `#!/bin/sh\necho start >> '${log}'\nexec virsh "$@"\n`);
    chmodSync(wrapper, 0o755);
    const sampler = new LibvirtSampler({ uri: URI, host: 'compute-1', virsh: wrapper, xmlRefreshPolls: 2 });
    const wanted = new Set(['cpu', 'network.outgoing.bytes']);
    for (let i = 0; i < 3; i++) {
      const samples = await sampler.poll(wanted);
      assert.deepEqual(new Set(samples.map((s) => s.name)), wanted);
    }
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 3, 'three polls, three virsh processes');
    assert.ok(sampler.lastReport!.commands > 3, 'several commands in that one process');
  });

  it('fails a poll with the URI and libvirt\'s reason when libvirt cannot be reached', async () => {
    const sampler = new LibvirtSampler({ uri: 'test:///nonexistent/node.xml', host: 'compute-1' });
    await assert.rejects(sampler.poll(ALL), (err: Error) => err.message.includes('test:///nonexistent/node.xml') && /error|fail/i.test(err.message));
  });

  it("agrees with Ceilometer 19's compute pollsters on the same domains", requires('python3-ceilometer', 'python3-libvirt'), async () => {
    const sampler = new LibvirtSampler({ uri: URI, host: 'compute-1' });
    const ours = await sampler.poll(ALL);
    const { stdout } = await run('/usr/bin/python3', [ORACLE, URI, 'compute-1'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    const theirs = (JSON.parse(stdout) as { samples: (AgentSample & { volume: number })[] }).samples;
    const later = await sampler.poll(ALL);
    assert.ok(theirs.length >= 40, `${theirs.length} samples from Ceilometer`);
    for (const c of theirs) {
      const o = byName(ours, c.name, c.resource_id);
      assert.ok(o, `tally has ${c.name} for ${c.resource_id}`);
      assert.deepEqual([o.type, o.unit, o.user_id, o.project_id], [c.type, c.unit, c.user_id, c.project_id], `${c.name} ${c.resource_id}`);
      // Ceilometer's cpu on this driver: its bulk stats lack vcpu.*, so it reports 0 ns and no cpu_number; tally asks cpu-stats
      const { cpu_number: _ours, ...ourMd } = o.resource_metadata as Record<string, unknown>;
      const { cpu_number: _theirs, ...theirMd } = c.resource_metadata as Record<string, unknown>;
      assert.deepEqual(ourMd, theirMd, `metadata of ${c.name} ${c.resource_id}`);
      if (c.name === 'cpu') continue;
      if (c.type === 'cumulative') {
        const l = byName(later, c.name, c.resource_id)!.volume;
        assert.ok(c.volume >= o.volume && c.volume <= l, `${c.name} ${c.resource_id}: Ceilometer's ${c.volume} between tally's ${o.volume} and ${l}`);
      } else if (c.type === 'gauge') assert.equal(o.volume, c.volume, `${c.name} ${c.resource_id}`);
    }
    // what tally has beyond: the groups Ceilometer's calls do not get from this driver (disk I/O, cpu time) and later Ceilometer's meters
    const extra = new Set(ours.filter((o) => !theirs.some((c) => c.name === o.name && c.resource_id === o.resource_id)).map((o) => o.name));
    assert.deepEqual([...extra].sort(), ['disk.device.read.bytes', 'disk.device.read.requests', 'disk.device.write.bytes', 'disk.device.write.requests', 'memory', 'power.state', 'vcpus']);
  });
});
