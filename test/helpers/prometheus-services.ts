/**
 * Real Prometheus software on loopback for the scraper's tests: Debian's
 * prometheus-node-exporter, Prometheus 2.42 itself, and an OpenMetrics
 * exporter written with the Prometheus Python client (npm test installs the
 * packages); every process listens on 127.0.0.1 on a free port and is
 * stopped by `stop()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Requirement } from '../lib/requirements.js';
import { freePort } from './free-port.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
export const PROMETHEUS = '/usr/bin/prometheus';
const PYTHON = '/usr/bin/python3';

/** The Debian packages these services come from: `requires(...PROMETHEUS_NEEDS)` on the tests that start them. */
export const PROMETHEUS_NEEDS = ['prometheus', 'prometheus-node-exporter', 'python3-prometheus-client'] as const satisfies readonly Requirement[];

export interface Service {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

async function waitFor(url: string, child: ChildProcess, what: string, output: () => string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${output()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms: ${output()}`);
}

/** Starts `command` and waits until `readyPath` answers on 127.0.0.1:`port`; `stop()` ends it (SIGTERM, then SIGKILL) and runs `cleanup`. */
export async function startService(what: string, command: string, args: string[], port: number, readyPath: string, cleanup: () => void = () => undefined): Promise<Service> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}${readyPath}`, child, what, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, process: child, stop };
}

/** prometheus-node-exporter on 127.0.0.1 (on `port`, else a free one), optionally reading *.prom files from `textfileDir`. */
export async function startNodeExporter(options: { textfileDir?: string; port?: number } = {}): Promise<Service> {
  const port = options.port ?? (await freePort());
  const args = [`--web.listen-address=127.0.0.1:${port}`];
  if (options.textfileDir) args.push(`--collector.textfile.directory=${options.textfileDir}`);
  return startService('prometheus-node-exporter', NODE_EXPORTER, args, port, '/metrics');
}

/**
 * Prometheus 2.42 with this configuration (YAML), its TSDB in a temporary
 * folder, removed when it stops; given `dir` and `port`, in that folder
 * (kept) on that port, so that a Prometheus stopped can start again on its data.
 */
export async function startPrometheus(configYaml: string, options: { dir?: string; port?: number; args?: readonly string[] } = {}): Promise<Service> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tally-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), configYaml);
  const port = options.port ?? (await freePort());
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...(options.args ?? []),
  ];
  return startService('prometheus', PROMETHEUS, args, port, '/-/ready', options.dir ? undefined : () => rmSync(dir, { recursive: true, force: true }));
}

export const VICTORIA_METRICS = '/usr/bin/victoria-metrics';

/** VictoriaMetrics 1.79 (Debian `victoria-metrics`) storing in `dir` (kept) on `port`: its `/write` takes InfluxDB line protocol. */
export async function startVictoriaMetrics(dir: string, port: number): Promise<Service> {
  const args = [`-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR'];
  return startService('victoria-metrics', VICTORIA_METRICS, args, port, '/health');
}

/** test/helpers/openmetrics-exporter.py (Prometheus Python client): OpenMetrics with exemplars, units, _created. */
export async function startOpenMetricsExporter(): Promise<Service> {
  const port = await freePort();
  return startService('openmetrics-exporter.py', PYTHON, [join(ROOT, 'test', 'helpers', 'openmetrics-exporter.py'), String(port)], port, '/metrics');
}
