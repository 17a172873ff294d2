/**
 * What the node agent measures, and the shape every sampler hands over.
 * Meter names, types and units are Ceilometer's, so that archive policies,
 * alarms and billing written for Ceilometer keep working.
 */

export type CounterType = 'gauge' | 'delta' | 'cumulative';

/** One reading of one meter on one resource (Ceilometer's sample.Sample, before it is published). */
export interface AgentSample {
  /** Ceilometer's meter name: `cpu`, `disk.device.read.bytes`, `switch.port.receive.bytes`, … */
  readonly name: string;
  readonly type: CounterType;
  readonly unit: string;
  readonly volume: number;
  readonly user_id: string | null;
  readonly project_id: string | null;
  /** the instance's UUID, `<uuid>-<disk>`, `instance-…-<uuid>-<tap>`, a pool's name, … as Ceilometer makes it */
  readonly resource_id: string;
  /** UTC, as Ceilometer's polling manager stamps a poll (`utcnow().isoformat()`): `2026-12-06T05:00:00.123000`, no offset */
  readonly timestamp: string;
  readonly resource_metadata: Readonly<Record<string, unknown>>;
}

/**
 * A source of samples on the node: libvirt, Open vSwitch, Ceph. A sampler
 * makes one round trip (or one child process) per poll, never one per
 * resource.
 */
export interface Sampler {
  /** the name polling.yaml and the logs know it by: `libvirt`, `ovs`, `ceph` */
  readonly name: string;
  /** every meter it can produce, matched against polling.yaml's meter patterns */
  readonly meters: readonly string[];
  /** One poll: the samples of the wanted meters. Rejects when the source cannot be reached (the scheduler retries with backoff). */
  poll(wanted: ReadonlySet<string>): Promise<AgentSample[]>;
  close(): Promise<void>;
}

/** Python's naive `utcnow().isoformat()` for a time in ms: microseconds, omitted when zero as Python does. */
export function pythonUtcIso(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.slice(0, 19) : `${iso.slice(0, 23)}000`;
}
