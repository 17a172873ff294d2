/**
 * Differential test of the collector's storage side: the notification corpus
 * (test/fixtures/notifications) goes to tally's collector over HTTP, and the
 * samples Ceilometer 19 makes of it (recorded in expected/, see
 * test/oracle/CEILOMETER.md) go through Ceilometer's own pipelines and gnocchi
 * publisher into the real Gnocchi 4.4 (test/oracle/ceilometer_publisher.py,
 * test/gnocchi/up.sh). Then both stores must hold the same resources, resource
 * by resource (matched by original_resource_id): type, user, project, typed
 * attributes, whether it ended, the same metrics with the same archive policy
 * and unit, the same measures in every granularity and aggregation method of
 * the policy, and the same history of attribute changes. Notifications
 * Ceilometer cannot store (Gnocchi refuses the resource, so the publisher
 * drops its measures) must be the ones tally dead-letters.
 *
 * Ceilometer publishes one notification at a time (the agent's default
 * batch_size of 1): its event, then its samples, the order in which the
 * agent's listener calls its endpoints. Files go in the corpus order, each message
 * once, at its first occurrence, as tally stores it (tally skips a message id
 * it has stored: envelope.json repeats messages of other files). Gnocchi
 * aggregates after every notification (refresh), so which measures fall
 * outside its back window does not depend on metricd's timing.
 *
 * tally takes batches of notifications (up to amqp_batch_size from the bus),
 * so it is fed three ways, each into its own fresh store:
 * - one POST per notification, Ceilometer's unit of publication;
 * - one POST per corpus file;
 * - the whole corpus in one POST (a backlog the bus delivers at once).
 * All three must give what Ceilometer gives. After each POST the test waits
 * for tally's backlog to be aggregated, so each POST is one aggregation batch.
 *
 * The corpus has no polling agent samples and no event that updates a
 * resource: pollingMessages() and transferMessage() add some (for the rate
 * archive policies, the resource types notifications never reach, and
 * event_update), before nova.json deletes the polled instance.
 *
 * Normalised away, as they differ by nature:
 * - `id` where the original id is not a UUID: Gnocchi's UUID5 mapping includes
 *   the creator (`admin` here, `tally:collector` for tally). Checked against
 *   that mapping instead.
 * - `creator`, `created_by_*`, `started_at`, `revision_*`: who wrote and when.
 * - the value of `ended_at`: Ceilometer sets the time it handles the event,
 *   tally the event's time (no earlier than started_at). Only whether it is
 *   set is compared, in the resource and in each revision of its history.
 * - metric ids (random on both sides): metrics are matched by name.
 * Numbers are compared to 12 significant digits.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { resourceUuid } from '../../tsdb/api/resource-id.js';
import { CORPUS_FILES, readCorpus, readExpected } from '../helpers/notification-corpus.js';
import { ADMIN_AUTH, GNOCCHI_NEEDS, type RealGnocchi, startRealGnocchi } from '../helpers/real-gnocchi.js';
import { reportCompat } from '../lib/compat.js';
import { requires } from '../lib/requirements.js';
import { type TestServer, startTestServer } from '../helpers/tally-server.js';

// Not 8041 (a developer's Gnocchi), 28041 (gnocchi-api.test.ts) or 28043 (bench/api.ts).
const GNOCCHI_PORT = Number(process.env.TALLY_DIFF_PUBLISHER_GNOCCHI_PORT ?? 28044);
const DATA = join(import.meta.dirname, '../../collector/data');
const ORACLE = join(import.meta.dirname, '../oracle/ceilometer_publisher.py');
const PYTHON = '/usr/bin/python3';
/** who writes on each side: Gnocchi's basic-auth admin, and tally's collector (config collector_creator) */
const GNOCCHI_CREATOR = 'admin';
const TALLY_CREATOR = 'tally:collector';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** The message id of a bus body (oslo envelope or inner message). */
function messageIdOf(body: unknown): string {
  let m = body as Record<string, unknown>;
  if (typeof m['oslo.message'] === 'string') m = JSON.parse(m['oslo.message']) as Record<string, unknown>;
  return String(m.message_id);
}

interface CorpusFile {
  file: string;
  bodies: unknown[];
}

/**
 * What a compute node's polling agent would send (telemetry.polling
 * notifications, its samples in the metering-message form) for the corpus'
 * instance web-1 before it is deleted: its cpu (a rate policy) and memory,
 * one network interface and one disk (resources that hang from the instance
 * and end with it), an IPMI sensor and a switch port (a numeric attribute).
 * The corpus has no polling samples; these cover the resource types and
 * archive policies its notifications never reach. Ceilometer makes its
 * samples with TelemetryIpc.build_sample (the oracle, when given no samples).
 */
function pollingMessages(): unknown[] {
  const instance = '9f9d01b9-4a58-4271-9e27-398b21ab20d1';
  const [user, project] = ['1e3ce043029547f1a61c1996d1a531a2', '7c150a59fe714e6f9263774af9688f0e'];
  const instanceMetadata = {
    display_name: 'web-1',
    name: 'instance-00000001',
    instance_id: instance,
    instance_type: 'm1.small',
    host: '3d2b9f2e8c0a41d6a1f3e5c7b9d0e2f4a6c8e0b2d4f6a8c0e2b4d6f8', // the polling agent hashes it
    instance_host: 'compute-0',
    flavor: { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20, ephemeral: 0 },
    status: 'active',
    state: 'running',
    image_ref: '155d900f-4e14-4e4c-a73d-069cbf4541e6',
    image: { id: '155d900f-4e14-4e4c-a73d-069cbf4541e6' },
    vcpus: 1,
    memory_mb: 2048,
    user_metadata: { server_group: 'web' },
  };
  const out: unknown[] = [];
  for (let k = 0; k < 10; k++) {
    // every 300 s (the polling agent's default interval, the granularity of the
    // rate policies) from 09:40: a rate then spans two of Gnocchi's
    // aggregation batches as it does in a cloud
    const at = new Date(Date.UTC(2024, 4, 13, 9, 40 + 5 * k, k % 2, 0)).toISOString().slice(0, 19);
    const ts = `${at}.${String(500000 + k * 1111).padStart(6, '0')}`; // utcnow().isoformat(): no zone
    const sample = (name: string, type: string, unit: string, volume: number, resourceId: string, metadata: Record<string, unknown>, u: string | null = user, p: string | null = project) => ({
      counter_name: name,
      counter_type: type,
      counter_unit: unit,
      counter_volume: volume,
      user_id: u,
      project_id: p,
      resource_id: resourceId,
      timestamp: ts,
      resource_metadata: metadata,
      source: 'openstack',
      monotonic_time: null,
    });
    const vnic = { vnic_name: 'tap5c1e2d3f-4a', instance_id: instance, instance_type: 'm1.small', mac: 'fa:16:3e:00:00:01', fref: null };
    const disk = { disk_name: 'vda', instance_id: instance, instance_type: 'm1.small' };
    const samples = [
      sample('cpu', 'cumulative', 'ns', 1_200_000_000_000 + k * 61_000_000_000 + (k % 3) * 7_000_000, instance, instanceMetadata),
      sample('memory.usage', 'gauge', 'MB', 512 + 16 * k + (k === 4 ? 0.25 : 0), instance, instanceMetadata),
      // a counter that restarts (the guest rebooted) after k = 6
      sample('network.incoming.bytes', 'cumulative', 'B', k <= 6 ? 1_000_000 + k * 123_457 : 4_096 * (k - 6), `instance-00000001-${instance}-tap5c1e2d3f-4a`, vnic),
      sample('network.outgoing.bytes', 'cumulative', 'B', 300_000 + k * k * 999, `instance-00000001-${instance}-tap5c1e2d3f-4a`, vnic),
      sample('disk.device.read.bytes', 'cumulative', 'B', 50_000_000 + k * k * 1_000, `${instance}-vda`, disk),
      sample('disk.device.usage', 'gauge', 'B', 1_073_741_824 + k * 4_096, `${instance}-vda`, disk),
      sample('hardware.ipmi.temperature', 'gauge', 'C', 40 + (k % 4) * 1.5, 'compute-0-temperature_cpu1_(0x30)', { node: 'compute-0' }, null, null),
      sample('switch.port.receive.bytes', 'cumulative', 'B', 9_000_000 + k * 70_000, 'ovs-br0:3', { switch: 'br0', port_number_on_switch: 3, neutron_port_id: '5c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', controller: 'OpenDaylight' }, null, null),
    ];
    out.push({
      message_id: `7e1a0000-0000-4000-8000-${String(k).padStart(12, '0')}`,
      publisher_id: 'ceilometer.polling',
      event_type: 'telemetry.polling',
      priority: 'SAMPLE',
      payload: { samples: samples.map((x, n) => ({ ...x, message_id: `7e1a0000-0000-4000-8001-${String(k * 100 + n).padStart(12, '0')}` })) },
      timestamp: at.replace('T', ' ') + '.900000',
    });
  }
  return out;
}

/**
 * A cinder volume transfer (the corpus has none): the volume "adopted" of
 * cinder.json moves to another project. No meter takes
 * volume.transfer.accept.end, so it gives no samples; its event updates the
 * resource's project (event_update in gnocchi_resources.yaml).
 */
function transferMessage(): unknown {
  return {
    message_id: '7e1a0000-0000-4000-8002-000000000001',
    publisher_id: 'volume.controller@lvm',
    event_type: 'volume.transfer.accept.end',
    priority: 'INFO',
    payload: {
      tenant_id: '2b7d3f0c9e8a4c1b8d6f4e2a0c9b7d5e',
      user_id: '8f7e6d5c4b3a4928a1b0c9d8e7f6a5b4',
      host: 'controller@lvm#LVM',
      availability_zone: 'nova',
      volume_id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      volume_type: '2a5d6b1e-0c9f-4e4b-8b9a-6f1e2d3c4b5a',
      display_name: 'adopted',
      status: 'available',
      size: 5,
      created_at: '2024-05-13T09:40:00+00:00',
      volume_attachment: [],
      glance_metadata: [],
    },
    timestamp: '2024-05-13 10:50:00.123456',
    _context_user_id: '8f7e6d5c4b3a4928a1b0c9d8e7f6a5b4',
    _context_project_id: '2b7d3f0c9e8a4c1b8d6f4e2a0c9b7d5e',
    _context_roles: ['member'],
    _context_is_admin: false,
    _unique_id: '00000000000000000000000000def001',
  };
}

/** How a scenario cuts the corpus into POSTs. */
const SCENARIOS: { name: string; batches: (files: CorpusFile[]) => unknown[][] }[] = [
  { name: 'one POST per notification', batches: (files) => files.flatMap((f) => f.bodies.map((b) => [b])) },
  { name: 'one POST per corpus file', batches: (files) => files.map((f) => f.bodies) },
  { name: 'the whole corpus in one POST', batches: (files) => [files.flatMap((f) => f.bodies)] },
];

// -- reading a store ---------------------------------------------------------------------

interface Side {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

async function getJson(side: Side, path: string): Promise<Json> {
  const r = await fetch(`${side.url}${path}`, { headers: { accept: 'application/json', ...side.headers }, signal: AbortSignal.timeout(20_000) });
  const text = await r.text();
  assert.equal(r.status, 200, `${side.name}: GET ${path} answered ${r.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Json;
}

interface MetricView {
  archive_policy_name: string;
  unit: Json;
  /** aggregation method → [timestamp, granularity, value] of every granularity */
  measures: Record<string, Json>;
}

interface ResourceView {
  id: string;
  type: string;
  user_id: Json;
  project_id: Json;
  ended: boolean;
  /** the resource type's own attributes */
  attributes: JsonObject;
  metrics: Record<string, MetricView>;
  /** each revision, oldest first: user_id, project_id, ended (set or not) and the type's attributes */
  history: JsonObject[];
}

/** Attributes every resource has; the rest are its type's. */
const GENERIC = new Set(['id', 'original_resource_id', 'type', 'user_id', 'project_id', 'creator', 'created_by_user_id', 'created_by_project_id', 'started_at', 'ended_at', 'revision_start', 'revision_end', 'metrics']);

/** Numbers to 12 significant digits (numpy and JS may differ in the last ulp). */
const round = (v: Json): Json =>
  typeof v === 'number' ? Number(v.toPrecision(12)) : Array.isArray(v) ? v.map(round) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v;

const typed = (r: JsonObject): JsonObject => round(Object.fromEntries(Object.entries(r).filter(([k]) => !GENERIC.has(k)))) as JsonObject;

/** Every resource of a store, keyed by original_resource_id, with its metrics, their measures, and its history. */
async function snapshot(side: Side): Promise<Map<string, ResourceView>> {
  const list = (await getJson(side, '/v1/resource/generic?details=true&limit=1000')) as JsonObject[];
  assert.ok(list.length < 1000, `${side.name}: more resources than one page`);
  const metricView = async (metricId: string): Promise<MetricView> => {
    const m = (await getJson(side, `/v1/metric/${metricId}`)) as JsonObject;
    const policy = m.archive_policy as JsonObject;
    const measures: Record<string, Json> = {};
    for (const method of (policy.aggregation_methods as string[]).slice().sort()) {
      measures[method] = round(await getJson(side, `/v1/metric/${metricId}/measures?refresh=true&aggregation=${encodeURIComponent(method)}`));
    }
    return { archive_policy_name: String(policy.name), unit: m.unit, measures };
  };
  // resources side by side: a few hundred small reads
  const views = await Promise.all(
    list.map(async (r): Promise<[string, ResourceView]> => {
      const metrics: Record<string, MetricView> = {};
      for (const [name, metricId] of Object.entries(r.metrics as Record<string, string>)) metrics[name] = await metricView(metricId);
      const revisions = (await getJson(side, `/v1/resource/${encodeURIComponent(String(r.type))}/${String(r.id)}/history`)) as JsonObject[];
      return [
        String(r.original_resource_id),
        {
          id: String(r.id),
          type: String(r.type),
          user_id: r.user_id,
          project_id: r.project_id,
          ended: r.ended_at !== null,
          attributes: typed(r),
          metrics,
          history: revisions.map((h) => ({ user_id: h.user_id, project_id: h.project_id, ended: h.ended_at !== null, ...typed(h) })),
        },
      ];
    }),
  );
  const out = new Map(views);
  assert.equal(out.size, views.length, `${side.name}: two resources have the same original id`);
  return out;
}

const show = (v: unknown): string => JSON.stringify(v);

/** Ceilometer's outcome of one notification: what it logged at ERROR and WARNING. */
interface Logged {
  errors: string[];
  warnings: string[];
}

/**
 * Starts the oracle (Ceilometer's pipelines and gnocchi publisher) at once, so
 * that its imports overlap Gnocchi's start; `publish` hands it the case.
 */
function startCeilometer(): { publish(gnocchiUrl: string, once: { body: unknown; samples: unknown }[]): Promise<Logged[]>; kill(): void } {
  let done: (v: Logged[]) => void = () => undefined;
  let failed: (e: Error) => void = () => undefined;
  const result = new Promise<Logged[]>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  result.catch(() => undefined); // awaited by publish(), unless the test fails before
  const child = execFile(PYTHON, [ORACLE], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 150_000 }, (err, stdout, stderr) => {
    if (err) failed(new Error(`${ORACLE} failed: ${err.message}\n${stderr.slice(-3000)}`));
    else done(JSON.parse(stdout) as Logged[]);
  });
  return {
    publish: (gnocchiUrl, once) => {
      child.stdin!.end(
        JSON.stringify({
          gnocchi_url: gnocchiUrl,
          user: GNOCCHI_CREATOR,
          resources_yaml: join(DATA, 'gnocchi_resources.yaml'),
          event_definitions_yaml: join(DATA, 'event_definitions.yaml'),
          samples: once.map((m) => m.samples),
          notifications: once.map((m) => m.body),
        }),
      );
      return result;
    },
    kill: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}

/** POSTs the batches; resolves with the messages tally dead-lettered (message id → where and why). */
async function feedTally(url: string, batches: unknown[][]): Promise<Map<string, string>> {
  const deadLettered = new Map<string, string>();
  for (const bodies of batches) {
    const r = await fetch(`${url}/collector/notifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bodies) });
    const text = await r.text();
    assert.equal(r.status, 202, `tally: POST of ${bodies.length} notification(s): ${text}`);
    const answer = JSON.parse(text) as { failed: { index: number; reason: string }[] };
    for (const { index, reason } of answer.failed) deadLettered.set(messageIdOf(bodies[index]), reason);
    // each POST aggregated alone (as Gnocchi is refreshed after each notification):
    // what falls outside the back window does not depend on the worker's timing
    for (let waited = 0; ; waited += 20) {
      const status = (await (await fetch(`${url}/v1/status?details=false`)).json()) as { storage: { summary: { measures: number } } };
      if (status.storage.summary.measures === 0) break;
      assert.ok(waited < 30_000, `tally: ${status.storage.summary.measures} measures still unprocessed after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return deadLettered;
}

// -- the test ----------------------------------------------------------------------------

test("collector storage: tally stores what Ceilometer 19's gnocchi publisher stores in Gnocchi 4.4", { timeout: 180_000, ...requires(...GNOCCHI_NEEDS, 'python3-ceilometer', 'python3-gnocchiclient') }, async (t) => {
  const files: (CorpusFile & { samples: unknown[] })[] = CORPUS_FILES.map((file) => ({ file, bodies: readCorpus(file), samples: readExpected('expected', file) }));
  // made up here (see pollingMessages, transferMessage), before nova.json deletes the polled instance
  const polling = pollingMessages();
  files.splice(files.findIndex((f) => f.file === 'nova.json'), 0, {
    file: '(generated)',
    bodies: [...polling, transferMessage()],
    samples: [...polling.map(() => null), []],
  });
  // Ceilometer gets each message once, at its first occurrence, as tally stores it
  const seen = new Set<string>();
  const once: { where: string; messageId: string; body: unknown; samples: unknown }[] = [];
  for (const f of files) {
    assert.equal(f.samples.length, f.bodies.length, `${f.file}: expected/ does not match the corpus`);
    f.bodies.forEach((body, index) => {
      const messageId = messageIdOf(body);
      if (seen.has(messageId)) return;
      seen.add(messageId);
      once.push({ where: `${f.file}[${index}]`, messageId, body, samples: f.samples[index] });
    });
  }
  const where = new Map(once.map((m) => [m.messageId, m.where]));

  const servers: TestServer[] = [];
  let gnocchi: RealGnocchi | undefined;
  const ceilometer = startCeilometer();
  const t0 = Date.now();
  const phase = (what: string): void => t.diagnostic(`${what} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    const [real, ...fresh] = await Promise.allSettled([startRealGnocchi({ port: GNOCCHI_PORT, log: (line) => t.diagnostic(line) }), ...SCENARIOS.map(() => startTestServer({}, { collector: true }))]);
    // (whatever started is stopped in `finally`, even when another one failed)
    for (const s of fresh) if (s.status === 'fulfilled') servers.push(s.value as TestServer);
    if (real.status === 'fulfilled') gnocchi = real.value as RealGnocchi;
    for (const s of [real, ...fresh]) if (s.status === 'rejected') throw s.reason;
    assert.ok(gnocchi);
    phase('the stores are up');

    // -- every side takes the corpus, at the same time -------------------------------------
    const [logged, ...deadLettered] = await Promise.all([
      ceilometer.publish(gnocchi.url, once),
      ...SCENARIOS.map((s, k) => feedTally(servers[k].url, s.batches(files))),
    ]);
    assert.equal(logged.length, once.length);
    phase('Ceilometer and tally took the corpus');
    const gn: Side = { name: 'Gnocchi', url: gnocchi.url, headers: { authorization: ADMIN_AUTH } };
    const [theirs, ...mine] = await Promise.all([snapshot(gn), ...servers.map((s) => snapshot({ name: 'tally', url: s.url, headers: {} }))]);
    phase(`the stores were read (${theirs.size} resources in Gnocchi)`);
    assert.ok(theirs.size >= 10, `Gnocchi holds only ${theirs.size} resources: Ceilometer's side did not run`);

    // Ceilometer's publisher drops a notification's measures when Gnocchi refuses to create its resource
    const dropped = new Map<string, string>();
    once.forEach((m, k) => {
      const refusal = logged[k].errors.find((line) => line.startsWith('Error creating resource'));
      if (refusal) dropped.set(m.messageId, refusal);
    });
    assert.ok(dropped.size > 0, 'the corpus no longer has a notification Gnocchi refuses: the dead-letter check proves nothing');

    for (const [k, scenario] of SCENARIOS.entries()) {
      await t.test(`tally fed ${scenario.name}`, async (st) => {
        const ours = mine[k];
        const both = [...theirs.keys()].filter((id) => ours.has(id)).sort();
        // A step lists every difference it finds rather than stopping at the first.
        const steps = { alike: 0, total: 0 };
        const step = async (name: string, fn: (problems: string[]) => void): Promise<void> => {
          steps.total++;
          await st.test(name, () => {
            const problems: string[] = [];
            fn(problems);
            assert.equal(problems.length, 0, `${problems.length} difference(s) (tally first, then Ceilometer+Gnocchi):\n${problems.join('\n')}`);
            steps.alike++;
          });
        };

        await step('the notifications Ceilometer cannot store are the ones tally dead-letters', (problems) => {
          for (const [id, why] of dropped) if (!deadLettered[k].has(id)) problems.push(`${where.get(id)}: tally stores it, Ceilometer drops it: ${why}`);
          for (const [id, why] of deadLettered[k]) if (!dropped.has(id)) problems.push(`${where.get(id)}: tally dead-letters it (${why}), Ceilometer stores it`);
        });

        await step('the same resources, with ids mapped as Gnocchi maps them', (problems) => {
          for (const id of [...theirs.keys()].sort()) if (!ours.has(id)) problems.push(`${id} (${theirs.get(id)!.type}): only in Gnocchi`);
          for (const id of [...ours.keys()].sort()) if (!theirs.has(id)) problems.push(`${id} (${ours.get(id)!.type}): only in tally`);
          for (const id of both) {
            const [a, b] = [ours.get(id)!, theirs.get(id)!];
            if (a.type !== b.type) problems.push(`${id}: type ${a.type} / ${b.type}`);
            const [ea, eb] = [resourceUuid(id, TALLY_CREATOR), resourceUuid(id, GNOCCHI_CREATOR)];
            if (a.id !== ea || b.id !== eb) problems.push(`${id}: id ${a.id} / ${b.id}, expected ${ea} / ${eb}`);
          }
        });

        await step('the same user, project, typed attributes, and ended or not', (problems) => {
          for (const id of both) {
            const [a, b] = [ours.get(id)!, theirs.get(id)!];
            for (const f of ['user_id', 'project_id', 'ended'] as const) if (a[f] !== b[f]) problems.push(`${id} (${b.type}): ${f} ${show(a[f])} / ${show(b[f])}`);
            for (const name of new Set([...Object.keys(a.attributes), ...Object.keys(b.attributes)])) {
              if (show(a.attributes[name]) !== show(b.attributes[name])) problems.push(`${id} (${b.type}): ${name} ${show(a.attributes[name])} / ${show(b.attributes[name])}`);
            }
          }
        });

        await step('the same metrics, archive policies and units', (problems) => {
          for (const id of both) {
            const [a, b] = [ours.get(id)!.metrics, theirs.get(id)!.metrics];
            for (const name of Object.keys(b)) if (!(name in a)) problems.push(`${id}: metric ${name} only in Gnocchi`);
            for (const name of Object.keys(a)) if (!(name in b)) problems.push(`${id}: metric ${name} only in tally`);
            for (const name of Object.keys(b).filter((n) => n in a)) {
              for (const f of ['archive_policy_name', 'unit'] as const) if (a[name][f] !== b[name][f]) problems.push(`${id} ${name}: ${f} ${show(a[name][f])} / ${show(b[name][f])}`);
            }
          }
        });

        await step('the same measures, every granularity and aggregation method', (problems) => {
          let points = 0;
          for (const id of both) {
            const [a, b] = [ours.get(id)!.metrics, theirs.get(id)!.metrics];
            for (const name of Object.keys(b).filter((n) => n in a)) {
              for (const method of new Set([...Object.keys(a[name].measures), ...Object.keys(b[name].measures)])) {
                const [x, y] = [a[name].measures[method], b[name].measures[method]];
                if (Array.isArray(y)) points += y.length;
                if (show(x) !== show(y)) problems.push(`${id} ${name} ${method}:\n  ${show(x)}\n  ${show(y)}`);
              }
            }
          }
          assert.ok(points >= 50, `Gnocchi holds only ${points} points: nothing much was compared`);
        });

        await step('the same history: one revision per change, in the same order', (problems) => {
          for (const id of both) {
            const [a, b] = [ours.get(id)!.history, theirs.get(id)!.history];
            if (show(a) === show(b)) continue;
            problems.push(`${id} (${theirs.get(id)!.type}): ${a.length} / ${b.length} revision(s)`);
            for (let i = 0; i < Math.max(a.length, b.length); i++) {
              if (show(a[i]) === show(b[i])) continue;
              if (!a[i] || !b[i]) {
                problems.push(`  revision ${i} only in ${a[i] ? 'tally' : 'Gnocchi'}: ${show(a[i] ?? b[i])}`);
                continue;
              }
              const changed = [...new Set([...Object.keys(a[i]), ...Object.keys(b[i])])].filter((key) => show(a[i][key]) !== show(b[i][key]));
              problems.push(`  revision ${i}: ${changed.map((key) => `${key} ${show(a[i][key])} / ${show(b[i][key])}`).join(', ')}`);
            }
          }
        });
        reportCompat(st, 'ceilometer-publisher', steps.alike, steps.total, `${both.length} resources, tally fed ${scenario.name}`);
      });
    }
  } finally {
    ceilometer.kill();
    await Promise.all([...servers.map((s) => s.close()), gnocchi?.stop()]);
  }
});
