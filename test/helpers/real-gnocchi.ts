/**
 * Starts the real Gnocchi 4.4 (Debian packages) through test/gnocchi/up.sh, for
 * differential tests and benches. up.sh runs as a child process, never
 * synchronously: it takes seconds (about 1.5 min when it installs packages)
 * and the caller's event loop (servers, timers) must keep running meanwhile.
 */
import { fileURLToPath } from 'node:url';
import type { Requirement } from '../lib/requirements.js';
import { startScriptedService } from './run-script.js';

const UP = fileURLToPath(new URL('../gnocchi/up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../gnocchi/down.sh', import.meta.url));

/** Basic auth for user `admin` with an empty password: Gnocchi's admin in auth_mode basic. */
export const ADMIN_AUTH = `Basic ${Buffer.from('admin:').toString('base64')}`;

export interface RealGnocchi {
  readonly url: string;
  /** value of the Authorization header (basic auth; with `keystone`, send a token instead) */
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
  /** Keystone tokens instead of basic auth (GN_AUTH_MODE=keystone), validated as this service user */
  keystone?: { url: string; user: string; password: string; project?: string };
}

/** What up.sh needs: `requires(...GNOCCHI_NEEDS)` on the tests that start it. */
export const GNOCCHI_NEEDS = ['root', 'gnocchi-api', 'gnocchi-metricd', 'python3-psycopg2', 'postgresql', 'curl', 'iproute2'] as const satisfies readonly Requirement[];

/** Brings up an empty Gnocchi (resetting any previous one on the same port) and resolves once it answers. */
export async function startRealGnocchi(options: GnocchiOptions = {}): Promise<RealGnocchi> {
  const env: NodeJS.ProcessEnv = {};
  if (options.port !== undefined) env.GN_PORT = String(options.port);
  if (options.dir !== undefined) env.GN_DIR = options.dir;
  if (options.keystone) {
    Object.assign(env, {
      GN_AUTH_MODE: 'keystone',
      GN_KEYSTONE_URL: options.keystone.url,
      GN_KEYSTONE_USER: options.keystone.user,
      GN_KEYSTONE_PASSWORD: options.keystone.password,
      GN_KEYSTONE_PROJECT: options.keystone.project ?? 'service',
    });
  }
  return { ...(await startScriptedService(UP, DOWN, env, options.log ?? (() => undefined))), authorization: ADMIN_AUTH };
}
