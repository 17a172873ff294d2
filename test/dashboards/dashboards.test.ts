/**
 * The dashboards against a tally holding a small cloud's last hour: `tally
 * dashboards build` writes them and Grafana's provisioning files, then every
 * template variable and every panel query is sent as Grafana's Prometheus
 * data source sends it, and each must answer with data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Dashboard, Panel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import { parse } from 'yaml';
import { DASHBOARDS } from '../../dashboards/all.js';
import { runCommand } from '../helpers/run-script.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { INSTANCES, P1, P2, loadCloud, scrapeConfig } from './cloud-data.js';
import {
  type DataSource,
  type PromAnswer,
  applyVariableRegex,
  instantQuery,
  interpolate,
  labelValues,
  rangeQuery,
  timeOf,
  timing,
} from './grafana-prometheus.js';

const bin = fileURLToPath(new URL('../../bin/tally.js', import.meta.url));

let tally: TestServer;
let dir: string;
let now: number;
const built = new Map<string, Dashboard>();
let ds: DataSource;

/** the result of a query answer, asserting it succeeded */
function resultOf(answer: PromAnswer, what: string): { resultType: string; result: unknown } {
  assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.status, 'success', what);
  return answer.body.data as { resultType: string; result: unknown };
}

/** whether a result holds at least one finite number */
function hasData(data: { resultType: string; result: unknown }): boolean {
  if (data.resultType === 'scalar') return Number.isFinite(Number((data.result as [number, string])[1]));
  if (data.resultType === 'vector') return (data.result as { value: [number, string] }[]).some((s) => Number.isFinite(Number(s.value[1])));
  if (data.resultType === 'matrix') return (data.result as { values: [number, string][] }[]).some((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
  return false;
}

const queryVariables = (d: Dashboard): VariableModel[] => (d.templating?.list ?? []).filter((v) => v.type === 'query');
const queryText = (v: VariableModel): string => (typeof v.query === 'string' ? v.query : String((v.query as { query?: unknown } | undefined)?.query ?? ''));

describe('the Grafana dashboards', { timeout: 300_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tally-dashboards-'));
    // the default resource definitions: Ceilometer's, then tally's for the agent's power.state and Ceph meters
    tally = await startTestServer({ prometheus_scrape_config: await scrapeConfig(dir) }, { collector: true, alarms: true });
    now = Date.now();
    await loadCloud(tally.url, now);
    // the build, as an operator runs it, reading this tally
    const out = await runCommand(process.execPath, [bin, 'dashboards', 'build', '--out', join(dir, 'grafana'), '--url', tally.url]);
    assert.match(out, /provisioning\/datasources\/tally\.yaml/);
    for (const file of readdirSync(join(dir, 'grafana', 'dashboards'))) {
      built.set(file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, 'grafana', 'dashboards', file), 'utf8')) as Dashboard);
    }
    const provisioned = parse(readFileSync(join(dir, 'grafana', 'provisioning', 'datasources', 'tally.yaml'), 'utf8')) as {
      datasources: { url: string; uid: string; access: string; jsonData: { httpMethod: string; timeInterval: string } }[];
    };
    const source = provisioned.datasources[0];
    ds = { url: source.url, scrapeInterval: source.jsonData.timeInterval };
  });

  after(async () => {
    await tally?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds every dashboard and the provisioning files', () => {
    assert.deepEqual([...built.keys()].sort(), Object.keys(DASHBOARDS).sort());
    const provider = parse(readFileSync(join(dir, 'grafana', 'provisioning', 'dashboards', 'tally.yaml'), 'utf8')) as { providers: { type: string; options: { path: string } }[] };
    assert.equal(provider.providers[0].type, 'file');
    assert.equal(provider.providers[0].options.path, join(dir, 'grafana', 'dashboards'));
    const source = (parse(readFileSync(join(dir, 'grafana', 'provisioning', 'datasources', 'tally.yaml'), 'utf8')) as { datasources: Record<string, unknown>[] }).datasources[0];
    assert.equal(source.url, tally.url);
    assert.equal(source.access, 'proxy');
    assert.deepEqual((source.jsonData as Record<string, unknown>).httpMethod, 'POST');
    for (const [name, d] of built) {
      const uids = new Set<string>();
      for (const p of d.panels ?? []) {
        if (p.type === 'row') continue;
        for (const t of (p as Panel).targets ?? []) uids.add(String((t as Dataquery).datasource?.uid));
      }
      assert.deepEqual([...uids], ['tally'], `${name}: every query reads the provisioned data source`);
      assert.deepEqual(new Set((d.panels ?? []).map((p) => p.id)).size, (d.panels ?? []).length, `${name}: panel ids are unique`);
    }
  });

  it('has the project and instance variables on the instance dashboard', () => {
    const names = queryVariables(built.get('instance-detail') as Dashboard).map((v) => [v.name, queryText(v)]);
    assert.deepEqual(names, [
      ['project', 'label_values(ceilometer_cpu, project)'],
      ['instance', 'label_values(ceilometer_cpu{project=~"$project"}, resource)'],
    ]);
  });

  for (const name of Object.keys(DASHBOARDS)) {
    it(`answers every variable and panel query of ${name} with data`, async () => {
      const d = built.get(name);
      assert.ok(d, name);
      const fromMs = timeOf(d.time?.from ?? 'now-6h', now);
      const toMs = timeOf(d.time?.to ?? 'now', now);
      const values = new Map<string, string[]>();
      for (const v of queryVariables(d)) {
        const query = interpolate(queryText(v), values);
        const { viaLabelValues, viaSeries, values: raw } = await labelValues(ds, query, fromMs, toMs);
        resultOf({ status: viaLabelValues.status, body: { ...viaLabelValues.body, data: { resultType: 'labels', result: viaLabelValues.body.data } } }, `$${v.name}: ${query}`);
        assert.ok(raw.length > 0, `$${v.name}: ${query} has values`);
        if (viaSeries !== null) {
          assert.equal(viaSeries.status, 200, JSON.stringify(viaSeries.body));
          const label = /,\s*([a-zA-Z_]\w*)\)\s*$/.exec(query)?.[1] ?? '';
          const fromSeries = [...new Set((viaSeries.body.data as Record<string, string>[]).map((s) => s[label]).filter((x) => x !== undefined))].sort();
          assert.deepEqual(fromSeries, raw, `$${v.name}: /api/v1/series and /api/v1/label/${label}/values agree`);
        }
        const chosen = applyVariableRegex(raw, v.regex);
        assert.ok(chosen.length > 0, `$${v.name}: values left after its regex ${v.regex}`);
        values.set(v.name, chosen);
      }
      let queries = 0;
      for (const p of d.panels ?? []) {
        if (p.type === 'row') continue;
        const panel = p as Panel;
        for (const t of (panel.targets ?? []) as Dataquery[]) {
          const expr = interpolate(t.expr, values);
          const when = timing(expr, fromMs, toMs, ds, { maxDataPoints: panel.maxDataPoints, minInterval: t.interval || panel.interval || undefined });
          const what = `${name} / ${panel.title} / ${t.refId}: ${when.expr}`;
          const answer = t.instant ? await instantQuery(ds, when.expr, toMs) : await rangeQuery(ds, when);
          assert.ok(hasData(resultOf(answer, what)), `${what} returned no data: ${JSON.stringify(answer.body).slice(0, 400)}`);
          queries++;
        }
      }
      assert.ok(queries > 0, `${name} has queries`);
    });
  }

  it('shows the loaded cloud through the variables', async () => {
    const { values: projects } = await labelValues(ds, 'label_values({__name__=~"ceilometer_.+"}, project)', now - 3_600_000, now);
    assert.deepEqual(projects, [P1, P2].sort());
    const { values: instances } = await labelValues(ds, `label_values(ceilometer_cpu{project=~"${P1}"}, resource)`, now - 3_600_000, now);
    assert.deepEqual(instances, INSTANCES.filter((i) => i.project === P1).map((i) => i.id).sort());
    const { values: switches } = await labelValues(ds, 'label_values(ceilometer_switch_port, resource)', now - 3_600_000, now);
    assert.deepEqual(applyVariableRegex(switches, '/^(.*):[0-9]+$/'), ['190887435870018', '86065225156673']);
  });
});
