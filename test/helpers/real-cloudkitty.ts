/**
 * A real CloudKitty 17 (Debian packages) through test/cloudkitty/up.sh, for
 * end-to-end billing tests: its API on loopback, its state and rated
 * dataframes in a fresh PostgreSQL database, and rate(), which rates given
 * periods with CloudKitty's own processor worker (test/cloudkitty/rate.py).
 * Scripts run as child processes, never synchronously: the caller's event
 * loop (tally's server) must keep running while CloudKitty reads from it.
 */
import { randomInt } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Requirement } from '../lib/requirements.js';
import { runCommand, runScript } from './run-script.js';

const UP = fileURLToPath(new URL('../cloudkitty/up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../cloudkitty/down.sh', import.meta.url));
const RATE = fileURLToPath(new URL('../cloudkitty/rate.py', import.meta.url));
/** Debian's Python, which has CloudKitty's modules (not a python3 earlier on PATH) */
const PYTHON = '/usr/bin/python3';

/** What up.sh needs: `requires(...CLOUDKITTY_NEEDS)` on the tests that start it. */
export const CLOUDKITTY_NEEDS = ['root', 'cloudkitty-processor', 'cloudkitty-api', 'python3-cloudkittyclient', 'uwsgi-core', 'uwsgi-plugin-python3', 'python3-psycopg2', 'postgresql', 'curl', 'iproute2'] as const satisfies readonly Requirement[];
/** …and with `storage: 'influxdb'` */
export const CLOUDKITTY_V2_NEEDS = [...CLOUDKITTY_NEEDS, 'influxdb', 'python3-influxdb'] as const satisfies readonly Requirement[];

export interface CloudKittyOptions {
  /** loopback port of its API (CK_PORT); default 28889 */
  port?: number;
  collector: 'gnocchi' | 'prometheus';
  /** the Gnocchi API the gnocchi collector reads */
  gnocchiUrl?: string;
  /** basic (user `gnocchiUser`) or gnocchiclient's gnocchi-noauth plugin (user and project `gnocchiUser`, role admin) */
  gnocchiAuth?: 'basic' | 'noauth';
  gnocchiUser?: string;
  /** the Prometheus HTTP API the prometheus collector reads, with its /api/v1 (CloudKitty appends /query) */
  prometheusUrl?: string;
  prometheusUser?: string;
  prometheusPassword?: string;
  /** how its processor finds scopes: the project ids of the resources at `gnocchiUrl` (default), or a list */
  fetcher?: 'gnocchi' | 'source';
  /** a metrics.yml; default Debian's /etc/cloudkitty/metrics.yml */
  metrics?: string;
  /** the rating period in seconds; default 3600 */
  period?: number;
  /** where it keeps rated dataframes: storage v1 in its database (default), or v2 in a throw-away InfluxDB (what /v2/summary and /v2/dataframes read) */
  storage?: 'sqlalchemy' | 'influxdb';
  /** receives the scripts' progress lines; default: dropped */
  log?: (line: string) => void;
}

/** What rate.py did with one period of one scope. */
export interface RatedPeriod {
  readonly scope: string;
  readonly begin: string;
  /** null: rated (or no data); else what CloudKitty logged when its worker gave up */
  readonly error: string | null;
}

/** One HTTP exchange of CloudKitty's collector, as rate.py recorded it. */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly body: string | null;
  readonly status: number;
  readonly response: string;
}

export interface RealCloudKitty {
  /** its API, e.g. http://127.0.0.1:28889 (noauth) */
  readonly url: string;
  /** its cloudkitty.conf */
  readonly config: string;
  /**
   * Rates `periods` periods from `begin` for each scope (none: the scopes its
   * fetcher finds), as its processor would, and resolves with each period's
   * outcome and the HTTP exchanges of its fetcher and collector. `hashSeed` fixes Python's string hashing, which orders the
   * groupby CloudKitty sends (a set): the same seed, the same requests.
   */
  rate(begin: Date, periods: number, scopes: readonly string[], hashSeed?: number): Promise<{ periods: RatedPeriod[]; exchanges: Exchange[] }>;
  /** stops the API and drops its database and directory */
  stop(): Promise<void>;
}

/** Brings up an empty CloudKitty (resetting any previous one on the same port) and resolves once its API answers. */
export async function startRealCloudKitty(options: CloudKittyOptions): Promise<RealCloudKitty> {
  const log = options.log ?? (() => undefined);
  const port = options.port ?? 28889;
  const dir = `/tmp/tally-cloudkitty-${port}`;
  const env: NodeJS.ProcessEnv = { CK_PORT: String(port), CK_DIR: dir, CK_COLLECTOR: options.collector };
  const set = (key: string, value: string | number | undefined): void => {
    if (value !== undefined) env[key] = String(value);
  };
  set('CK_GNOCCHI_URL', options.gnocchiUrl);
  set('CK_GNOCCHI_AUTH', options.gnocchiAuth);
  set('CK_GNOCCHI_USER', options.gnocchiUser);
  set('CK_GNOCCHI_PROJECT', options.gnocchiUser);
  set('CK_PROMETHEUS_URL', options.prometheusUrl);
  set('CK_PROMETHEUS_USER', options.prometheusUser);
  set('CK_PROMETHEUS_PASSWORD', options.prometheusPassword);
  set('CK_FETCHER', options.fetcher);
  set('CK_METRICS', options.metrics);
  set('CK_PERIOD', options.period);
  set('CK_STORAGE', options.storage);
  const out = await runScript(UP, env, log);
  const url = out.trim().split('\n').pop() ?? '';
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`up.sh printed no URL: ${JSON.stringify(out)}`);
  const config = join(dir, 'cloudkitty.conf');
  let stopping: Promise<void> | null = null;
  let runs = 0;
  return {
    url,
    config,
    async rate(begin, periods, scopes, hashSeed = randomInt(1, 2 ** 31)) {
      const record = join(dir, `exchanges-${++runs}.jsonl`);
      const stdout = await runCommand(PYTHON, [RATE, config, begin.toISOString(), String(periods), ...scopes, '--record', record], { PYTHONHASHSEED: String(hashSeed) }, log);
      const exchanges = readFileSync(record, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Exchange);
      rmSync(record, { force: true });
      return { periods: JSON.parse(stdout) as RatedPeriod[], exchanges };
    },
    stop: () => (stopping ??= runCommand('bash', [DOWN, '--purge'], env, log).then(() => undefined)),
  };
}
