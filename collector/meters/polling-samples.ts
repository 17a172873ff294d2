/**
 * Samples published by Ceilometer's polling agents: `telemetry.polling`
 * notifications (priority `sample`) whose payload lists the samples in
 * Ceilometer's metering-message form (publisher/utils.py
 * meter_message_from_counter), taken as they are (telemetry/notifications.py).
 */
import { isMapping } from '../definitions/python-values.js';
import type { Notification } from '../notification.js';
import { SampleBuildError } from './meter-definitions.js';
import type { Sample } from './sample.js';

export function pollingSamples({ priority, message }: Notification): Sample[] {
  if (priority !== 'sample' && priority !== 'info') return [];
  const payload = message.payload;
  if (!isMapping(payload) || !Array.isArray(payload.samples)) throw new SampleBuildError('a telemetry.polling payload without a samples list');
  return payload.samples.map((s: unknown, i: number) => {
    if (!isMapping(s)) throw new SampleBuildError(`samples[${i}] is not a mapping`);
    for (const k of ['counter_name', 'counter_type', 'counter_unit', 'counter_volume', 'resource_id', 'timestamp']) {
      if (!(k in s)) throw new SampleBuildError(`samples[${i}]: ${k} is missing`);
    }
    return {
      name: String(s.counter_name),
      type: String(s.counter_type),
      unit: s.counter_unit,
      volume: s.counter_volume,
      user_id: s.user_id ?? null,
      project_id: s.project_id ?? null,
      resource_id: s.resource_id,
      timestamp: String(s.timestamp),
      resource_metadata: isMapping(s.resource_metadata) ? s.resource_metadata : {},
      source: typeof s.source === 'string' ? s.source : 'openstack',
      id: typeof s.message_id === 'string' ? s.message_id : `${message.metadata.message_id}/${i}`,
      monotonic_time: typeof s.monotonic_time === 'number' ? s.monotonic_time : null,
    };
  });
}
