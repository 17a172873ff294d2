/** The deterministic workload shared by the crash test and its child process. */
import type { ArchivePolicyInput } from '../../tsdb/archive-policy.js';

export const CRASH_METRICS = 8;
export const MEASURES_PER_BATCH = 250;
/** midnight UTC, so every measure falls in one 1-day block and none is too late */
export const CRASH_BASE_US = Date.UTC(2024, 0, 1) * 1000;

export const crashPolicyInput: ArchivePolicyInput = {
  name: 'crash',
  aggregation_methods: ['count', 'sum'],
  definition: [{ granularity: 0.001 }, { granularity: 86400 }],
};

/** Batch b goes to metric b mod CRASH_METRICS; measure k of the run has timestamp base + k ms and value k. */
export function batchMeasures(b: number): { metricId: string; timestamps: number[]; values: number[] } {
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < MEASURES_PER_BATCH; i++) {
    const k = b * MEASURES_PER_BATCH + i;
    timestamps.push(CRASH_BASE_US + k * 1000);
    values.push(k);
  }
  return { metricId: `m${b % CRASH_METRICS}`, timestamps, values };
}
