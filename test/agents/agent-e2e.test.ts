/**
 * The agent end to end: libvirt's test driver → `tally agent` → RabbitMQ →
 * tally's collector → the store, read back with the real gnocchi CLI; then
 * the link to the broker cut for several polls and restored, and every
 * poll's sample in the store exactly once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { RunningAgent } from '../../agents/agent.js';
import type { AgentSample } from '../../agents/sample.js';
import { startTestAgent, watchedLibvirtSampler } from '../helpers/agent.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { requires } from '../lib/requirements.js';

const run = promisify(execFile);
const WEB = '6a7f5e3c-1d2b-4c8e-9f10-000000000001';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = `: last ${(err as Error).message}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last}`);
    await sleep(200);
  }
}

describe('agent → RabbitMQ → tally', requires('libvirt-clients', 'libvirt-daemon', 'python3-gnocchiclient'), () => {
  const names = { exchange: `tally-agent-test-${process.pid}`, topic: `tally-agent-test-${process.pid}` };
  const dir = mkdtempSync(join(tmpdir(), 'tally-agent-e2e-'));
  const proxy = new TcpProxy('127.0.0.1', 5672);
  let tally: TestServer;
  let agent: RunningAgent;
  let published: AgentSample[][] = [];

  const gnocchi = async (...args: string[]): Promise<any> => {
    const env = { ...process.env, OS_AUTH_TYPE: 'gnocchi-noauth', GNOCCHI_ENDPOINT: tally.url, GNOCCHI_USER_ID: 'admin', GNOCCHI_PROJECT_ID: 'admin', GNOCCHI_ROLES: 'admin' };
    try {
      const { stdout } = await run('gnocchi', [...args, '-f', 'json'], { env, encoding: 'utf8' });
      return JSON.parse(stdout);
    } catch (err) {
      throw new Error(`gnocchi ${args.join(' ')}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
  };

  before(async () => {
    // as an operator polling often would: the instance's cpu in a one-second policy of its own, with a count to see duplicates
    const resources = readFileSync(fileURLToPath(new URL('../../collector/data/gnocchi_resources.yaml', import.meta.url)), 'utf8')
      .replace('archive_policies:\n', 'archive_policies:\n  - name: agent-test\n    aggregation_methods: [mean, count, rate:mean]\n    back_window: 2\n    definition:\n      - granularity: 1 second\n        timespan: 1 hour\n')
      .replace(/(\n      cpu:\n\s+archive_policy_name: )ceilometer-low-rate/, '$1agent-test');
    assert.match(resources, /cpu:\n\s+archive_policy_name: agent-test/);
    writeFileSync(join(dir, 'gnocchi_resources.yaml'), resources);
    tally = await startTestServer(
      { amqp_url: 'amqp://guest:guest@127.0.0.1:5672/', amqp_exchanges: names.exchange, amqp_topics: names.topic, gnocchi_resources: join(dir, 'gnocchi_resources.yaml') },
      { collector: true },
    );
    await proxy.start();
    // the sampler the agent polls, watched: what each poll gave is what the store must end up with
    const { sampler, polls } = watchedLibvirtSampler();
    published = polls;
    agent = await startTestAgent(dir, {
      libvirtUri: null,
      extraSamplers: [sampler],
      amqpUrl: `amqp://guest:guest@127.0.0.1:${proxy.port}/`,
      amqpExchange: names.exchange,
      amqpTopic: names.topic,
      // a long interval: the test polls when it wants (the first poll runs at start)
      polling: [{ name: 'instances', interval: 3600, meters: ['cpu', 'memory', 'vcpus', 'network.*'] }],
    });
  });
  after(async () => {
    await agent?.stop();
    await proxy.cut();
    await tally?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores an instance's cpu as the test driver reported it, readable with the gnocchi CLI", async () => {
    await waitFor('the agent connected', async () => (agent.publisher!.stats.connected ? true : undefined));
    // two polls in consecutive seconds (1 s buckets): a rate needs the bucket before it, whichever aggregation sweep folds each
    await sleep(1100);
    for (let i = 0; i < 2; i++) {
      await sleep(1000 - (Date.now() % 1000) + 50);
      await agent.pollAll();
    }
    const cpu = published.flat().filter((s) => s.name === 'cpu' && s.resource_id === WEB);
    assert.ok(cpu.length >= 1);
    const measures = await waitFor('cpu measures of web-1', async () => {
      const m = (await gnocchi('measures', 'show', '--resource-id', WEB, 'cpu', '--granularity', '1')) as { timestamp: string; value: number }[];
      return m.length >= cpu.length ? m : undefined;
    });
    assert.deepEqual(
      measures.map((m) => m.value),
      cpu.map((s) => s.volume),
    );
    const resource = await gnocchi('resource', 'show', '--type', 'instance', WEB);
    assert.equal(resource.type, 'instance', JSON.stringify(resource));
    assert.equal(resource.display_name, 'web-1');
    assert.equal(resource.flavor_name, 'm1.small');
    // the rate at the last poll is what the counter gained since the one before (a second apart, within the policy's back window)
    const last = new Date(`${cpu[cpu.length - 1].timestamp.slice(0, 19)}+00:00`).toISOString();
    const rate = await waitFor('the rate at the last poll', async () => {
      const r = (await gnocchi('measures', 'show', '--resource-id', WEB, 'cpu', '--granularity', '1', '--aggregation', 'rate:mean')) as { timestamp: string; value: number }[];
      return r.find((p) => new Date(p.timestamp).toISOString() === last);
    });
    assert.equal(rate.value, cpu[cpu.length - 1].volume - cpu[cpu.length - 2].volume);
  });

  it('loses nothing while the broker cannot be reached, and stores nothing twice', async () => {
    const before = published.length;
    await proxy.cut();
    for (let i = 0; i < 3; i++) {
      await sleep(1100);
      await agent.pollAll();
    }
    assert.ok(agent.spool && !agent.spool.empty, 'the polls of the outage are in the spool');
    assert.ok(agent.publisher!.stats.spooled > 0);
    // alive all along, not ready while the broker is out of reach, and says why (without the password)
    const health = async (path: string): Promise<{ status: number; body: { status: string; reason?: string } }> => {
      const res = await fetch(agent.metricsUrl.replace(/\/metrics$/, path));
      return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
    };
    assert.deepEqual(await health('/healthz'), { status: 200, body: { status: 'alive' } });
    const outage = await health('/readyz');
    assert.equal(outage.status, 503);
    assert.match(outage.body.reason ?? '', /not connected to the broker amqp:\/\/guest:\*+@127\.0\.0\.1:\d+\/: samples are spooled/);
    await proxy.start();
    await waitFor('the spool drained', async () => (agent.spool!.empty && agent.publisher!.stats.connected ? true : undefined), 30_000);
    assert.deepEqual(await health('/readyz'), { status: 200, body: { status: 'ready' } });
    await sleep(1100);
    await agent.pollAll();
    assert.equal(published.length, before + 4);
    const cpu = published.flat().filter((s) => s.name === 'cpu' && s.resource_id === WEB);
    const measures = await waitFor('every poll stored', async () => {
      const m = (await gnocchi('measures', 'show', '--resource-id', WEB, 'cpu', '--granularity', '1')) as { value: number }[];
      return m.length >= cpu.length ? m : undefined;
    });
    await sleep(1500);
    const final = (await gnocchi('measures', 'show', '--resource-id', WEB, 'cpu', '--granularity', '1')) as { value: number }[];
    assert.equal(final.length, measures.length, 'nothing more arrives');
    assert.deepEqual(
      final.map((m) => m.value),
      cpu.map((s) => s.volume),
      'each poll once, in order',
    );
    // a sample delivered twice would be a second measure in its second: counted
    const counts = (await gnocchi('measures', 'show', '--resource-id', WEB, 'cpu', '--granularity', '1', '--aggregation', 'count')) as { value: number }[];
    assert.deepEqual(counts.map((c) => c.value), cpu.map(() => 1));
    assert.equal(agent.spool!.dropped.samples, 0);
  });
});
