/**
 * A sample as Ceilometer's polling agent puts it in a notification
 * (publisher/utils.py meter_message_from_counter). The signature is left
 * empty, as Ceilometer leaves it with an empty telemetry_secret: no
 * consumer checks it (Ceilometer's notification agent does not either).
 */
import { randomUUID } from 'node:crypto';
import type { AgentSample } from '../sample.js';

export interface MeteringMessage {
  readonly source: string;
  readonly counter_name: string;
  readonly counter_type: string;
  readonly counter_unit: string;
  readonly counter_volume: number;
  readonly user_id: string | null;
  readonly project_id: string | null;
  readonly resource_id: string;
  readonly timestamp: string;
  readonly resource_metadata: Readonly<Record<string, unknown>>;
  readonly message_id: string;
  /** seconds of a monotonic clock when the value was read (Ceilometer's time.monotonic()) */
  readonly monotonic_time: number;
  readonly message_signature: string;
}

export function meteringMessage(s: AgentSample): MeteringMessage {
  return {
    source: 'openstack',
    counter_name: s.name,
    counter_type: s.type,
    counter_unit: s.unit,
    counter_volume: s.volume,
    user_id: s.user_id,
    project_id: s.project_id,
    resource_id: s.resource_id,
    timestamp: s.timestamp,
    resource_metadata: s.resource_metadata,
    message_id: randomUUID(),
    monotonic_time: performance.now() / 1000,
    message_signature: '',
  };
}
