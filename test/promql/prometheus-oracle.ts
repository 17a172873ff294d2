/**
 * The real Prometheus 2.42 as the reference engine: the data set
 * backfilled with promtool into a fresh TSDB, Prometheus started on it on
 * 127.0.0.1 (no scrape jobs, retention long enough to keep 2026's
 * samples), and its HTTP API's answers.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.js';

export const PROMETHEUS = '/usr/bin/prometheus';
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
  let child: ChildProcess | undefined;
  try {
    writeFileSync(join(dir, 'data.om'), openMetrics);
    execFileSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'data.om'), join(dir, 'tsdb')], { stdio: 'pipe' });
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  evaluation_interval: 1m\n');
    const port = await freePort();
    const proc = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        '--storage.tsdb.retention.time=100y',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let log = '';
    const keep = (d: Buffer): void => {
      log = (log + d.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const url = `http://127.0.0.1:${port}`;
    const until = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}: ${log}`);
      try {
        const res = await fetch(`${url}/-/ready`);
        await res.arrayBuffer();
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`prometheus not ready: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ask = async (path: string, params: Record<string, string>): Promise<ApiAnswer> => {
      const res = await fetch(`${url}${path}`, { method: 'POST', body: new URLSearchParams(params) });
      return (await res.json()) as ApiAnswer;
    };
    return {
      instant: (query, timeS) => ask('/api/v1/query', { query, time: String(timeS) }),
      range: (query, startS, endS, stepS) => ask('/api/v1/query_range', { query, start: String(startS), end: String(endS), step: String(stepS) }),
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise<void>((r) => proc.once('exit', () => r()));
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        cleanup();
      },
    };
  } catch (err) {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    cleanup();
    throw err;
  }
}
