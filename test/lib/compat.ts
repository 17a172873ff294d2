/**
 * The compatibility suites: where the same input goes to an original (Gnocchi,
 * Aodh, Ceilometer, their own tests) and to tally. Each reports its count with
 * `reportCompat`; the runner (test/run.ts) prints one line per suite at the end
 * of the run, and says so when a suite reported nothing, so that a reader sees
 * at a glance that the proofs ran. Whether a count is good enough is the
 * reporting test's to assert: most demand every case, the gabbi suites
 * Gnocchi's own pass count.
 */
import type { TestContext } from 'node:test';

export const COMPAT_SUITES = {
  'gnocchi-gabbi': { title: "Gnocchi 4.4's own API suites (gabbi)", unit: 'tests pass' },
  'gnocchi-api': { title: 'Gnocchi 4.4 API, same workload to both', unit: 'steps answer alike' },
  'gnocchi-carbonara': { title: "Gnocchi 4.4's carbonara vs the engine", unit: 'cases agree' },
  'ceilometer-meters': { title: 'Ceilometer 19 meter definitions, notification corpus', unit: 'notifications agree' },
  'ceilometer-events': { title: 'Ceilometer 19 event definitions, notification corpus', unit: 'notifications agree' },
  'ceilometer-jsonpath': { title: "Ceilometer's JSONPath (jsonpath-rw-ext)", unit: 'expressions agree' },
  'ceilometer-publisher': { title: "Ceilometer 19's gnocchi publisher into Gnocchi 4.4", unit: 'steps store alike' },
  'aodh-api': { title: 'Aodh 15 API, recorded exchanges replayed', unit: 'exchanges answer alike' },
  'aodh-evaluator': { title: "Aodh 15's evaluator code vs tally's", unit: 'cases decide alike' },
  'prometheus-promql': { title: 'Prometheus 2.42, same samples, PromQL queries (instant and range)', unit: 'queries agree' },
  'cloudkitty-gnocchi': { title: 'CloudKitty 17 rating from tally vs from Gnocchi 4.4', unit: 'frames agree' },
  'cloudkitty-hashmap-api': { title: 'CloudKitty 17 rating API (hashmap), recorded exchanges replayed', unit: 'exchanges answer alike' },
  'cloudkitty-hashmap-pricing': { title: "CloudKitty 17's HashMap.process vs tally's pricing", unit: 'points priced alike' },
  'cloudkitty-v2-api': { title: 'CloudKitty 17 v2 summary and dataframes (InfluxDB storage) vs tally rating the same store', unit: 'requests answer alike' },
} as const satisfies Record<string, { title: string; unit: string }>;

export type CompatSuite = keyof typeof COMPAT_SUITES;

/** The diagnostic line a report travels in, from the test file's process to the runner. */
export const COMPAT_LINE = /^compat (\S+) (\d+)\/(\d+)(?: (.*))?$/;

/**
 * Records a suite's count: `agreed` of `total` alike, `variant` naming a run of
 * the suite when it has several (e.g. the index driver). Call it before
 * asserting, so that a failing suite still shows how far it got.
 */
export function reportCompat(t: TestContext, suite: CompatSuite, agreed: number, total: number, variant?: string): void {
  t.diagnostic(`compat ${suite} ${agreed}/${total}${variant ? ` ${variant}` : ''}`);
}
