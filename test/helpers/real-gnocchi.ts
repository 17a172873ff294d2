/**
 * Starts the real Gnocchi 4.4 (Debian packages) through test/gnocchi/up.sh, for
 * differential tests and benches. up.sh runs as a child process, never
 * synchronously: it takes seconds (about 1.5 min when it installs packages)
 * and the caller's event loop (servers, timers) must keep running meanwhile.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startScriptedService } from './run-script.js';

const UP = fileURLToPath(new URL('../gnocchi/up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../gnocchi/down.sh', import.meta.url));

/** Basic auth for user `admin` with an empty password: Gnocchi's admin in auth_mode basic. */
export const ADMIN_AUTH = `Basic ${Buffer.from('admin:').toString('base64')}`;

export interface RealGnocchi {
  readonly url: string;
  /** value of the Authorization header */
  readonly authorization: string;
  /** stops the API and metricd (PostgreSQL keeps running) */
  stop(): Promise<void>;
}

export interface GnocchiOptions {
  /** loopback port (GN_PORT); default 8041 */
  port?: number;
  /** state dir (GN_DIR); default up.sh's, keyed by port */
  dir?: string;
  /** receives up.sh's progress lines; default: dropped */
  log?: (line: string) => void;
}

/** Why this machine cannot run Gnocchi at all, or null when it can. */
export function gnocchiUnavailable(): string | null {
  if (process.platform !== 'linux') return 'the real Gnocchi needs Linux (Debian packages)';
  if (process.getuid?.() !== 0) return 'the real Gnocchi needs root (apt-get, PostgreSQL administration)';
  if (!existsSync('/usr/bin/gnocchi-api') && !existsSync('/usr/bin/apt-get')) return 'neither gnocchi-api nor apt-get is installed';
  return null;
}


/** Brings up an empty Gnocchi (resetting any previous one on the same port) and resolves once it answers. */
export async function startRealGnocchi(options: GnocchiOptions = {}): Promise<RealGnocchi> {
  const env: NodeJS.ProcessEnv = {};
  if (options.port !== undefined) env.GN_PORT = String(options.port);
  if (options.dir !== undefined) env.GN_DIR = options.dir;
  return { ...(await startScriptedService(UP, DOWN, env, options.log ?? (() => undefined))), authorization: ADMIN_AUTH };
}
