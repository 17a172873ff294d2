/**
 * A real Prometheus 2.42 scraping `tally agent` on libvirt's test driver,
 * with the recording rule the OpenStack telemetry operator ships for
 * Ceilometer's exporter: one series per domain, named from resource_name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningAgent } from '../../agents/agent.js';
import { startTestAgent } from '../helpers/agent.js';
import { PROMETHEUS_NEEDS, type Service, startPrometheus } from '../helpers/prometheus-services.js';
import { requires } from '../lib/requirements.js';

const RULE = 'sum without(unit, type) (label_replace(rate(ceilometer_cpu[1m]), "vm_name", "$1", "resource_name", "(.*):.*") / 1000000000)';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

describe('Prometheus scraping the agent', requires('libvirt-clients', 'libvirt-daemon', ...PROMETHEUS_NEEDS), () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-agent-prom-'));
  let agent: RunningAgent;
  let prometheus: Service;

  const query = async (q: string): Promise<Series[]> => {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: Series[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  };

  before(async () => {
    agent = await startTestAgent(dir, { polling: [{ name: 'instances', interval: 1, meters: ['*'] }] });
    const target = new URL(agent.metricsUrl).host;
    writeFileSync(join(dir, 'rules.yml'), `groups:\n  - name: ceilometer\n    interval: 1s\n    rules:\n      - record: vm:cpu_usage:rate1m\n        expr: '${RULE}'\n`);
    prometheus = await startPrometheus(
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['${join(dir, 'rules.yml')}']\nscrape_configs:\n  - job_name: tally-agent\n    static_configs:\n      - targets: ['${target}']\n`,
    );
  });
  after(async () => {
    await prometheus?.stop();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("scrapes Ceilometer's names and labels, and the operator's recording rule gives a series per domain", async () => {
    let recorded: Series[] = [];
    for (let i = 0; i < 60 && recorded.length < 3; i++) {
      await sleep(500);
      recorded = await query('vm:cpu_usage:rate1m');
    }
    assert.deepEqual(recorded.map((s) => s.metric.vm_name).sort(), ['db-1', 'paused-1', 'web-1']);
    const cpu = await query('ceilometer_cpu');
    assert.equal(cpu.length, 3);
    const web = cpu.find((s) => s.metric.resource_name === 'web-1:instance-00000001')!;
    assert.ok(web, JSON.stringify(cpu.map((s) => s.metric)));
    assert.equal(web.metric.cpu, '6a7f5e3c-1d2b-4c8e-9f10-000000000001');
    assert.equal(web.metric.project, 'bbbb1111bbbb1111bbbb1111bbbb1111');
    assert.equal(web.metric.unit, 'ns');
    assert.equal(web.metric.counter, 'cpu');
    // the dashboards' power state query
    assert.equal((await query('ceilometer_power_state == 3')).length, 1, 'the paused domain');
    // and the agent's own health
    const up = await query('tally_agent_source_up');
    assert.deepEqual(up.map((s) => [s.metric.sampler, s.value[1]]), [['libvirt', '1']]);
  });
});
