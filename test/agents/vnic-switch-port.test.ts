/**
 * The two views of an instance's network port on one node: libvirt's vNIC
 * (the `network.*` meters, from the domain) and Open vSwitch's port (the
 * `switch.port.*` meters, from OVSDB). The test-driver domains of
 * test/agents/libvirt/node.xml are plugged into a real ovs-vswitchd as Nova's
 * os-vif plugs them: a port named as the domain's tap device, carrying
 * Neutron's port id (the XML's `interfaceid`), the instance's uuid and the
 * vNIC's MAC in `external_ids`. Both samplers poll; every vNIC must pair with
 * exactly one switch port that names the same instance, MAC and device, and
 * the counters must move the way traffic does: a frame the instance sends is
 * received by its switch port and, flooded, transmitted by the others.
 *
 * libvirt's test driver derives its interface counters from the clock, not
 * from traffic, so the libvirt side can only be held to being cumulative
 * counters that never go back; the exact counts are checked on the switch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LibvirtSampler } from '../../agents/libvirt/sampler.js';
import { OvsSampler } from '../../agents/ovs/sampler.js';
import type { AgentSample } from '../../agents/sample.js';
import { TEST_DRIVER_URI } from '../helpers/agent.js';
import { requires } from '../lib/requirements.js';
import { type OvsSandbox, startOvs } from './ovs/sandbox.js';

/** the interfaces of node.xml's running domains, as the XML writes them */
const VNICS = [
  { dev: 'tap0001a', instance: '6a7f5e3c-1d2b-4c8e-9f10-000000000001', mac: 'fa:16:3e:00:00:01', port: 'dddd0001-dddd-4ddd-8ddd-dddddddd0001' },
  { dev: 'tap0001b', instance: '6a7f5e3c-1d2b-4c8e-9f10-000000000001', mac: 'fa:16:3e:00:00:02', port: 'dddd0002-dddd-4ddd-8ddd-dddddddd0002' },
  { dev: 'tap0002a', instance: '6a7f5e3c-1d2b-4c8e-9f10-000000000002', mac: 'fa:16:3e:00:00:03', port: 'dddd0003-dddd-4ddd-8ddd-dddddddd0003' },
] as const;
const FRAMES = 7;
/** a UDP broadcast from tap0001a's instance: the bridge (NORMAL) floods it out of every other port */
const FRAME = 'in_port(1),eth(src=fa:16:3e:00:00:01,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0800),ipv4(src=10.0.0.10,dst=10.0.0.255,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=2000)';
/** Ethernet, IPv4 and UDP headers: the least a frame of FRAME weighs (OVS may pad it) */
const HEADER_BYTES = 14 + 20 + 8;

const NIC_COUNTERS = ['network.incoming.bytes', 'network.outgoing.bytes', 'network.incoming.packets', 'network.outgoing.packets'];
const PORT_COUNTERS = ['switch.port', 'switch.port.receive.packets', 'switch.port.transmit.packets', 'switch.port.receive.bytes', 'switch.port.transmit.bytes'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** volume of `meter` per device name (`resource_metadata.name`, the tap device on both sides) */
function byDevice(samples: readonly AgentSample[], meter: string): Map<string, AgentSample> {
  return new Map(samples.filter((s) => s.name === meter).map((s) => [String(s.resource_metadata.name), s]));
}

function volumeOf(samples: readonly AgentSample[], meter: string, dev: string): number {
  const sample = byDevice(samples, meter).get(dev);
  assert.ok(sample, `${meter} of ${dev}`);
  return sample.volume;
}

describe("libvirt's vNICs and Open vSwitch's ports of the same instances", { timeout: 120_000, ...requires('openvswitch-switch', 'libvirt-clients', 'libvirt-daemon') }, () => {
  let ovs: OvsSandbox;
  let libvirt: LibvirtSampler;
  let openvswitch: OvsSampler;
  const poll = async (): Promise<{ nics: AgentSample[]; ports: AgentSample[] }> => {
    const [nics, ports] = await Promise.all([libvirt.poll(new Set(NIC_COUNTERS)), openvswitch.poll(new Set(PORT_COUNTERS))]);
    return { nics, ports };
  };
  const rxPackets = async (dev: string): Promise<number> => Number(await ovs.vsctl('get', 'interface', dev, 'statistics:rx_packets'));

  before(async () => {
    ovs = await startOvs();
    const plug = VNICS.flatMap((v, i) => [
      '--', 'add-port', 'br-int', v.dev,
      '--', 'set', 'interface', v.dev, 'type=dummy', `ofport_request=${i + 1}`,
      `external_ids:iface-id=${v.port}`, `external_ids:vm-uuid=${v.instance}`, `external_ids:attached-mac=${v.mac}`, 'external_ids:iface-status=active',
    ]);
    await ovs.vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=dummy', ...plug);
    libvirt = new LibvirtSampler({ uri: TEST_DRIVER_URI, host: 'compute-1' });
    openvswitch = new OvsSampler({ target: ovs.unixTarget });
  });

  after(async () => {
    await openvswitch?.close().catch(() => undefined);
    await libvirt?.close();
    await ovs?.stop();
  });

  it('pairs every vNIC with the one switch port of the same instance, MAC and device', async () => {
    const { nics, ports } = await poll();
    const vnics = byDevice(nics, 'network.incoming.bytes');
    const switchPorts = byDevice(ports, 'switch.port');
    assert.deepEqual([...vnics.keys()].sort(), VNICS.map((v) => v.dev), 'libvirt reports the running domains\' vNICs');
    for (const v of VNICS) {
      const nic = vnics.get(v.dev);
      const port = switchPorts.get(v.dev);
      assert.ok(nic && port, v.dev);
      assert.equal(nic.resource_metadata.instance_id, v.instance, `${v.dev}: libvirt's instance`);
      assert.equal(port.resource_metadata.instance_id, nic.resource_metadata.instance_id, `${v.dev}: same instance`);
      assert.equal(port.resource_metadata.mac, nic.resource_metadata.mac, `${v.dev}: same MAC`);
      assert.equal(port.resource_metadata.neutron_port_id, v.port, `${v.dev}: Neutron's port`);
      assert.ok(nic.resource_id.includes(v.instance) || nic.resource_id.startsWith('nova-instance-'), `${v.dev}: vNIC resource ${nic.resource_id}`);
      assert.match(port.resource_id, /^\d+:\d+$/, `${v.dev}: switch port resource`);
    }
    // and no port claims an instance libvirt does not run
    const claimed = [...switchPorts.values()].filter((p) => p.resource_metadata.instance_id !== undefined);
    assert.deepEqual(claimed.map((p) => String(p.resource_metadata.name)).sort(), [...vnics.keys()].sort());
  });

  it("moves the counters as traffic does: what an instance sends, its switch port receives and the others transmit", async () => {
    const before = await poll();
    const sent = await rxPackets('tap0001a');
    await ovs.appctl('vswitchd', 'netdev-dummy/receive', 'tap0001a', ...Array<string>(FRAMES).fill(FRAME));
    // vswitchd writes its counters to OVSDB every few seconds
    for (const until = Date.now() + 30_000; (await rxPackets('tap0001a')) < sent + FRAMES; await sleep(250)) {
      assert.ok(Date.now() < until, 'ovs-vswitchd did not publish the counters');
    }
    const later = await poll();
    const change = (meter: string, dev: string): number => volumeOf(later.ports, meter, dev) - volumeOf(before.ports, meter, dev);
    assert.equal(change('switch.port.receive.packets', 'tap0001a'), FRAMES);
    const received = change('switch.port.receive.bytes', 'tap0001a');
    const frameBytes = received / FRAMES;
    assert.ok(Number.isInteger(frameBytes) && frameBytes >= HEADER_BYTES, `${received} bytes for ${FRAMES} frames`);
    for (const dev of ['tap0001b', 'tap0002a']) {
      assert.equal(change('switch.port.transmit.packets', dev), FRAMES, `${dev} transmits the flood`);
      assert.equal(change('switch.port.transmit.bytes', dev), received, `${dev} transmits the flood`);
      assert.equal(change('switch.port.receive.packets', dev), 0, `${dev} sent nothing`);
    }
    // libvirt's side: cumulative counters of the same devices that never went back
    for (const v of VNICS) {
      for (const meter of NIC_COUNTERS) {
        const a = volumeOf(before.nics, meter, v.dev);
        const b = volumeOf(later.nics, meter, v.dev);
        assert.ok(b >= a, `${meter} of ${v.dev} went back: ${a} → ${b}`);
        assert.equal(byDevice(later.nics, meter).get(v.dev)?.type, 'cumulative');
      }
    }
  });
});
