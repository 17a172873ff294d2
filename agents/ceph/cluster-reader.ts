/**
 * Reads the cluster's parts in one child process (READER_SCRIPT under
 * python3) and checks the JSON it prints into typed readings.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CephPart } from './meters.js';
import { list, num, record, str } from './json-fields.js';
import { READER_SCRIPT } from './reader-script.js';

export interface ClusterCapacity {
  readonly total: number;
  readonly used: number;
  readonly available: number;
  /** HEALTH_OK, HEALTH_WARN, HEALTH_ERR */
  readonly health: string;
}

export interface PoolStats {
  readonly name: string;
  readonly id: number;
  readonly stored: number;
  readonly bytes_used: number;
  readonly objects: number;
  readonly rd: number;
  readonly rd_bytes: number;
  readonly wr: number;
  readonly wr_bytes: number;
}

export interface OsdStats {
  readonly id: number;
  readonly up: boolean;
  readonly in: boolean;
  /** null when the mgr has no report from the OSD yet */
  readonly commit_ms: number | null;
  readonly apply_ms: number | null;
}

export interface RbdImage {
  readonly pool: string;
  readonly name: string;
  readonly provisioned: number;
  readonly used: number;
}

export interface ClusterReading {
  readonly fsid: string;
  readonly cluster?: ClusterCapacity;
  readonly pools?: readonly PoolStats[];
  readonly osds?: readonly OsdStats[];
  readonly images?: readonly RbdImage[];
  /** the parts that failed, with why; `rbd` may fail for some images and still list the others */
  readonly errors: Partial<Record<CephPart, string>>;
}

export interface ClusterReaderOptions {
  /** ceph.conf */
  readonly conf: string;
  /** the client's id (`admin` for client.admin); default: librados's, client.admin */
  readonly id?: string;
  /** default: the conf's `keyring` */
  readonly keyring?: string;
  /** a python3 that imports `rados` and `rbd`: Debian's, not a virtualenv's */
  readonly python?: string;
  readonly timeoutMs?: number;
}

export const DEFAULT_PYTHON = '/usr/bin/python3';

/** Reads `parts` (of cluster, pools, osds, rbd); rejects when the cluster cannot be reached at all. */
export async function readCluster(options: ClusterReaderOptions, parts: ReadonlySet<CephPart>, signal?: AbortSignal): Promise<ClusterReading> {
  // librados would say only "RADOS object not found (error calling conf_read_file)"
  if (!existsSync(options.conf)) throw new Error(`ceph: no configuration file ${options.conf}`);
  const python = options.python ?? DEFAULT_PYTHON;
  // the program on stdin (`python3 -`): the process list shows the arguments, not the script
  const args = ['-', options.conf, options.id ?? '', options.keyring ?? '', [...parts].join(',')];
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(python, args, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024, signal, encoding: 'utf8' }, (err, out, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? `${python} not found (the Ceph sampler needs python3 with python3-rados and python3-rbd)` : `${python}: ${err.message.split('\n')[0]}${stderr ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}`;
        reject(new Error(why));
      } else resolve(out);
    });
    // a child that died before reading its program makes stdin fail: the exit callback above reports that
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(READER_SCRIPT);
  });
  return parseReading(stdout);
}

/** The reader's output checked field by field: what is not as expected is an error, not undefined. */
export function parseReading(text: string): ClusterReading {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`ceph reader printed no JSON: ${text.slice(0, 200)}`);
  }
  const o = record(doc, 'ceph reader output');
  if (typeof o.fatal === 'string') throw new Error(`ceph: ${o.fatal}`);
  const errors: Partial<Record<CephPart, string>> = {};
  for (const [part, why] of Object.entries(record(o.errors, 'errors'))) errors[part as CephPart] = String(why);
  return {
    fsid: str(o.fsid, 'fsid'),
    errors,
    ...(o.cluster === undefined ? {} : { cluster: capacity(o.cluster) }),
    ...(o.pools === undefined ? {} : { pools: list(o.pools, 'pools').map(pool) }),
    ...(o.osds === undefined ? {} : { osds: list(o.osds, 'osds').map(osd) }),
    ...(o.rbd === undefined ? {} : { images: list(o.rbd, 'rbd').map(image) }),
  };
}

function capacity(v: unknown): ClusterCapacity {
  const o = record(v, 'cluster');
  return { total: num(o.total, 'total'), used: num(o.used, 'used'), available: num(o.available, 'available'), health: str(o.health, 'health') };
}

function pool(v: unknown): PoolStats {
  const o = record(v, 'pool');
  return {
    name: str(o.name, 'pool name'),
    id: num(o.id, 'pool id'),
    stored: num(o.stored, 'stored'),
    bytes_used: num(o.bytes_used, 'bytes_used'),
    objects: num(o.objects, 'objects'),
    rd: num(o.rd, 'rd'),
    rd_bytes: num(o.rd_bytes, 'rd_bytes'),
    wr: num(o.wr, 'wr'),
    wr_bytes: num(o.wr_bytes, 'wr_bytes'),
  };
}

function osd(v: unknown): OsdStats {
  const o = record(v, 'osd');
  return {
    id: num(o.id, 'osd id'),
    up: num(o.up, 'up') === 1,
    in: num(o.in, 'in') === 1,
    commit_ms: o.commit_ms === null ? null : num(o.commit_ms, 'commit_ms'),
    apply_ms: o.apply_ms === null ? null : num(o.apply_ms, 'apply_ms'),
  };
}

function image(v: unknown): RbdImage {
  const o = record(v, 'image');
  return { pool: str(o.pool, 'pool'), name: str(o.name, 'image name'), provisioned: num(o.provisioned, 'provisioned'), used: num(o.used, 'used') };
}
