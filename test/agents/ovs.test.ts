/**
 * The Open vSwitch sampler against a real ovsdb-server and ovs-vswitchd
 * (userspace dummy datapath) started in a temporary directory: a bridge with
 * two instance ports carrying Nova's and Neutron's external_ids, packets
 * injected with netdev-dummy/receive, and what the sampler reports checked
 * against ovs-vsctl and against Ceilometer 19's own pollster definitions.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OvsdbError } from '../../agents/ovs/ovsdb-client.js';
import { OvsSampler } from '../../agents/ovs/sampler.js';
import type { AgentSample } from '../../agents/sample.js';
import { requires } from '../lib/requirements.js';
import { type OvsSandbox, startOvs } from './ovs/sandbox.js';

/** Ceilometer 19's switch port meters and units, written from ceilometer/network/statistics/port.py */
const CEILOMETER_METERS: Record<string, { type: string; unit: string; statistic: string | null }> = {
  'switch.port': { type: 'gauge', unit: 'port', statistic: null },
  'switch.port.receive.packets': { type: 'cumulative', unit: 'packet', statistic: 'rx_packets' },
  'switch.port.transmit.packets': { type: 'cumulative', unit: 'packet', statistic: 'tx_packets' },
  'switch.port.receive.bytes': { type: 'cumulative', unit: 'B', statistic: 'rx_bytes' },
  'switch.port.transmit.bytes': { type: 'cumulative', unit: 'B', statistic: 'tx_bytes' },
  'switch.port.receive.drops': { type: 'cumulative', unit: 'packet', statistic: 'rx_dropped' },
  'switch.port.transmit.drops': { type: 'cumulative', unit: 'packet', statistic: 'tx_dropped' },
  'switch.port.receive.errors': { type: 'cumulative', unit: 'packet', statistic: 'rx_errors' },
  'switch.port.transmit.errors': { type: 'cumulative', unit: 'packet', statistic: 'tx_errors' },
  'switch.port.receive.frame_error': { type: 'cumulative', unit: 'packet', statistic: 'rx_frame_err' },
  'switch.port.receive.overrun_error': { type: 'cumulative', unit: 'packet', statistic: 'rx_over_err' },
  'switch.port.receive.crc_error': { type: 'cumulative', unit: 'packet', statistic: 'rx_crc_err' },
  'switch.port.collision.count': { type: 'cumulative', unit: 'packet', statistic: 'collisions' },
};
const ALL = new Set(Object.keys(CEILOMETER_METERS));

const INSTANCE = 'f1b1a7a4-3b0e-4d5e-9c55-2f6b0e3c7a10';
const PORTS = {
  tap1: { neutron: '5a0c3f0e-9a39-4c1b-8f0e-6f3d4a1b2c01', mac: 'fa:16:3e:00:00:01' },
  tap2: { neutron: '5a0c3f0e-9a39-4c1b-8f0e-6f3d4a1b2c02', mac: 'fa:16:3e:00:00:02' },
} as const;
/** a UDP broadcast from tap1's instance: the bridge (NORMAL action) floods it out of tap2 and br-int */
const PACKET = 'in_port(1),eth(src=fa:16:3e:00:00:01,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=2000)';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** rejects with an OvsdbError whose message matches */
const rejectsWith = (promise: Promise<unknown>, message: RegExp): Promise<void> =>
  assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof OvsdbError, String(err));
    assert.match(err.message, message);
    return true;
  });
const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** `ovs-vsctl get interface X statistics` prints `{rx_bytes=318, rx_packets=3, …}` */
function parseStatistics(text: string): Map<string, number> {
  return new Map([...text.matchAll(/([a-z0-9_]+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

function volumes(samples: readonly AgentSample[], name: string): Map<string, number> {
  return new Map(samples.filter((s) => s.name === name).map((s) => [String(s.resource_metadata.name), s.volume]));
}

describe('Open vSwitch sampler on a real ovsdb-server and ovs-vswitchd', { timeout: 120_000, ...requires('openvswitch-switch') }, () => {
  let ovs: OvsSandbox;
  const opened: OvsSampler[] = [];
  const sampler = (target: string, timeoutMs?: number): OvsSampler => {
    const s = new OvsSampler({ target, timeoutMs });
    opened.push(s);
    return s;
  };
  const statistics = async (iface: string): Promise<Map<string, number>> => parseStatistics(await ovs.vsctl('get', 'interface', iface, 'statistics'));
  /** vswitchd writes counters to OVSDB every few seconds: wait (bounded) until they show what was sent */
  const waitForStatistics = async (want: Record<string, Record<string, number>>): Promise<void> => {
    const until = Date.now() + 30_000;
    for (;;) {
      let seen = '';
      let ok = true;
      for (const [iface, keys] of Object.entries(want)) {
        const stats = await statistics(iface);
        seen += `${iface} ${JSON.stringify(Object.fromEntries(stats))} `;
        for (const [k, v] of Object.entries(keys)) ok &&= stats.get(k) === v;
      }
      if (ok) return;
      if (Date.now() > until) throw new Error(`statistics did not reach ${JSON.stringify(want)}: ${seen}`);
      await sleep(250);
    }
  };
  const inject = (count: number): Promise<string> => ovs.appctl('vswitchd', 'netdev-dummy/receive', 'tap1', ...Array<string>(count).fill(PACKET));
  /** transacts with select operations that ovsdb-server logged receiving (ovs-vsctl and vswitchd never select) */
  const selectsLogged = (): number =>
    readFileSync(ovs.ovsdbLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('received request, method="transact"') && l.includes('"op":"select"')).length;

  before(async () => {
    ovs = await startOvs();
    await ovs.appctl('ovsdb', 'vlog/set', 'jsonrpc:file:dbg');
    const port = (name: keyof typeof PORTS, ofport: number): string[] => [
      '--', 'add-port', 'br-int', name,
      '--', 'set', 'interface', name, 'type=dummy', `ofport_request=${ofport}`,
      `external_ids:iface-id=${PORTS[name].neutron}`, `external_ids:vm-uuid=${INSTANCE}`, `external_ids:attached-mac=${PORTS[name].mac}`,
      'external_ids:iface-status=active',
    ];
    await ovs.vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=dummy', ...port('tap1', 1), ...port('tap2', 2));
    await inject(5);
    await waitForStatistics({ tap1: { rx_packets: 5 }, tap2: { tx_packets: 5 } });
  });

  after(async () => {
    for (const s of opened) await s.close().catch(() => undefined);
    await ovs?.stop();
  });

  it('reads every port with one transact per poll, and none when no meter is wanted', async () => {
    const s = sampler(ovs.unixTarget);
    const logged = selectsLogged();
    await s.poll(ALL);
    assert.equal(s.client.requests, 1);
    await s.poll(new Set(['switch.port.receive.bytes']));
    assert.equal(s.client.requests, 2);
    assert.deepEqual(await s.poll(new Set(['cpu', 'switch.port.uptime'])), []);
    assert.equal(s.client.requests, 2);
    assert.equal(s.client.connections, 1, 'one connection, kept');
    assert.equal(selectsLogged() - logged, 2, 'ovsdb-server received two transactions');
  });

  it("produces Ceilometer's meter names, types and units, one switch.port of 1 per port", async () => {
    const s = sampler(ovs.unixTarget);
    assert.deepEqual(new Set(s.meters), ALL);
    const samples = await s.poll(ALL);
    for (const sample of samples) {
      const m = CEILOMETER_METERS[sample.name];
      assert.ok(m, sample.name);
      assert.equal(sample.type, m.type, sample.name);
      assert.equal(sample.unit, m.unit, sample.name);
    }
    assert.deepEqual(volumes(samples, 'switch.port'), new Map([['br-int', 1], ['tap1', 1], ['tap2', 1]]));
  });

  it("agrees with Ceilometer 19's pollsters and its switch_port resource type", requires('python3-ceilometer'), async () => {
    // the pollsters polling.yaml names, and the attributes the gnocchi publisher reads from resource_metadata
    const script = `
import json, yaml, importlib.resources
from importlib.metadata import entry_points
meters = {}
for ep in entry_points(group='ceilometer.poll.central'):
    if ep.name == 'switch.port' or ep.name.startswith('switch.port.'):
        c = ep.load()
        meters[c.meter_name] = [c.meter_type, c.meter_unit]
with open('/usr/lib/python3/dist-packages/ceilometer/publisher/data/gnocchi_resources.yaml') as f:
    resources = yaml.safe_load(f)['resources']
rt = [r for r in resources if r['resource_type'] == 'switch_port'][0]
print(json.dumps({'meters': meters, 'gnocchi_metrics': sorted(rt['metrics']), 'attributes': rt['attributes']}))
`;
    const oracle = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })) as {
      meters: Record<string, [string, string]>;
      gnocchi_metrics: string[];
      attributes: Record<string, string>;
    };
    const s = sampler(ovs.unixTarget);
    // every switch port meter of Ceilometer, except the uptime OVSDB cannot tell
    assert.deepEqual(new Set(Object.keys(oracle.meters)), new Set([...s.meters, 'switch.port.uptime']));
    assert.deepEqual(new Set(oracle.gnocchi_metrics), new Set([...s.meters, 'switch.port.uptime']));
    const samples = await s.poll(ALL);
    for (const sample of samples) assert.deepEqual([sample.type, sample.unit], oracle.meters[sample.name], sample.name);
    const tap1 = samples.find((x) => x.name === 'switch.port' && x.resource_metadata.name === 'tap1');
    assert.ok(tap1);
    for (const [attribute, path] of Object.entries(oracle.attributes)) {
      const key = path.replace(/^resource_metadata\./, '');
      assert.notEqual(tap1.resource_metadata[key], undefined, `switch_port attribute ${attribute} (${path})`);
    }
  });

  it('identifies ports as <datapath id>:<OpenFlow port> and ties them to their instance and Neutron port', async () => {
    const s = sampler(ovs.unixTarget);
    const datapathId = JSON.parse(await ovs.vsctl('get', 'bridge', 'br-int', 'datapath_id')) as string;
    const dpid = BigInt(`0x${datapathId}`).toString();
    const started = Date.now();
    const samples = await s.poll(ALL);
    const ended = Date.now();
    for (const name of ['tap1', 'tap2'] as const) {
      const ofport = Number(await ovs.vsctl('get', 'interface', name, 'ofport'));
      const macInUse = JSON.parse(await ovs.vsctl('get', 'interface', name, 'mac_in_use')) as string;
      const mine = samples.filter((x) => x.resource_metadata.name === name);
      assert.ok(mine.length >= 5, `${name}: ${mine.length} samples`);
      for (const sample of mine) {
        assert.equal(sample.resource_id, `${dpid}:${ofport}`);
        assert.equal(sample.user_id, null);
        assert.equal(sample.project_id, null);
        assert.deepEqual(sample.resource_metadata, {
          controller: 'OpenvSwitch',
          switch: dpid,
          port_number_on_switch: ofport,
          bridge: 'br-int',
          name,
          type: 'dummy',
          neutron_port_id: PORTS[name].neutron,
          instance_id: INSTANCE,
          mac: PORTS[name].mac,
          iface_status: 'active',
          link_state: 'up',
          admin_state: 'up',
          mac_in_use: macInUse,
        });
      }
    }
    const local = samples.find((x) => x.resource_metadata.name === 'br-int');
    assert.equal(local?.resource_id, `${dpid}:65534`, "the bridge's own port is OpenFlow's LOCAL");
    assert.equal(local?.resource_metadata.neutron_port_id, undefined);
    // one timestamp per poll, Python's naive utcnow().isoformat(), within the poll
    assert.equal(new Set(samples.map((x) => x.timestamp)).size, 1);
    const stamp = samples[0].timestamp;
    assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    const ms = Date.parse(`${stamp.slice(0, 23)}Z`);
    assert.ok(ms >= Math.floor(started / 1000) * 1000 && ms <= ended, `${stamp} within the poll`);
  });

  it('reports the counters ovs-vsctl shows, cumulative, growing with traffic', async () => {
    const s = sampler(ovs.unixTarget);
    const check = async (): Promise<AgentSample[]> => {
      const names = ['br-int', 'tap1', 'tap2'];
      const beforePoll = await Promise.all(names.map(statistics));
      const samples = await s.poll(ALL);
      const afterPoll = await Promise.all(names.map(statistics));
      // no traffic meanwhile: the counters ovs-vsctl saw on both sides are the ones polled
      assert.deepEqual(afterPoll, beforePoll);
      names.forEach((name, i) => {
        const stats = beforePoll[i];
        const produced = new Map(samples.filter((x) => x.resource_metadata.name === name).map((x) => [x.name, x.volume]));
        const expected = new Map(
          Object.entries(CEILOMETER_METERS).flatMap(([meter, m]): [string, number][] => {
            if (m.statistic === null) return [[meter, 1]];
            const v = stats.get(m.statistic);
            return v === undefined ? [] : [[meter, v]];
          }),
        );
        assert.deepEqual(produced, expected, name);
      });
      return samples;
    };
    const first = await check();
    const rx = volumes(first, 'switch.port.receive.packets');
    const rxBytes = volumes(first, 'switch.port.receive.bytes');
    const tx = volumes(first, 'switch.port.transmit.packets');
    assert.ok((rx.get('tap1') ?? 0) >= 5 && (tx.get('tap2') ?? 0) >= 5, JSON.stringify([...rx, ...tx]));
    const packetBytes = (rxBytes.get('tap1') ?? 0) / (rx.get('tap1') ?? 1);
    assert.ok(packetBytes >= 42, `${packetBytes} bytes per packet`);

    await inject(3);
    await waitForStatistics({ tap1: { rx_packets: (rx.get('tap1') ?? 0) + 3 }, tap2: { tx_packets: (tx.get('tap2') ?? 0) + 3 } });
    const second = await check();
    assert.equal(volumes(second, 'switch.port.receive.packets').get('tap1'), (rx.get('tap1') ?? 0) + 3);
    assert.equal(volumes(second, 'switch.port.receive.bytes').get('tap1'), (rxBytes.get('tap1') ?? 0) + 3 * packetBytes);
    assert.equal(volumes(second, 'switch.port.transmit.packets').get('tap2'), (tx.get('tap2') ?? 0) + 3);
    assert.equal(volumes(second, 'switch.port.transmit.bytes').get('tap2'), (volumes(first, 'switch.port.transmit.bytes').get('tap2') ?? 0) + 3 * packetBytes);
  });

  it('returns only the wanted meters', async () => {
    const wanted = new Set(['switch.port', 'switch.port.transmit.bytes', 'disk.read.bytes']);
    const samples = await sampler(ovs.unixTarget).poll(wanted);
    assert.deepEqual(new Set(samples.map((x) => x.name)), new Set(['switch.port', 'switch.port.transmit.bytes']));
    assert.equal(samples.length, 6);
  });

  it("works over TCP alike, keeping its connection through the server's echo probes", async () => {
    const overUnix = await sampler(ovs.unixTarget).poll(ALL);
    const s = sampler(ovs.tcpTarget);
    const overTcp = await s.poll(ALL);
    const strip = (xs: readonly AgentSample[]): unknown[] => xs.map(({ timestamp: _, ...rest }) => rest);
    assert.deepEqual(strip(overTcp), strip(overUnix));
    // ovsdb-server probes an idle TCP client after 5 s and drops it 5 s later unless it answers
    await sleep(11_000);
    assert.equal((await s.poll(new Set(['switch.port']))).length, 3);
    assert.equal(s.client.connections, 1, 'the connection survived the probes');
    assert.match(readFileSync(ovs.ovsdbLog, 'utf8'), /tcp:127\.0\.0\.1:\d+: received reply, result=\[\], id="echo"/);
  });

  it('rejects with an error naming the target when OVSDB cannot be reached', async () => {
    const missing = `unix:${join(ovs.dir, 'absent.sock')}`;
    await rejectsWith(sampler(missing).poll(ALL), new RegExp(`^OVSDB at ${literally(missing)}: unreachable: .*ENOENT`));
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    await rejectsWith(sampler(`tcp:127.0.0.1:${closedPort}`).poll(ALL), new RegExp(`^OVSDB at ${literally(`tcp:127.0.0.1:${closedPort}`)}: unreachable: .*ECONNREFUSED`));
  });

  it('rejects after the timeout when ovsdb-server hangs, and reconnects once it answers again', async () => {
    const s = sampler(ovs.unixTarget, 500);
    assert.equal((await s.poll(new Set(['switch.port']))).length, 3);
    const pid = Number(readFileSync(join(ovs.dir, 'ovsdb.pid'), 'utf8'));
    process.kill(pid, 'SIGSTOP');
    try {
      await rejectsWith(s.poll(ALL), new RegExp(`^OVSDB at ${literally(ovs.unixTarget)}: no answer to transact within 500 ms$`));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.equal((await s.poll(new Set(['switch.port']))).length, 3);
    assert.equal(s.client.connections, 2, 'a fresh connection after the timeout');
  });
});
