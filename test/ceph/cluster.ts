/**
 * A throw-away single-node Ceph for tests: up.sh in a new temporary directory
 * (run as a child process, never synchronously: it takes tens of seconds and
 * the caller's event loop keeps running), the settings it wrote, the cluster's
 * own CLIs (`ceph`, `rbd`, `radosgw-admin`) as the admin, and stop(), which
 * runs down.sh and removes the directory.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../helpers/run-script.js';

const UP = fileURLToPath(new URL('./up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('./down.sh', import.meta.url));

/** What up.sh writes to DIR/cluster.env. */
export interface CephClusterEnv {
  readonly CEPH_CONF: string;
  readonly CEPH_FSID: string;
  /** a client with only the caps the Ceph sampler needs; its keyring is found through the conf */
  readonly CEPH_AGENT_ID: string;
  readonly CEPH_PROMETHEUS_URL: string;
  /** '' when radosgw was not started */
  readonly CEPH_RGW_URL: string;
  readonly CEPH_RGW_ACCESS_KEY: string;
  readonly CEPH_RGW_SECRET_KEY: string;
  readonly CEPH_VOLUME_ID: string;
  readonly CEPH_INSTANCE_ID: string;
  /** an RGW user named as a project */
  readonly CEPH_PROJECT_A: string;
  /** an RGW user `<project>$<project>`, as Keystone's implicit tenants make them */
  readonly CEPH_PROJECT_B: string;
}

export interface CephCluster {
  readonly dir: string;
  readonly env: CephClusterEnv;
  /** `ceph -c CONF ARGS --format json`, parsed (undefined when it prints nothing) */
  ceph(...args: string[]): Promise<unknown>;
  /** `rbd -c CONF ARGS`, stdout */
  rbd(...args: string[]): Promise<string>;
  /** `radosgw-admin -c CONF ARGS`, parsed (it prints JSON) */
  radosgwAdmin(...args: string[]): Promise<unknown>;
  /** stops every daemon and removes the directory (once) */
  stop(): Promise<void>;
}

/** A command's stdout (test/helpers/run-script.ts), its stderr lines to `log`. */
export function run(command: string, args: readonly string[], log: (line: string) => void = () => undefined): Promise<string> {
  return runCommand(command, args, {}, log);
}

function output(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Brings a cluster up (with radosgw unless `rgw` is false); on failure, whatever started is stopped. */
export async function startCephCluster(options: { rgw?: boolean; log?: (line: string) => void } = {}): Promise<CephCluster> {
  // short: the admin sockets live under it and unix socket paths are limited
  const dir = mkdtempSync(join('/tmp', 'tally-ceph-'));
  const log = options.log ?? (() => undefined);
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopping ??= run('bash', [DOWN, dir, '--purge'], log).then(() => undefined));
  let envFile: string;
  try {
    envFile = (await run('env', [`CEPH_RGW=${options.rgw === false ? 0 : 1}`, 'bash', UP, dir], log)).trim().split('\n').pop() ?? '';
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const env = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as unknown as CephClusterEnv;
  const conf = env.CEPH_CONF;
  return {
    dir,
    env,
    ceph: async (...args) => {
      const out = await output('ceph', ['-c', conf, ...args, '--format', 'json']);
      return out.trim() === '' ? undefined : (JSON.parse(out) as unknown);
    },
    rbd: (...args) => output('rbd', ['-c', conf, ...args]),
    radosgwAdmin: async (...args) => JSON.parse(await output('radosgw-admin', ['-c', conf, ...args])) as unknown,
    stop,
  };
}
