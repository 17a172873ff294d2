/**
 * Runs Gnocchi's own storage and aggregation code (Debian's python3-gnocchi)
 * through test/oracle/gnocchi_oracle.py, so tests can compare tally with the
 * original on the same input.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../oracle/gnocchi_oracle.py', import.meta.url));
export const PYTHON = '/usr/bin/python3';

export interface OraclePolicy {
  back_window: number;
  aggregation_methods: string[];
  definition: { granularity: number; timespan?: number; points?: number }[];
}

export interface OracleCase {
  metrics: Record<string, { policy: OraclePolicy; batches: [number, number][][] }>;
  reads: { metric: string; method: string; granularity: number; from: number | null; to: number | null; resample: number | null }[];
  aggregates: {
    operations: unknown;
    from: number | null;
    to: number | null;
    granularities: number[] | null;
    needed_overlap: number;
    fill: null | number | 'null' | 'dropna';
  }[];
}

/** [µs, granularity s, value]; the oracle writes NaN/±Infinity as strings */
export type OraclePoint = [number, number, number | string];
export type OracleAggregate = { aggregated: OraclePoint[] } | Record<string, Record<string, OraclePoint[]>> | { error: string };

export interface OracleResult {
  reads: (OraclePoint[] | { error: string })[];
  aggregates: OracleAggregate[];
}

export function runOracle(input: OracleCase): OracleResult {
  const r = spawnSync(PYTHON, [script], { input: JSON.stringify(input), maxBuffer: 256 * 2 ** 20, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gnocchi oracle failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as OracleResult;
}

export function oracleNumber(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`oracle: unexpected value ${v}`);
}
