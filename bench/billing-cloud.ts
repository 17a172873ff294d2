/**
 * The cloud bench/billing rates: a span of what Ceilometer would have stored
 * for `projects` projects and `resources` resources, written straight into a
 * store (the index's tables in bulk SQL, the measures as incoming blocks
 * through the engine, then aggregated), as fast as the store takes them.
 *
 * Deterministic (a seeded generator), Ceilometer-shaped: its archive
 * policies (ceilometer-low, ceilometer-low-rate for cpu: 300 s × 30 days,
 * mean), a sample every 300 s, 17 s past the grid. Of the resources, 40%
 * instances (cpu, priced by flavor), 30% volumes (volume.size, by type),
 * 15% images (image.size) and 15% floating IPs (network, ip.floating); 70%
 * live through the span, the others are created in it and half of those
 * deleted. With history: 5% of instances resized and 3% of volumes retyped
 * at a random instant (a revision in resource_history), 5% of volumes grown,
 * 3% of instances stopped for 2 to 12 hours (their meters quiet).
 */
import { join } from 'node:path';
import { Engine } from '../tsdb/engine.js';
import { Index } from '../tsdb/index/index.js';
import { prng } from '../test/helpers/prng.js';

export interface CloudShape {
  readonly projects: number;
  readonly resources: number;
  readonly days: number;
  /** s: the span's start (a month's first day) */
  readonly begin: number;
}

export interface CloudSize {
  readonly points: number;
  readonly revisions: number;
  readonly byType: Readonly<Record<string, number>>;
}

const STEP = 300;
const HOUR = 3600;
const FLAVORS = [['m1.small', '2'], ['m1.medium', '3'], ['m1.large', '4']] as const;
const SIZES = [10, 20, 50, 100, 200];
const VOLUME_TYPES = ['ssd', 'hdd'];

/** A 32-hex id (Ceilometer's project and user ids) and a UUID, from a number. */
const hex32 = (kind: number, n: number): string => `${kind.toString(16).padStart(8, '0')}${n.toString(16).padStart(24, '0')}`;
const uuid = (kind: number, n: number): string => {
  const h = hex32(kind, n);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
};
export const projectId = (p: number): string => hex32(0xb111, p);
const userId = (p: number): string => hex32(0xb112, p);

type Kind = 'instance' | 'volume' | 'image' | 'network';
const METRIC: Record<Kind, string> = { instance: 'cpu', volume: 'volume.size', image: 'image.size', network: 'ip.floating' };
const POLICY: Record<Kind, string> = { instance: 'ceilometer-low-rate', volume: 'ceilometer-low', image: 'ceilometer-low', network: 'ceilometer-low' };

const str = { type: 'string', required: false, min_length: 0, max_length: 255 } as const;

interface Row {
  id: string;
  type: Kind;
  project: string;
  user: string;
  started: number;
  ended: number | null;
  revisionStart: number;
  attributes: Record<string, string>;
}

interface HistoryRow extends Row {
  revisionEnd: number;
}

/** One resource of the cloud: its rows, its metric, and how to sample it. */
interface Planned {
  row: Row;
  history: HistoryRow | null;
  metricId: string;
  /** s: samples are taken in [from, until), except in [quietFrom, quietUntil) */
  from: number;
  until: number;
  quietFrom: number;
  quietUntil: number;
  value: (t: number) => number;
}

function plan(shape: CloudShape, i: number, random: () => number): Planned {
  const begin = shape.begin;
  const end = begin + shape.days * 86_400;
  const r = i % 20;
  const type: Kind = r < 8 ? 'instance' : r < 14 ? 'volume' : r < 17 ? 'image' : 'network';
  const p = i % shape.projects;
  const through = random() < 0.7;
  // the long-lived ones started before the span; the others in it, half of them deleted later in it
  const started = through ? begin - 86_400 * (1 + Math.floor(random() * 30)) - Math.floor(random() * 86_400) : begin + Math.floor(random() * (end - begin - HOUR));
  const ended = !through && random() < 0.5 ? Math.min(end - 1, started + HOUR + Math.floor(random() * 10 * 86_400)) : null;
  const lifeEnd = ended ?? end;
  const row: Row = { id: uuid(0xc000 + r, i), type, project: projectId(p), user: userId(p), started, ended, revisionStart: started, attributes: {} };
  let history: HistoryRow | null = null;
  const change = Math.max(started, begin) + Math.floor(random() * Math.max(1, lifeEnd - Math.max(started, begin)));
  let quietFrom = 0;
  let quietUntil = 0;
  let value: (t: number) => number;
  const roll = random();
  switch (type) {
    case 'instance': {
      const f = Math.floor(random() * FLAVORS.length);
      row.attributes = { flavor_name: FLAVORS[f][0], flavor_id: FLAVORS[f][1], display_name: `vm-${i}` };
      if (roll < 0.05) {
        // resized: the row before is history until the change, the row is the new flavor from it
        const g = (f + 1) % FLAVORS.length;
        history = { ...row, attributes: { ...row.attributes }, ended: row.ended, revisionEnd: change };
        row.attributes = { flavor_name: FLAVORS[g][0], flavor_id: FLAVORS[g][1], display_name: `vm-${i}` };
        row.revisionStart = change;
      } else if (roll < 0.08) {
        quietFrom = change;
        quietUntil = change + 2 * HOUR + Math.floor(random() * 10 * HOUR);
      }
      const share = 0.05 + random();
      value = (t) => Math.round(1e9 * share * (t - started + 1));
      break;
    }
    case 'volume': {
      const size = SIZES[Math.floor(random() * SIZES.length)];
      const vt = VOLUME_TYPES[Math.floor(random() * 2)];
      row.attributes = { volume_type: vt, display_name: `vol-${i}` };
      if (roll < 0.03) {
        history = { ...row, attributes: { ...row.attributes }, revisionEnd: change };
        row.attributes = { volume_type: vt === 'ssd' ? 'hdd' : 'ssd', display_name: `vol-${i}` };
        row.revisionStart = change;
        value = () => size;
      } else if (roll < 0.08) {
        value = (t) => (t < change ? size : size * 2);
      } else value = () => size;
      break;
    }
    case 'image': {
      const bytes = (1 + Math.floor(random() * 8)) * 268_435_456;
      row.attributes = { name: `image-${i}`, container_format: 'bare', disk_format: random() < 0.5 ? 'qcow2' : 'raw' };
      value = () => bytes;
      break;
    }
    default:
      row.attributes = { state: 'ACTIVE' };
      value = () => 1;
  }
  // samples from an hour before the span (what is in force at its start) to the end of life
  return { row, history, metricId: uuid(0xd000 + r, i), from: Math.max(started, begin - HOUR), until: lifeEnd, quietFrom, quietUntil, value };
}

const at = (s: number): string => new Date(s * 1000).toISOString();

/** Writes the cloud into a store at `dataDir` (its `tsdb/` and `index/`, as tally lays them out), then aggregates it. */
export async function buildCloud(dataDir: string, shape: CloudShape, log: (line: string) => void): Promise<CloudSize> {
  const index = await Index.open(join(dataDir, 'index'), { defaults: true });
  const engine = Engine.open({ path: join(dataDir, 'tsdb') });
  try {
    await index.resourceTypes.create('instance', { flavor_name: str, flavor_id: str, display_name: str });
    await index.resourceTypes.create('volume', { volume_type: str, display_name: str });
    await index.resourceTypes.create('image', { name: str, container_format: str, disk_format: str });
    await index.resourceTypes.create('network', { state: str });
    // rated by the shipped metrics.yml too, without resources here
    await index.resourceTypes.create('instance_network_interface', { instance_id: str });
    await index.resourceTypes.create('ceph_account', {});
    const policies = new Map<string, Awaited<ReturnType<typeof index.archivePolicies.get>>>();
    for (const name of new Set(Object.values(POLICY))) policies.set(name, await index.archivePolicies.get(name));

    const random = prng(20261101);
    const byType: Record<string, number> = {};
    let points = 0;
    let revisions = 0;
    const BATCH = 500;
    for (let first = 0; first < shape.resources; first += BATCH) {
      const planned: Planned[] = [];
      for (let i = first; i < Math.min(shape.resources, first + BATCH); i++) planned.push(plan(shape, i, random));
      // the index: resources, their superseded revisions and their metrics, one statement each
      const rows = planned.map((p) => p.row);
      const cols = (rs: readonly Row[]): unknown[] => [
        rs.map((r) => r.id), rs.map((r) => r.type), rs.map((r) => `${r.user}:${r.project}`), rs.map((r) => at(r.started)), rs.map((r) => at(r.revisionStart)),
        rs.map((r) => (r.ended === null ? null : at(r.ended))), rs.map((r) => r.user), rs.map((r) => r.project), rs.map((r) => r.id), rs.map((r) => JSON.stringify(r.attributes)),
      ];
      const UNNEST = 'unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::jsonb[]';
      await index.sql.query(`INSERT INTO resource (id, type, creator, started_at, revision_start, ended_at, user_id, project_id, original_resource_id, attributes) SELECT * FROM ${UNNEST})`, cols(rows));
      const history = planned.flatMap((p) => (p.history ? [p.history] : []));
      if (history.length > 0) {
        await index.sql.query(
          `INSERT INTO resource_history (id, type, creator, started_at, revision_start, ended_at, user_id, project_id, original_resource_id, attributes, revision_end) SELECT * FROM ${UNNEST}, $11::timestamptz[])`,
          [...cols(history), history.map((h) => at(h.revisionEnd))],
        );
      }
      revisions += history.length;
      await index.sql.query(
        'INSERT INTO metric (id, archive_policy_name, creator, resource_id, name, unit) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[])',
        [planned.map((p) => p.metricId), planned.map((p) => POLICY[p.row.type]), planned.map((p) => `${p.row.user}:${p.row.project}`), planned.map((p) => p.row.id), planned.map((p) => METRIC[p.row.type]), planned.map(() => null)],
      );
      await engine.ensureMetrics(planned.map((p) => ({ id: p.metricId, policy: policies.get(POLICY[p.row.type])! })));
      // the measures: one incoming block per batch of resources
      const starts = new Uint32Array(planned.length + 1);
      let n = 0;
      for (let k = 0; k < planned.length; k++) {
        const p = planned[k];
        starts[k] = n;
        for (let t = Math.ceil((p.from - 17) / STEP) * STEP + 17; t < p.until; t += STEP) if (t < p.quietFrom || t >= p.quietUntil) n++;
        byType[p.row.type] = (byType[p.row.type] ?? 0) + 1;
      }
      starts[planned.length] = n;
      const timestamps = new Float64Array(n);
      const values = new Float64Array(n);
      let j = 0;
      for (const p of planned) {
        for (let t = Math.ceil((p.from - 17) / STEP) * STEP + 17; t < p.until; t += STEP) {
          if (t >= p.quietFrom && t < p.quietUntil) continue;
          timestamps[j] = t * 1e6;
          values[j++] = p.value(t);
        }
      }
      await engine.addMeasureColumns({ metricIds: planned.map((p) => p.metricId), starts, timestamps, values });
      points += n;
      // aggregate as we go: the incoming buffer stays small
      await engine.processAll();
      if ((first / BATCH) % 20 === 0) log(`${Math.min(shape.resources, first + BATCH).toLocaleString('en')} resources, ${points.toLocaleString('en')} points`);
    }
    return { points, revisions, byType };
  } finally {
    await engine.close();
    await index.close();
  }
}
