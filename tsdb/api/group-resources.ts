/** Consecutive resources (sorted by the keys) with equal values of the groupby keys, as itertools.groupby makes them. */
import type { Resource } from '../index/resources.js';
import { resourceJson } from './format.js';

export interface ResourceGroup {
  /** key → the group's value, as the resource prints it */
  readonly group: Record<string, unknown>;
  readonly resources: Resource[];
}

export function groupResources(sorted: readonly Resource[], keys: readonly string[]): ResourceGroup[] {
  const out: ResourceGroup[] = [];
  let last = '';
  for (const r of sorted) {
    const json = resourceJson(r);
    const values = keys.map((k) => json[k]);
    const id = JSON.stringify(values);
    if (out.length === 0 || id !== last) {
      out.push({ group: Object.fromEntries(keys.map((k, i) => [k, values[i]])), resources: [] });
      last = id;
    }
    out[out.length - 1].resources.push(r);
  }
  return out;
}
