/**
 * What the agent puts on the bus is what Ceilometer's own notification agent
 * takes: the bodies the broker delivers (from the queue the agent declares
 * as oslo does), through oslo.messaging's envelope and dispatcher code to
 * Ceilometer 19's TelemetryIpc endpoint (test/oracle/ceilometer_telemetry.py),
 * give back the agent's samples, field for field.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { connect } from 'amqplib';
import type { RunningAgent } from '../../agents/agent.js';
import { startTestAgent, watchedLibvirtSampler } from '../helpers/agent.js';
import { requires } from '../lib/requirements.js';

const ORACLE = fileURLToPath(new URL('../oracle/ceilometer_telemetry.py', import.meta.url));
const AMQP = 'amqp://guest:guest@127.0.0.1:5672/';

function oracle(bodies: unknown[]): Promise<Record<string, unknown>[][]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [ORACLE], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>[][]) : reject(new Error(`oracle exited ${code}: ${err.slice(-2000)}`))));
    child.stdin.end(JSON.stringify(bodies));
  });
}

describe("agent → Ceilometer's notification agent", requires('libvirt-clients', 'libvirt-daemon', 'python3-ceilometer', 'python3-oslo.messaging'), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-agent-ceilo-'));
  const names = { exchange: `tally-agent-ceilo-${process.pid}`, topic: `tally-agent-ceilo-${process.pid}` };
  let agent: RunningAgent | undefined;
  after(async () => {
    await agent?.stop();
    const model = await connect(AMQP);
    const ch = await model.createChannel();
    await ch.deleteQueue(`${names.topic}.sample`).catch(() => undefined);
    await ch.deleteExchange(names.exchange).catch(() => undefined);
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes every sample of a poll as the agent made it', async () => {
    const { sampler, polls } = watchedLibvirtSampler();
    agent = await startTestAgent(dir, {
      libvirtUri: null,
      extraSamplers: [sampler],
      amqpUrl: AMQP,
      amqpExchange: names.exchange,
      amqpTopic: names.topic,
      polling: [{ name: 'instances', interval: 3600, meters: ['*'] }],
    });
    // the first poll ran at start: wait until it is confirmed or spooled and sent
    for (let i = 0; i < 100 && !(agent.publisher!.stats.published + agent.publisher!.stats.replayed >= polls.flat().length && polls.length > 0); i++) await new Promise((r) => setTimeout(r, 100));
    const samples = polls.flat();
    assert.ok(samples.length > 40, `${samples.length} samples`);

    // what the broker delivers, from the queue the agent declared as oslo's notifier does
    const model = await connect(AMQP);
    const ch = await model.createChannel();
    const bodies: unknown[] = [];
    for (;;) {
      const m = await ch.get(`${names.topic}.sample`, { noAck: true });
      if (!m) break;
      assert.equal(m.properties.contentType, 'application/json');
      bodies.push(JSON.parse(m.content.toString()));
    }
    await model.close();
    assert.equal(bodies.length, Math.ceil(samples.length / 50), 'batches of 50 samples');

    const theirs = (await oracle(bodies)).flat();
    assert.equal(theirs.length, samples.length);
    for (let i = 0; i < samples.length; i++) {
      const o = samples[i];
      const c = theirs[i];
      assert.deepEqual(
        [c.name, c.type, c.unit, c.volume, c.user_id, c.project_id, c.resource_id, c.timestamp, c.source],
        [o.name, o.type, o.unit, o.volume, o.user_id, o.project_id, o.resource_id, o.timestamp, 'openstack'],
        `sample ${i}: ${o.name} ${o.resource_id}`,
      );
      assert.deepEqual(c.resource_metadata, o.resource_metadata, `metadata of ${o.name} ${o.resource_id}`);
    }
  });
});
