/**
 * A real Open vSwitch in a temporary directory for the sampler's tests:
 * ovsdb-server on a unix socket there and on a free TCP port of 127.0.0.1,
 * and ovs-vswitchd with the userspace dummy datapath (no kernel module).
 * Everything lives in the directory (OVS_RUNDIR and friends point there);
 * `stop()` ends both daemons by their pid files and removes it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsSandbox {
  readonly dir: string;
  /** `unix:DIR/db.sock` */
  readonly unixTarget: string;
  /** `tcp:127.0.0.1:PORT` */
  readonly tcpTarget: string;
  readonly ovsdbLog: string;
  vsctl(...args: string[]): Promise<string>;
  /** `ovs-appctl` against one of the two daemons */
  appctl(daemon: 'ovsdb' | 'vswitchd', ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A process is gone once it no longer exists or is a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function stopByPidFile(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; alive(pid); waited += 50) {
    if (waited >= 5000) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await sleep(50);
  }
}

/** ovsdb-server logs the port it took for `ptcp:0:…` */
function listeningPort(log: string): number {
  const m = /\|socket_util\|INFO\|0:127\.0\.0\.1: listening on port (\d+)$/m.exec(log);
  if (m === null) throw new Error(`ovsdb-server did not log its TCP port: ${log.slice(-2000)}`);
  return Number(m[1]);
}

export async function startOvs(): Promise<OvsSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-ovs-'));
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
  const ovs = async (command: string, args: readonly string[]): Promise<string> => {
    try {
      const { stdout } = await run(command, args, { env, cwd: dir, timeout: 20_000 });
      return stdout.trim();
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${command} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
    }
  };
  const socket = join(dir, 'db.sock');
  const ovsdbLog = join(dir, 'ovsdb.log');
  const stop = async (): Promise<void> => {
    try {
      await stopByPidFile(join(dir, 'vswitchd.pid'));
      await stopByPidFile(join(dir, 'ovsdb.pid'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await ovs('ovsdb-tool', ['create', join(dir, 'conf.db'), SCHEMA]);
    // --detach returns once the daemon is ready, its sockets listening
    await ovs('ovsdb-server', [
      join(dir, 'conf.db'),
      `--remote=punix:${socket}`,
      '--remote=ptcp:0:127.0.0.1',
      `--pidfile=${join(dir, 'ovsdb.pid')}`,
      '--detach',
      `--log-file=${ovsdbLog}`,
      `--unixctl=${join(dir, 'ovsdb.ctl')}`,
    ]);
    const port = listeningPort(readFileSync(ovsdbLog, 'utf8'));
    const vsctl = (...args: string[]): Promise<string> => ovs('ovs-vsctl', [`--db=unix:${socket}`, '--timeout=20', ...args]);
    await vsctl('--no-wait', 'init');
    await ovs('ovs-vswitchd', [
      `unix:${socket}`,
      '--enable-dummy=override',
      `--pidfile=${join(dir, 'vswitchd.pid')}`,
      '--detach',
      `--log-file=${join(dir, 'vswitchd.log')}`,
      `--unixctl=${join(dir, 'vswitchd.ctl')}`,
    ]);
    return {
      dir,
      unixTarget: `unix:${socket}`,
      tcpTarget: `tcp:127.0.0.1:${port}`,
      ovsdbLog,
      vsctl,
      appctl: (daemon, ...args) => ovs('ovs-appctl', ['-t', join(dir, `${daemon}.ctl`), ...args]),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
