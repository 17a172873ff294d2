/**
 * The agent's sources fail and recover on their own: an Open vSwitch the
 * agent was told to read is not there yet (logged once, retried, reported on
 * /metrics) while libvirt goes on; then a real ovsdb-server appears at that
 * socket and the source works again (logged once). A default source absent
 * from the node is skipped with one line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunningAgent } from '../../agents/agent.js';
import { startTestAgent } from '../helpers/agent.js';
import { requires } from '../lib/requirements.js';
import { type OvsSandbox, startOvs } from './ovs/sandbox.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('agent sources failing and recovering', requires('libvirt-clients', 'libvirt-daemon', 'openvswitch-switch'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-agent-sources-'));
  let agent: RunningAgent | undefined;
  let ovs: OvsSandbox | undefined;
  after(async () => {
    await agent?.stop();
    await ovs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const metrics = async (): Promise<string> => (await fetch(agent!.metricsUrl)).text();
  const up = (text: string, sampler: string): string | undefined => new RegExp(`^tally_agent_source_up\\{source="all",sampler="${sampler}"\\} (\\d)$`, 'm').exec(text)?.[1];

  it('logs a failing source once, keeps the others polling, and logs its recovery once', async () => {
    const logs: string[] = [];
    const socket = join(dir, 'db.sock');
    agent = await startTestAgent(dir, {
      ovsdb: { value: `unix:${socket}`, explicit: true },
      polling: [{ name: 'all', interval: 1, meters: ['*'] }],
      log: (l) => logs.push(l),
    });
    await sleep(3_500);
    const failing = logs.filter((l) => /ovs \(source all\) is failing/.test(l));
    assert.equal(failing.length, 1, logs.join('\n'));
    assert.match(failing[0], new RegExp(socket.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    const ovsTask = agent.tasks.find((t) => t.sampler.name === 'ovs')!;
    assert.ok(ovsTask.health.failures >= 3, `${ovsTask.health.failures} failed polls: retried, not given up`);
    let text = await metrics();
    assert.equal(up(text, 'ovs'), '0');
    assert.equal(up(text, 'libvirt'), '1');
    assert.match(text, /^ceilometer_cpu\{/m, 'libvirt goes on');

    // the switch appears at that socket
    ovs = await startOvs();
    await ovs.vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=dummy');
    symlinkSync(ovs.unixTarget.slice('unix:'.length), socket);
    for (let i = 0; i < 50 && !logs.some((l) => /ovs \(source all\) works again/.test(l)); i++) await sleep(200);
    await sleep(2_500);
    assert.equal(logs.filter((l) => /ovs \(source all\) works again/.test(l)).length, 1, logs.join('\n'));
    assert.equal(logs.filter((l) => /is failing/.test(l)).length, 1);
    text = await metrics();
    assert.equal(up(text, 'ovs'), '1');
    for (let i = 0; i < 30 && !/^ceilometer_switch_port\{/m.test(text); i++) {
      await sleep(200);
      text = await metrics();
    }
    assert.match(text, /^ceilometer_switch_port\{/m, 'the bridge\'s port, sampled');
  });

  it('skips a default source this node does not have, with one line', async () => {
    const logs: string[] = [];
    const other = await startTestAgent(dir, {
      ovsdb: { value: `unix:${join(dir, 'absent.sock')}`, explicit: false },
      polling: [{ name: 'all', interval: 3600, meters: ['*'] }],
      log: (l) => logs.push(l),
    });
    try {
      assert.deepEqual(other.tasks.map((t) => t.sampler.name), ['libvirt']);
      assert.equal(logs.filter((l) => /Open vSwitch: skipped, not on this node \(no OVSDB socket at .*absent\.sock\)/.test(l)).length, 1, logs.join('\n'));
    } finally {
      await other.stop();
    }
  });
});
