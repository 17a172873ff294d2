/**
 * The notification mix of bench/collector.ts: nova's compute.instance.exists
 * (4 samples: memory, vcpus, root and ephemeral disk), cinder's volume.exists (1), polling agents' telemetry.polling
 * batches (10), over 2,000 instances and 1,000 volumes.
 */
import { randomUUID } from 'node:crypto';
import { osloEnvelope, osloNotification } from '../collector/amqp/publish.js';

const PREFIX = `tally-bench-${randomUUID().slice(0, 8)}`;
export const EXCHANGES = [`${PREFIX}-nova`, `${PREFIX}-cinder`, `${PREFIX}-ceilometer`];
export const TOPIC = `${PREFIX}-notifications`;
export const QUEUES = [`${TOPIC}.info`, `${TOPIC}.sample`, `${TOPIC}.error`];

const instances = Array.from({ length: 2000 }, () => randomUUID());
const volumes = Array.from({ length: 1000 }, () => randomUUID());
const PROJECT = 'b1f3c0de5e6f4a7b8c9d0e1f2a3b4c5d';
const USER = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** The i-th notification of the mix: [exchange, routing key, body, samples it makes]. */
export function notificationMix(i: number, t: Date): { exchange: string; routingKey: string; body: Buffer; samples: number } {
  const kind = i % 10;
  if (kind < 5) {
    const id = instances[i % instances.length];
    const payload = {
      instance_id: id, tenant_id: PROJECT, user_id: USER, display_name: `vm-${i % instances.length}`, host: `compute-${i % 40}`,
      instance_type: 'm1.small', instance_flavor_id: '2', memory_mb: 2048, vcpus: 1, root_gb: 20, ephemeral_gb: 0, disk_gb: 20,
      state: 'active', created_at: '2024-05-13 09:30:01+00:00', launched_at: '2024-05-13T09:30:42.000000',
      image_meta: { base_image_ref: '155d900f-4e14-4e4c-a73d-069cbf4541e6' }, metadata: {},
      audit_period_beginning: '2024-05-13T09:00:00.000000', audit_period_ending: '2024-05-13T10:00:00.000000',
    };
    const msg = osloNotification({ eventType: 'compute.instance.exists', publisherId: `nova-compute:compute-${i % 40}`, timestamp: t, payload, context: { user_id: USER, project_id: PROJECT, request_id: `req-${i}` } });
    return { exchange: EXCHANGES[0], routingKey: `${TOPIC}.info`, body: osloEnvelope(msg), samples: 4 };
  }
  if (kind < 7) {
    const payload = { volume_id: volumes[i % volumes.length], tenant_id: PROJECT, user_id: USER, size: 10 + (i % 90), display_name: `vol-${i % volumes.length}`, volume_type: 'lvm', status: 'available' };
    const msg = osloNotification({ eventType: 'volume.exists', publisherId: 'volume.controller', timestamp: t, payload, context: { user_id: USER, project_id: PROJECT } });
    return { exchange: EXCHANGES[1], routingKey: `${TOPIC}.info`, body: osloEnvelope(msg), samples: 1 };
  }
  const id = instances[i % instances.length];
  const counters: [string, string, string, number][] = [
    ['cpu', 'cumulative', 'ns', 1e9 * i],
    ['memory.usage', 'gauge', 'MB', 512 + (i % 512)],
    ['memory.resident', 'gauge', 'MB', 600],
    ['disk.device.read.bytes', 'cumulative', 'B', 4096 * i],
    ['disk.device.write.bytes', 'cumulative', 'B', 8192 * i],
    ['network.incoming.bytes', 'cumulative', 'B', 1500 * i],
    ['network.outgoing.bytes', 'cumulative', 'B', 900 * i],
    ['network.incoming.packets', 'cumulative', 'packet', i],
    ['network.outgoing.packets', 'cumulative', 'packet', i],
    ['vcpus', 'gauge', 'vcpu', 1],
  ];
  // as the compute pollsters name them: the instance, its disk, its tap interface
  const rid = (name: string): string => (name.startsWith('disk.device') ? `${id}-vda` : name.startsWith('network') ? `instance-${String(i % instances.length).padStart(8, '0')}-${id}-tap${id.slice(0, 11)}` : id);
  const samples = counters.map(([name, type, unit, volume]) => ({
    source: 'openstack', counter_name: name, counter_type: type, counter_unit: unit, counter_volume: volume,
    user_id: USER, project_id: PROJECT, resource_id: rid(name), timestamp: t.toISOString(),
    resource_metadata: {
      display_name: `vm-${i % instances.length}`, host: `compute-${i % 40}`, flavor: { id: '2', name: 'm1.small' }, instance_host: `compute-${i % 40}`,
      instance_id: id, disk_name: 'vda', vnic_name: `tap${id.slice(0, 11)}`,
    },
    message_id: randomUUID(), monotonic_time: null, message_signature: 'x',
  }));
  const msg = osloNotification({ eventType: 'telemetry.polling', priority: 'SAMPLE', publisherId: `ceilometer.polling.compute-${i % 40}`, timestamp: t, payload: { samples } });
  return { exchange: EXCHANGES[2], routingKey: `${TOPIC}.sample`, body: osloEnvelope(msg), samples: 10 };
}

