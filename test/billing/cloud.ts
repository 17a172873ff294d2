/**
 * A scripted cloud for the billing tests: three hours of what Ceilometer would
 * have stored for two projects, written through the Gnocchi v1 API, so that the
 * same calls load tally and the real Gnocchi alike.
 *
 * As Ceilometer makes it: its archive policies (ceilometer-low, and
 * ceilometer-low-rate for cpu), its resource types (the attributes
 * `ceilometer-upgrade` gives instance, volume and image), resources with their
 * metrics, measures from a 300 s polling interval (a few seconds past each
 * grid point, as samples arrive). Unlike Ceilometer, resources carry their
 * real started_at/ended_at: the cloud is in the past, and CloudKitty selects
 * resources by those times.
 *
 * Project A: a small instance for the three hours, a large one from 01:10
 * (with memory.usage), an ssd volume, an hdd volume deleted at 01:50, a qcow2
 * image. Project B: a medium instance, a small one resized to medium (its
 * current flavor is what CloudKitty sees), an ssd volume grown from 50 to 60 GiB
 * at 01:30, a raw image; no memory.usage at all (Gnocchi answers "Metrics not
 * found" and CloudKitty skips the metric).
 */

export const HOUR = 3600;
export const STEP = 300;
/** start of the first rated hour */
export const T0 = Date.UTC(2026, 10, 2, 0, 0, 0) / 1000;
export const HOURS = 3;

export const PROJECT_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const PROJECT_B = 'b0c1d2e3f4a5968778695a4b3c2d1e0f';
const USER_A = 'aa11bb22cc33dd44ee55ff6677889900';
const USER_B = 'bb22cc33dd44ee55ff66778899001122';

type Attributes = Record<string, string | null>;
type Series = (t: number) => number;

export interface CloudResource {
  readonly type: 'instance' | 'volume' | 'image';
  readonly id: string;
  readonly project: string;
  readonly user: string;
  /** seconds since the epoch */
  readonly from: number;
  /** seconds since the epoch; null: still there */
  readonly until: number | null;
  readonly attributes: Attributes;
  /** attributes changed after creation (a resize): the resource's current state */
  readonly update?: Attributes;
  /** metric name to the value of a sample taken at time t */
  readonly metrics: Readonly<Record<string, Series>>;
}

const at = (h: number, m = 0): number => T0 + h * HOUR + m * 60;
const flavor = (name: string, id: string): Attributes => ({ flavor_name: name, flavor_id: id });
const instance = (id: string, project: string, user: string, name: string, fl: Attributes, vcpus: number, memory: number, from: number, cpuPerSecond: number, memoryUsage: boolean, update?: Attributes): CloudResource => ({
  type: 'instance',
  id,
  project,
  user,
  from,
  until: null,
  attributes: { ...fl, display_name: name, host: 'compute-0', image_ref: '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d' },
  update,
  metrics: {
    vcpus: () => vcpus,
    memory: () => memory,
    // cumulative ns of cpu time: a rate that changes every half hour
    cpu: (t) => Math.round(1e9 * cpuPerSecond * (t - from) * (1 + 0.25 * (Math.floor((t - from) / 1800) % 3))),
    ...(memoryUsage ? { 'memory.usage': (t: number) => Math.round(memory * (0.3 + 0.2 * Math.sin((t - T0) / 2000))) } : {}),
  },
});

export const RESOURCES: readonly CloudResource[] = [
  instance('4d1e2f3a-5b6c-4d7e-8f90-a1b2c3d4e5f6', PROJECT_A, USER_A, 'web-a', flavor('m1.small', '2'), 1, 2048, at(0), 0.4, true),
  instance('5e2f3a4b-6c7d-4e8f-9a01-b2c3d4e5f6a7', PROJECT_A, USER_A, 'db-a', flavor('m1.large', '4'), 4, 8192, at(1, 10), 1.5, true),
  instance('6f3a4b5c-7d8e-4f90-ab12-c3d4e5f6a7b8', PROJECT_B, USER_B, 'app-b', flavor('m1.medium', '3'), 2, 4096, at(0), 0.8, false),
  instance('7a4b5c6d-8e9f-4a01-bc23-d4e5f6a7b8c9', PROJECT_B, USER_B, 'batch-b', flavor('m1.small', '2'), 1, 2048, at(0), 0.2, false, flavor('m1.medium', '3')),
  {
    type: 'volume', id: '8b5c6d7e-9fa0-4b12-8d34-e5f6a7b8c9d0', project: PROJECT_A, user: USER_A, from: at(0), until: null,
    attributes: { display_name: 'data-a', volume_type: 'ssd' }, metrics: { 'volume.size': () => 20 },
  },
  {
    type: 'volume', id: '9c6d7e8f-a0b1-4c23-9e45-f6a7b8c9d0e1', project: PROJECT_A, user: USER_A, from: at(0), until: at(1, 50),
    attributes: { display_name: 'scratch-a', volume_type: 'hdd' }, metrics: { 'volume.size': () => 100 },
  },
  {
    type: 'volume', id: 'ad7e8f90-b1c2-4d34-af56-a7b8c9d0e1f2', project: PROJECT_B, user: USER_B, from: at(0), until: null,
    attributes: { display_name: 'data-b', volume_type: 'ssd' }, metrics: { 'volume.size': (t) => (t < at(1, 30) ? 50 : 60) },
  },
  {
    type: 'image', id: 'be8f90a1-c2d3-4e45-b067-b8c9d0e1f2a3', project: PROJECT_A, user: USER_A, from: at(0), until: null,
    attributes: { name: 'debian-12', container_format: 'bare', disk_format: 'qcow2' }, metrics: { 'image.size': () => 2147483648 },
  },
  {
    type: 'image', id: 'cf90a1b2-d3e4-4f56-8178-c9d0e1f2a3b4', project: PROJECT_B, user: USER_B, from: at(0), until: null,
    attributes: { name: 'tools', container_format: 'bare', disk_format: 'raw' }, metrics: { 'image.size': () => 524288000 },
  },
];

/** Ceilometer's two low policies (gnocchi_resources.yaml), which ceilometer-upgrade creates. */
export const ARCHIVE_POLICIES = [
  { name: 'ceilometer-low', back_window: 0, aggregation_methods: ['mean'], definition: [{ granularity: '5 minutes', timespan: '30 days' }] },
  { name: 'ceilometer-low-rate', back_window: 0, aggregation_methods: ['mean', 'rate:mean'], definition: [{ granularity: '5 minutes', timespan: '30 days' }] },
] as const;

const str = (required: boolean): Record<string, unknown> => ({ type: 'string', min_length: 0, max_length: 255, required });
/** The attributes ceilometer-upgrade (Ceilometer 19) leaves these types with. */
export const RESOURCE_TYPES = [
  {
    name: 'instance',
    attributes: {
      flavor_id: str(true), image_ref: str(false), host: str(true), display_name: str(true), server_group: str(false), flavor_name: str(false),
      launched_at: { type: 'datetime', required: false }, created_at: { type: 'datetime', required: false }, deleted_at: { type: 'datetime', required: false },
      availability_zone: str(false),
    },
  },
  { name: 'volume', attributes: { display_name: str(false), volume_type: str(false), image_id: { type: 'uuid', required: false }, instance_id: { type: 'uuid', required: false } } },
  { name: 'image', attributes: { name: str(true), container_format: str(true), disk_format: str(true) } },
  // no floating IP in this cloud: CloudKitty's ip.floating finds no resource
  { name: 'network', attributes: {} },
] as const;

const POLICY_OF: Readonly<Record<string, string>> = { cpu: 'ceilometer-low-rate' };
const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', '+00:00');

/** Sample times of a resource: every 300 s (17 s past the grid) while it exists, up to the end of the cloud. */
export function sampleTimes(r: CloudResource): number[] {
  const end = Math.min(r.until ?? Infinity, T0 + HOURS * HOUR);
  const out: number[] = [];
  for (let t = r.from; t < end; t += STEP) out.push(t + 17);
  return out;
}

export interface GnocchiTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

async function send(target: GnocchiTarget, method: string, path: string, body: unknown, ok: readonly number[]): Promise<unknown> {
  const r = await fetch(`${target.url}${path}`, {
    method,
    headers: { ...target.headers, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (!ok.includes(r.status)) throw new Error(`${method} ${target.url}${path}: HTTP ${r.status} ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** Writes the cloud; resolves once every measure is aggregated (aggregates do not refresh). */
export async function loadCloud(target: GnocchiTarget, resources: readonly CloudResource[] = RESOURCES): Promise<void> {
  // tally has Ceilometer's policies from the start (409), the real Gnocchi not
  for (const p of ARCHIVE_POLICIES) await send(target, 'POST', '/v1/archive_policy', p, [201, 409]);
  for (const rt of RESOURCE_TYPES) await send(target, 'POST', '/v1/resource_type', rt, [201]);
  const batch: Record<string, Record<string, { timestamp: string; value: number }[]>> = {};
  for (const r of resources) {
    const metrics = Object.fromEntries(Object.keys(r.metrics).map((m) => [m, { archive_policy_name: POLICY_OF[m] ?? 'ceilometer-low' }]));
    await send(target, 'POST', `/v1/resource/${r.type}`, {
      id: r.id, project_id: r.project, user_id: r.user, started_at: iso(r.from), ...(r.until === null ? {} : { ended_at: iso(r.until) }), ...r.attributes, metrics,
    }, [201]);
    if (r.update) await send(target, 'PATCH', `/v1/resource/${r.type}/${r.id}`, r.update, [200]);
    batch[r.id] = Object.fromEntries(Object.entries(r.metrics).map(([m, f]) => [m, sampleTimes(r).map((t) => ({ timestamp: iso(t), value: f(t) }))]));
  }
  await send(target, 'POST', '/v1/batch/resources/metrics/measures', batch, [202]);
  for (const r of resources) for (const m of Object.keys(r.metrics)) await send(target, 'GET', `/v1/resource/${r.type}/${r.id}/metric/${m}/measures?refresh=true&limit=1`, undefined, [200]);
}
