/**
 * The Ceph sampler: cluster capacity and health, pools, OSDs and RBD images
 * through librados in one child process per poll, and, when an RGW admin
 * endpoint is configured, Ceilometer's radosgw.* meters through RGW's admin
 * API. A part that fails (RGW down, no rights on a pool) costs only its own
 * samples: `lastErrors` says which failed and why, and a poll rejects only
 * when nothing at all could be read.
 */
import type { AgentSample, Sampler } from '../sample.js';
import { pythonUtcIso } from '../sample.js';
import { type ClusterReaderOptions, readCluster } from './cluster-reader.js';
import { type CephMeter, type CephPart, CEPH_METERS, METER_ALIASES, PARTS, RADOS_PARTS, wantedMeters } from './meters.js';
import { type RgwAdminOptions, RgwAdminClient } from './rgw-admin.js';
import { clusterSamples, rgwSamples } from './samples.js';

/** the one radosgw meter read from the usage log; the others come from bucket stats */
const USAGE_METER = 'radosgw.api.request';

export interface CephSamplerOptions {
  /** ceph.conf (the agent's --ceph-conf) */
  readonly conf: string;
  /** the client's id, `admin` for client.admin (default) */
  readonly id?: string;
  /** default: the conf's `keyring` */
  readonly keyring?: string;
  /** RGW's admin API; without it no radosgw.* meters */
  readonly rgw?: RgwAdminOptions;
  /** a python3 with python3-rados and python3-rbd: default /usr/bin/python3 */
  readonly python?: string;
  /** for the whole of one part's read; default 60 s */
  readonly timeoutMs?: number;
}

export class CephSampler implements Sampler {
  readonly name = 'ceph';
  readonly meters: readonly string[];
  /** the parts the last poll could not read, and why (empty when all went well) */
  lastErrors: Readonly<Partial<Record<CephPart, string>>> = {};
  private readonly own: readonly CephMeter[];
  private readonly rgw: RgwAdminClient | undefined;
  private readonly closing = new AbortController();

  constructor(private readonly options: CephSamplerOptions) {
    this.rgw = options.rgw ? new RgwAdminClient({ timeoutMs: options.timeoutMs, ...options.rgw }) : undefined;
    this.own = CEPH_METERS.filter((m) => m.part !== 'rgw' || this.rgw !== undefined);
    const aliases = this.rgw ? Object.keys(METER_ALIASES) : [];
    this.meters = [...this.own.map((m) => m.name), ...aliases];
  }

  async poll(wanted: ReadonlySet<string>): Promise<AgentSample[]> {
    const timestamp = pythonUtcIso(Date.now());
    const meters = wantedMeters(wanted, this.own);
    const parts = new Set([...meters.values()].map((m) => m.part));
    const errors: Partial<Record<CephPart, string>> = {};
    const samples: AgentSample[] = [];
    const signal = this.closing.signal;
    const radosParts = new Set(RADOS_PARTS.filter((p) => parts.has(p)));
    await Promise.all([
      radosParts.size === 0
        ? undefined
        : readCluster(this.readerOptions(), radosParts, signal).then(
            (reading) => {
              Object.assign(errors, reading.errors);
              samples.push(...clusterSamples(reading, meters, timestamp));
            },
            (err: unknown) => {
              for (const p of radosParts) errors[p] = message(err);
            },
          ),
      !parts.has('rgw') || !this.rgw
        ? undefined
        : this.rgw.read({ buckets: [...meters.keys()].some((n) => n.startsWith('radosgw.') && n !== USAGE_METER), usage: meters.has(USAGE_METER) }, signal).then(
            (reading) => samples.push(...rgwSamples(reading, meters, timestamp)),
            (err: unknown) => {
              errors.rgw = message(err);
            },
          ),
    ]);
    this.lastErrors = errors;
    const failed = PARTS.filter((p) => parts.has(p) && errors[p] !== undefined);
    // a part that failed for some of its objects (rbd) may still have given samples
    if (parts.size > 0 && failed.length === parts.size && samples.length === 0) {
      const byError = new Map<string, CephPart[]>();
      for (const p of failed) byError.set(errors[p] ?? '', [...(byError.get(errors[p] ?? '') ?? []), p]);
      throw new Error(`nothing could be read: ${[...byError].map(([why, ps]) => `${ps.join(', ')}: ${why}`).join('; ')}`);
    }
    return samples;
  }

  async close(): Promise<void> {
    // a poll under way ends now: its child is killed, its requests aborted
    this.closing.abort();
  }

  private readerOptions(): ClusterReaderOptions {
    const { conf, id, keyring, python, timeoutMs } = this.options;
    return { conf, id, keyring, python, timeoutMs };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
