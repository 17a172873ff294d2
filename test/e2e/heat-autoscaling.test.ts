/**
 * Heat autoscaling end to end, wired as an operator wires it, on loopback: a real
 * Keystone 22 and Heat 19 (test/heat/up.sh), tally registered in Keystone's catalog
 * as the `metric` (Gnocchi) and `alarming` (Aodh) services, and Heat's own client
 * (`openstack stack …`, python3-heatclient) as alice, a member of proj-a.
 *
 * The stack (test/heat/autoscaling.yaml) is an AutoScalingGroup of TestResources with
 * scale-up and scale-down policies and two gnocchi_aggregation_by_resources_threshold
 * alarms over the instances of the stack's server_group; Heat creates the alarms in
 * tally through the catalog. Measures pushed into the Gnocchi API (by tally's service
 * user, for instances whose server_group is the stack's id, as Ceilometer's publisher
 * stores Nova's instances) above the high threshold make tally signal the scale-up
 * policy (trust+http on its signal_url: a trust tally takes, by redelegation, from
 * the token of Heat's own trust), and the group grows by one; below the low threshold
 * tally signals the scale-down policy (its pre-signed alarm_url, through
 * heat-api-cfn), and the group shrinks. Deleting the stack deletes the alarms and the
 * trust tally took.
 *
 * Three deployments: tally all-in-one (store and alarms in one process) with the
 * by-resources alarms, then with composite alarms (autoscaling-composite.yaml), then
 * `tally alarms` evaluating in front of the real Gnocchi 4.4 (Keystone auth).
 * Every request Heat sent to tally is recorded (a proxy in front of tally is what the
 * catalog names); test/alarms/heat-requests.test.ts replays them without Heat.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../cli/config.js';
import { type RunningServer, startAlarmsServer } from '../../cli/server.js';
import type { AlarmService } from '../../alarms/alarm-service.js';
import { type Exchange, HttpRecorder } from '../helpers/http-recorder.js';
import { registerServices } from '../helpers/keystone-catalog.js';
import { type RealGnocchi, GNOCCHI_NEEDS, startRealGnocchi } from '../helpers/real-gnocchi.js';
import { HEAT_NEEDS, HeatApi, type OpenstackUser, type RealHeat, openstack, startRealHeat } from '../helpers/real-heat.js';
import { type RealKeystone, issueToken, startRealKeystone } from '../helpers/real-keystone.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';
import { requires } from '../lib/requirements.js';

const TEMPLATE = fileURLToPath(new URL('../heat/autoscaling.yaml', import.meta.url));
const COMPOSITE_TEMPLATE = fileURLToPath(new URL('../heat/autoscaling-composite.yaml', import.meta.url));
const GNOCCHI_PORT = Number(process.env.TALLY_HEAT_GNOCCHI_PORT ?? 28048);
/** seconds between two evaluations of the alarms */
const INTERVAL = 5;
/** the archive policy's granularity, seconds: the alarms' too */
const GRANULARITY = 1;
/** CPU time an instance uses per second, nanoseconds: busy, ordinary, idle */
const LOAD = { busy: 0.9e9, ordinary: 0.5e9, idle: 0.05e9 } as const;
const THRESHOLDS = { high: 0.8e9, low: 0.2e9 } as const;
/**
 * What the evaluation window takes beyond granularity × (evaluation_periods + 1) (Aodh's
 * additional_ingestion_lag): a measure stamped at a whole second arrives up to a second
 * later, so that a 2 s window evaluated at a whole second may hold none yet. The real
 * Gnocchi adds metricd's processing delay.
 */
const LAG = { allInOne: 2, gnocchi: 5 } as const;
/** what the group may take after tally signalled: Heat's signal handling and group update on a busy 2-core machine, and one CLI poll */
const HEAT_SLACK_MS = 15_000;
const STACK_PREFIX = 'tally-e2e-';

const verbose = Boolean(process.env.TALLY_TEST_VERBOSE);
const log = (line: string): void => void (verbose ? console.error(line) : undefined);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Gnocchi's v1 API with a Keystone token (tally's service user, as Ceilometer's publisher uses its own). */
class GnocchiClient {
  constructor(
    readonly url: string,
    private readonly token: () => Promise<string>,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'x-auth-token': await this.token(), 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: any = text;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: kept as text */
    }
    return { status: res.status, json };
  }

  /** What the deployment needs once: a fine archive policy, and Ceilometer's instance type (tally's collector has it). */
  async prepare(): Promise<void> {
    const policy = await this.call('POST', '/v1/archive_policy', {
      name: 'heat-fast',
      back_window: 0,
      aggregation_methods: ['mean', 'rate:mean'],
      definition: [{ granularity: `${GRANULARITY}s`, timespan: '1h' }],
    });
    assert.ok(policy.status === 201 || policy.status === 409, JSON.stringify(policy.json));
    const str = (required: boolean): { type: string; required: boolean; max_length: number } => ({ type: 'string', required, max_length: 255 });
    const type = await this.call('POST', '/v1/resource_type', {
      name: 'instance',
      attributes: { flavor_id: str(true), image_ref: str(false), host: str(true), display_name: str(true), server_group: str(false), flavor_name: str(false) },
    });
    assert.ok(type.status === 201 || type.status === 409, JSON.stringify(type.json));
  }
}

/** The instances Ceilometer would store for the group's servers, and their counters, fed every second. */
class Instances {
  readonly ids: string[] = [];
  private readonly cpu = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  load: number = LOAD.ordinary;
  pushed = 0;

  constructor(private readonly gnocchi: GnocchiClient) {}

  async create(serverGroup: string, project: string, user: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const r = await this.gnocchi.call('POST', '/v1/resource/instance', {
        id,
        project_id: project,
        user_id: user,
        display_name: `member-${i}`,
        flavor_id: '1',
        flavor_name: 'm1.tiny',
        host: 'compute-1',
        image_ref: 'cirros',
        server_group: serverGroup,
        metrics: { cpu: { archive_policy_name: 'heat-fast', unit: 'ns' }, 'memory.usage': { archive_policy_name: 'heat-fast', unit: 'MB' } },
      });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      this.ids.push(id);
      this.cpu.set(id, 0);
    }
  }

  /** one measure per instance and second, at whole seconds, as a 1 s poller would send them */
  start(): void {
    const tick = async (): Promise<void> => {
      const at = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
      const batch: Record<string, Record<string, { timestamp: string; value: number }[]>> = {};
      for (const id of this.ids) {
        const cpu = (this.cpu.get(id) ?? 0) + this.load;
        this.cpu.set(id, cpu);
        batch[id] = { cpu: [{ timestamp: at, value: cpu }], 'memory.usage': [{ timestamp: at, value: 128 }] };
      }
      const r = await this.gnocchi.call('POST', '/v1/batch/resources/metrics/measures', batch);
      if (r.status === 202) this.pushed++;
      else log(`measures refused: ${r.status} ${JSON.stringify(r.json)}`);
    };
    this.timer = setInterval(() => void tick().catch((e) => log(`measures: ${String(e)}`)), 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * Heat's requests to tally as a fixture: alarm ids as `{{alarm:N}}` (the Nth alarm
 * created), Keystone's ids as `{{alice}}`, `{{proj-a}}` and `{{service}}`, no token; tally's answers
 * as the text it sent (the replay normalises ids and times on both sides).
 */
function recording(exchanges: readonly Exchange[], ks: RealKeystone): string {
  const created: string[] = [];
  const names = (text: string): string => {
    let out = text.replaceAll(ks.ids.alice, '{{alice}}').replaceAll(ks.ids.projA, '{{proj-a}}').replaceAll(ks.ids.service, '{{service}}');
    created.forEach((id, i) => (out = out.replaceAll(id, `{{alarm:${i}}}`)));
    return out;
  };
  const rows = exchanges.map((e) => {
    const response = e.response ? (JSON.parse(e.response) as Record<string, unknown>) : null;
    if (e.method === 'POST' && e.status === 201 && response) created.push(String(response.alarm_id));
    return {
      method: e.method,
      path: names(e.path),
      headers: Object.fromEntries(['user-agent', 'accept', 'content-type'].flatMap((h) => (e.headers[h] ? [[h, String(e.headers[h])]] : []))),
      body: e.body ? JSON.parse(names(e.body)) : null,
      status: e.status,
      // as sent: Aodh's number formats (a threshold of 80 is 80.0) and key order are part of the answer
      response: names(e.response),
    };
  });
  return `${JSON.stringify({ recorded_with: 'Heat 19.0.0 (Debian 12 heat-engine 1:19.0.0-3) through test/e2e/heat-autoscaling.test.ts, tally all-in-one', exchanges: rows }, null, 1)}\n`;
}

/** Where Heat finds tally: the recorder in front of its Aodh API, and the Gnocchi API the measures go to. */
interface Deployment {
  readonly alarms: AlarmService;
  readonly recorder: HttpRecorder;
  readonly gnocchi: GnocchiClient;
}

describe("Heat 19 autoscaling on tally's alarms", requires(...HEAT_NEEDS, ...GNOCCHI_NEEDS), () => {
  let ks: RealKeystone;
  let heat: RealHeat;
  let alice: OpenstackUser;
  let heatApi: HeatApi;
  /** every request Heat sent to tally all-in-one */
  const recorded: Record<string, Exchange[]> = {};
  /** tally's service user's token, as a publisher keeps one (a new one per request would cost Keystone and tally a validation each) */
  let tallyTokenCache: { value: Promise<string>; until: number } | null = null;
  const tallyToken = (): Promise<string> => {
    if (!tallyTokenCache || tallyTokenCache.until < Date.now()) {
      const value = issueToken(ks.url, 'tally', ks.passwords.tally, 'service');
      value.catch(() => (tallyTokenCache = null));
      tallyTokenCache = { value, until: Date.now() + 30 * 60_000 };
    }
    return tallyTokenCache.value;
  };
  const adminToken = (): Promise<string> => issueToken(ks.url, 'admin', ks.passwords.admin, 'admin');

  /** `openstack stack …` for what a user does; Heat's API for the quick polls in between (the CLI takes ~2 s a call here) */
  const stack = {
    async create(name: string, template: string, params: Record<string, string | number>): Promise<string> {
      const args = ['stack', 'create', '-f', 'json', '-t', template];
      for (const [k, v] of Object.entries(params)) args.push('--parameter', `${k}=${v}`);
      const out = JSON.parse(await openstack(alice, [...args, name], log)) as { id: string };
      const done = await until(`stack ${name} created`, 90_000, async () => {
        const st = await heatApi.status(name);
        return st && !st.status.endsWith('_IN_PROGRESS') ? st : null;
      });
      assert.equal(done.status, 'CREATE_COMPLETE', done.reason);
      return out.id;
    },
    /** as `openstack stack resource list [-n depth]` shows them */
    async list(name: string, depth = 0): Promise<{ resource_name: string; physical_resource_id: string; resource_type: string; resource_status: string }[]> {
      return JSON.parse(await openstack(alice, ['stack', 'resource', 'list', '-n', String(depth), '-f', 'json', name], log));
    },
    /** the group's members (the TestResources one level down): done with their last action, whichever (resume…), and not deleted */
    members(rows: readonly { resource_type: string; resource_status: string }[]): number {
      return rows.filter((r) => r.resource_type === 'OS::Heat::TestResource' && /^(?!DELETE_)[A-Z]+_COMPLETE$/.test(r.resource_status)).length;
    },
    async delete(name: string): Promise<void> {
      await openstack(alice, ['stack', 'delete', '--yes', name], log);
      const left = await until(`stack ${name} deleted`, 90_000, async () => {
        const st = await heatApi.status(name);
        return st === null || !st.status.endsWith('_IN_PROGRESS') ? { st } : null;
      });
      assert.ok(left.st === null || left.st.status === 'DELETE_COMPLETE', `stack ${name}: ${left.st?.status} ${left.st?.reason}`);
    },
  };

  /** Points the catalog's metric and alarming services at a deployment. */
  async function register(metric: string, alarming: string): Promise<void> {
    await registerServices(ks.url, ks.passwords.admin, [
      { type: 'metric', name: 'gnocchi', url: metric, description: 'Metric Service' },
      { type: 'alarming', name: 'aodh', url: alarming, description: 'Alarming Service' },
    ]);
  }

  async function trustExists(trustId: string): Promise<boolean> {
    const res = await fetch(`${ks.url}/OS-TRUST/trusts/${trustId}`, { headers: { 'x-auth-token': await adminToken() } });
    await res.body?.cancel();
    assert.ok(res.status === 200 || res.status === 404, `GET trust: HTTP ${res.status}`);
    return res.status === 200;
  }

  /**
   * The whole loop on one deployment: create the stack, feed busy then idle measures,
   * see the group grow then shrink, delete the stack; the alarms and the trust go with it.
   */
  async function autoscale(d: Deployment, template: string, alarmType: string, lifecycle = false): Promise<void> {
    const name = `${STACK_PREFIX}${Date.now()}`;
    const t0 = Date.now();
    const stackId = await stack.create(name, template, { granularity: GRANULARITY, high: THRESHOLDS.high, low: THRESHOLDS.low });
    log(`${name}: created in ${Date.now() - t0} ms`);
    const instances = new Instances(d.gnocchi);
    let deleted = false;
    try {
      const alarmIds = (await heatApi.resources(name)).filter((r) => r.resource_type === alarmType).map((r) => r.physical_resource_id);
      assert.equal(alarmIds.length, 2, `two ${alarmType} in the stack`);
      const alarms = await Promise.all(alarmIds.map(async (a) => (await d.alarms.store.get(a)) ?? assert.fail(`alarm ${a} is not in tally`)));
      const busy = alarms.find((a) => a.alarm_actions.some((x) => x.startsWith('trust+http://')));
      const idle = alarms.find((a) => a.alarm_actions.some((x) => x.includes('/v1/signal/arn')));
      assert.ok(busy && idle, `one alarm signals signal_url through a trust, the other alarm_url: ${JSON.stringify(alarms.map((a) => a.alarm_actions))}`);
      assert.equal(busy.project_id, ks.ids.projA, "alice's project owns the alarms Heat created for her");
      assert.equal(busy.user_id, ks.ids.alice);
      const trustId = /^trust\+http:\/\/([0-9a-f]{32}):delete@/.exec(busy.alarm_actions[0])?.[1];
      assert.ok(trustId, `tally took a trust for the signal: ${busy.alarm_actions[0]}`);
      assert.ok(await trustExists(trustId));
      assert.equal(stack.members(await heatApi.resources(name, 1)), 1);

      await instances.create(stackId, ks.ids.projA, ks.ids.alice, 2);
      const state = async (id: string): Promise<string | undefined> => (await d.alarms.store.get(id))?.state;
      const explain = async (): Promise<string> => {
        const lines = [`measures pushed: ${instances.pushed}`];
        for (const a of [busy, idle]) {
          const now = await d.alarms.store.get(a.alarm_id);
          lines.push(`alarm ${a.name}: ${now?.state} (${now?.state_reason})`);
          if (now) lines.push(`  explain: ${JSON.stringify(d.alarms.evaluator.explain(now)).slice(0, 1500)}`);
          for (const h of await d.alarms.store.history(a.alarm_id)) lines.push(`  ${new Date(h.timestamp / 1000).toISOString()} ${h.type} ${h.detail.slice(0, 300)}`);
        }
        return lines.join('\n');
      };
      /** the signal to Heat that tally delivered since `fromUs`: its status and when */
      const delivered = async (alarmId: string, fromUs: number): Promise<{ status: number; at: number } | null> => {
        for (const h of await d.alarms.store.history(alarmId)) {
          const detail = JSON.parse(h.detail) as { outcome?: string; status?: number };
          if (h.type === 'action' && h.timestamp >= fromUs && detail.outcome === 'delivered') return { status: detail.status ?? 0, at: h.timestamp / 1000 };
        }
        return null;
      };
      /** how long the alarm took to reach `alarm`, tally to signal Heat, and the group to reach `size`, from now */
      const scaleTo = async (size: number, alarm: { alarm_id: string }, load: number): Promise<{ alarmMs: number; signalMs: number; groupMs: number }> => {
        const from = Date.now();
        instances.load = load;
        try {
          await until(`${alarm === busy ? 'busy' : 'idle'} alarm`, 2 * INTERVAL * 1000 + 5_000, async () => (await state(alarm.alarm_id)) === 'alarm', 100);
          const alarmMs = Date.now() - from;
          const signal = await until('the signal to Heat', 15_000, () => delivered(alarm.alarm_id, from * 1000), 100);
          assert.equal(signal.status, 200, "Heat's answer to the signal");
          await until(`the group to have ${size} members`, 2 * INTERVAL * 1000 + HEAT_SLACK_MS + 20_000, async () => stack.members(await heatApi.resources(name, 1)) === size, 100);
          return { alarmMs, signalMs: signal.at - from, groupMs: Date.now() - from };
        } catch (err) {
          throw new Error(`${(err as Error).message}\n${await explain()}`);
        }
      };
      instances.start();
      const up = await scaleTo(2, busy, LOAD.busy);
      log(`${name}: busy alarm after ${up.alarmMs} ms, signal delivered after ${up.signalMs} ms, 2 members after ${up.groupMs} ms`);
      assert.equal(stack.members(await stack.list(name, 1)), 2, '`openstack stack resource list -n 1` shows the new member');
      const down = await scaleTo(1, idle, LOAD.idle);
      log(`${name}: idle alarm after ${down.alarmMs} ms, signal delivered after ${down.signalMs} ms, 1 member after ${down.groupMs} ms`);
      instances.stop();
      // the first evaluation after the change crosses: within two intervals, whatever the phase
      for (const [what, t] of [['grow', up], ['shrink', down]] as const) {
        assert.ok(t.alarmMs <= 2 * INTERVAL * 1000 + 1_000, `${what}: the alarm crossed after ${t.alarmMs} ms (two intervals: ${2 * INTERVAL} s)`);
        assert.ok(t.signalMs <= 2 * INTERVAL * 1000 + 2_000, `${what}: Heat was signalled after ${t.signalMs} ms`);
        assert.ok(t.groupMs <= 2 * INTERVAL * 1000 + HEAT_SLACK_MS, `${what}: the group changed after ${t.groupMs} ms`);
      }
      if (lifecycle) {
        // what else Heat does to a stack's alarms: suspend and resume (enabled), update (a new threshold)
        const action = async (verb: string, done: string, extra: string[] = []): Promise<void> => {
          await openstack(alice, ['stack', verb, ...extra, name], log);
          const st = await until(`stack ${verb}`, 60_000, async () => {
            const x = await heatApi.status(name);
            return x && !x.status.endsWith('_IN_PROGRESS') ? x : null;
          });
          assert.equal(st.status, done, st.reason);
        };
        await action('suspend', 'SUSPEND_COMPLETE');
        for (const a of alarmIds) assert.equal((await d.alarms.store.get(a))?.enabled, false, 'suspended with its stack');
        await action('resume', 'RESUME_COMPLETE');
        for (const a of alarmIds) assert.equal((await d.alarms.store.get(a))?.enabled, true, 'resumed with its stack');
        await action('update', 'UPDATE_COMPLETE', ['--existing', '--parameter', `high=${THRESHOLDS.high * 2}`]);
        const updated = (await d.alarms.store.get(busy.alarm_id))!;
        assert.equal((updated.rule as { threshold: number }).threshold, THRESHOLDS.high * 2);
        assert.deepEqual(updated.rule, { ...busy.rule, threshold: THRESHOLDS.high * 2 }, 'only the threshold changed');
        assert.deepEqual(updated.alarm_actions, busy.alarm_actions, 'the same action, with the same trust');
      }
      // what the user sees: the stack's resources, and the group's one member again
      const rows = await stack.list(name, 1);
      assert.deepEqual(
        rows.filter((r) => r.resource_type !== 'OS::Heat::TestResource').map((r) => r.resource_type).sort(),
        ['OS::Heat::AutoScalingGroup', 'OS::Heat::ScalingPolicy', 'OS::Heat::ScalingPolicy', alarmType, alarmType].sort(),
      );
      assert.equal(stack.members(rows), 1, JSON.stringify(rows));

      await stack.delete(name);
      deleted = true;
      for (const a of alarmIds) assert.equal(await d.alarms.store.get(a), undefined, `alarm ${a} went with the stack`);
      assert.equal(await trustExists(trustId), false, 'the trust went with its alarm');
    } finally {
      instances.stop();
      if (!deleted) await stack.delete(name).catch((err) => log(`deleting ${name}: ${String(err)}`));
    }
  }

  /** the real Gnocchi of the last deployment, started beside Heat (its up.sh resets it: ~12 s) */
  let gnocchiStarting: Promise<RealGnocchi>;

  before(async () => {
    ks = await startRealKeystone({ log });
    gnocchiStarting = startRealGnocchi({ port: GNOCCHI_PORT, log, keystone: { url: ks.url, user: 'tally', password: ks.passwords.tally } });
    gnocchiStarting.catch(() => undefined);
    heat = await startRealHeat({ log });
    alice = { keystoneUrl: ks.url, user: 'alice', password: ks.passwords.alice, project: 'proj-a' };
    heatApi = new HeatApi(heat.url, ks.ids.projA, () => issueToken(ks.url, 'alice', ks.passwords.alice, 'proj-a'));
  });
  after(async () => {
    // TALLY_HEAT_RECORD=test/fixtures/heat/heat-19-alarm-requests.json: what heat-requests.test.ts replays
    if (process.env.TALLY_HEAT_RECORD && recorded['all-in-one']) writeFileSync(process.env.TALLY_HEAT_RECORD, recording(recorded['all-in-one'], ks));
    await heat?.stop();
    await gnocchiStarting?.then((g) => g.stop(), () => undefined);
    await ks?.stop();
  });

  describe('tally all-in-one as Gnocchi and Aodh', () => {
    let tally: TestServer;
    let d: Deployment;

    before(async () => {
      tally = await startTestServer(
        {
          auth_mode: 'keystone',
          keystone_url: ks.url,
          keystone_username: 'tally',
          keystone_password: ks.passwords.tally,
          keystone_project_name: 'service',
          evaluation_interval: INTERVAL,
          additional_ingestion_lag: LAG.allInOne,
          // what tally's service user creates with a project's id is that project's, as Ceilometer's resources are
          alarm_external_project_owner: ks.ids.service,
        },
        { collector: true, alarms: true },
      );
      const recorder = new HttpRecorder(new URL(tally.url));
      await recorder.start();
      await register(recorder.url, recorder.url);
      d = { alarms: tally.alarms!, recorder, gnocchi: new GnocchiClient(tally.url, tallyToken) };
      await d.gnocchi.prepare();
      // stacks a crashed run left behind: their alarms are gone with that tally, which Heat takes as deleted
      const left = JSON.parse(await openstack(alice, ['stack', 'list', '-f', 'json'], log)) as { 'Stack Name': string }[];
      for (const s of left.filter((x) => x['Stack Name'].startsWith(STACK_PREFIX))) await stack.delete(s['Stack Name']).catch(() => undefined);
    });
    after(async () => {
      if (d) recorded['all-in-one'] = d.recorder.exchanges;
      await d?.recorder.close();
      await tally?.close();
    });

    it('grows the group on the busy alarm and shrinks it on the idle one (OS::Aodh::GnocchiAggregationByResourcesAlarm)', async () => {
      await autoscale(d, TEMPLATE, 'OS::Aodh::GnocchiAggregationByResourcesAlarm', true);
    });

    it('does the same on composite alarms (OS::Aodh::CompositeAlarm)', async () => {
      await autoscale(d, COMPOSITE_TEMPLATE, 'OS::Aodh::CompositeAlarm');
    });

    it('answered every request Heat sent, through the catalog, as Aodh does', () => {
      const sent = d.recorder.exchanges;
      assert.ok(sent.length >= 8, `Heat's requests: ${sent.map((e) => `${e.method} ${e.path}`).join(', ')}`);
      for (const e of sent) {
        assert.match(String(e.headers['user-agent']), /^heat-engine keystoneauth1\//, 'the engine, with its keystoneauth session');
        assert.ok(e.headers['x-auth-token'], 'with a token');
        assert.ok(e.status < 400, `${e.method} ${e.path}: ${e.status} ${e.response}`);
      }
      const created = sent.filter((e) => e.method === 'POST' && e.path === '/v2/alarms');
      assert.equal(created.length, 4);
      for (const e of created) {
        assert.equal(e.status, 201);
        assert.match(String(e.responseHeaders.location), new RegExp(`^${d.recorder.url}/v2/alarms/[0-9a-f-]{36}$`), 'Location on the address the client called');
      }
      assert.equal(sent.filter((e) => e.method === 'DELETE' && /^\/v2\/alarms\/[0-9a-f-]{36}$/.test(e.path) && e.status === 204).length, 4);
      // suspend, resume and update: aodhclient reads the whole alarm, then replaces it (PUT)
      const puts = sent.filter((e) => e.method === 'PUT');
      assert.ok(puts.length >= 5, `suspend and resume each alarm, update the busy one: ${puts.length} PUT`);
      for (const e of puts) assert.equal(e.status, 200, `${e.path}: ${e.response}`);
      for (const e of puts) assert.ok(sent.some((g) => g.method === 'GET' && g.path === e.path && g.at <= e.at), `${e.path} read before it was replaced`);
    });
  });

  describe('tally alarms in front of the real Gnocchi 4.4', requires(...GNOCCHI_NEEDS), () => {
    let gnocchi: RealGnocchi;
    let alarms: RunningServer;
    let d: Deployment;
    let dir = '';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tally-heat-alarms-'));
      gnocchi = await gnocchiStarting;
      const config = {
        ...loadConfig({ env: {} }),
        alarms_port: 0,
        data_dir: dir,
        log_level: 'warn',
        auth_mode: 'keystone' as const,
        keystone_url: ks.url,
        keystone_username: 'tally',
        keystone_password: ks.passwords.tally,
        keystone_project_name: 'service',
        gnocchi_url: gnocchi.url,
        gnocchi_auth_mode: 'keystone' as const,
        evaluation_interval: INTERVAL,
        additional_ingestion_lag: LAG.gnocchi,
        alarm_external_project_owner: ks.ids.service,
      };
      alarms = await startAlarmsServer(config, log);
      const recorder = new HttpRecorder(new URL(alarms.url));
      await recorder.start();
      await register(gnocchi.url, recorder.url);
      d = { alarms: alarms.alarms!, recorder, gnocchi: new GnocchiClient(gnocchi.url, tallyToken) };
      await d.gnocchi.prepare();
    });
    after(async () => {
      await d?.recorder.close();
      await alarms?.stop();
      await gnocchi?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('grows and shrinks the group on alarms evaluated over the real Gnocchi', async () => {
      await autoscale(d, TEMPLATE, 'OS::Aodh::GnocchiAggregationByResourcesAlarm');
    });
  });
});
