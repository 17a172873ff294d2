/** "get metric" for a set of metrics: the creator's side passes at once; others need the metric's resource to be their project's. */
import type { Index } from '../index/index.js';
import type { Metric } from '../index/metrics.js';
import type { Caller } from './auth.js';
import { canSeeMetric, requireAccess } from './policy.js';

export async function requireMetricsVisible(index: Index, caller: Caller, metrics: Iterable<Metric>): Promise<void> {
  for (const m of metrics) {
    if (canSeeMetric(caller, m)) continue;
    const resource = m.resourceId === null ? undefined : await index.resources.get('generic', m.resourceId);
    requireAccess(canSeeMetric(caller, m, resource?.projectId));
  }
}
