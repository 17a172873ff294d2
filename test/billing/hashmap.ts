/**
 * The hashmap rules the billing tests rate with, created through CloudKitty's
 * own API (/v1/rating/module_config/hashmap): services named as the rated
 * metrics (their alt_name), a field with flat mappings per flavor, a
 * project's own rate mapping (a discount), flat prices per unit on services,
 * rate mappings on a field's values, and a service threshold. Hashmap prices a
 * point as qty × the largest flat × the product of the rates (× a threshold's
 * rate), so every priced service has a flat mapping.
 */
import { PROJECT_B } from './cloud.js';

async function post(ck: string, path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await fetch(`${ck}/v1/rating/module_config/hashmap/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`POST hashmap/${path} ${JSON.stringify(body)}: HTTP ${r.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Creates the rules in the CloudKitty whose API is at `ck`. */
export async function configureHashmap(ck: string): Promise<void> {
  const service = async (name: string): Promise<string> => String((await post(ck, 'services', { name })).service_id);
  const field = async (serviceId: string, name: string): Promise<string> => String((await post(ck, 'fields', { service_id: serviceId, name })).field_id);

  // instances: a flat price per hour by flavor; project B has 20% off
  const instance = await service('instance');
  const flavorName = await field(instance, 'flavor_name');
  for (const [value, cost] of [['m1.small', '0.25'], ['m1.medium', '0.5'], ['m1.large', '2']] as const) await post(ck, 'mappings', { field_id: flavorName, value, cost, type: 'flat' });
  await post(ck, 'mappings', { service_id: instance, cost: '0.8', type: 'rate', tenant_id: PROJECT_B });

  // volumes: per GiB, ssd at a higher rate, 10% off from 50 GiB on
  const volume = await service('volume.size');
  await post(ck, 'mappings', { service_id: volume, cost: '0.002', type: 'flat' });
  const volumeType = await field(volume, 'volume_type');
  await post(ck, 'mappings', { field_id: volumeType, value: 'ssd', cost: '2.5', type: 'rate' });
  await post(ck, 'mappings', { field_id: volumeType, value: 'hdd', cost: '1', type: 'rate' });
  await post(ck, 'thresholds', { service_id: volume, level: '50', cost: '0.9', type: 'rate' });

  // images: per MiB; cpu: per second; memory: per MiB used
  await post(ck, 'mappings', { service_id: await service('image.size'), cost: '0.00001', type: 'flat' });
  await post(ck, 'mappings', { service_id: await service('cpu'), cost: '0.0003', type: 'flat' });
  await post(ck, 'mappings', { service_id: await service('memory.usage'), cost: '0.0001', type: 'flat' });
}
