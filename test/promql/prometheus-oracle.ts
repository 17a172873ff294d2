/**
 * The real Prometheus 2.42 as the reference engine: the data set
 * backfilled with promtool into a fresh TSDB, Prometheus started on it on
 * 127.0.0.1 (no scrape jobs, retention long enough to keep 2026's
 * samples), and its HTTP API's answers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.js';
import { PROMETHEUS, type Service, startService } from '../helpers/prometheus-services.js';

export const PROMTOOL = '/usr/bin/promtool';

export type ApiAnswer =
  | { readonly status: 'success'; readonly data: { resultType: string; result: unknown } }
  | { readonly status: 'error'; readonly errorType: string; readonly error: string };

export interface Oracle {
  instant(query: string, timeS: number): Promise<ApiAnswer>;
  range(query: string, startS: number, endS: number, stepS: number): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export async function startOracle(openMetrics: string): Promise<Oracle> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-promql-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  let service: Service;
  try {
    writeFileSync(join(dir, 'data.om'), openMetrics);
    execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'data.om'), join(dir, 'tsdb')], { stdio: 'pipe' });
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  evaluation_interval: 1m\n');
    const port = await freePort();
    const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--storage.tsdb.retention.time=100y', `--web.listen-address=127.0.0.1:${port}`];
    service = await startService('prometheus', PROMETHEUS, args, port, '/-/ready', cleanup);
  } catch (err) {
    cleanup();
    throw err;
  }
  const ask = async (path: string, params: Record<string, string>): Promise<ApiAnswer> => {
    const res = await fetch(`${service.url}${path}`, { method: 'POST', body: new URLSearchParams(params) });
    return (await res.json()) as ApiAnswer;
  };
  return {
    instant: (query, timeS) => ask('/api/v1/query', { query, time: String(timeS) }),
    range: (query, startS, endS, stepS) => ask('/api/v1/query_range', { query, start: String(startS), end: String(endS), step: String(stepS) }),
    stop: () => service.stop(),
  };
}
