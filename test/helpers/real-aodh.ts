/**
 * Starts the real Aodh 15 API (Debian 12's python3-aodh) through test/aodh/up.sh, for
 * differential tests: auth_mode noauth (identity from X-User-Id, X-Project-Id, X-Roles),
 * gnocchi_* rules validated against a real Gnocchi (test/helpers/real-gnocchi.ts). up.sh
 * runs as a child process, never synchronously: it takes seconds and the caller's event
 * loop (servers, timers) must keep running meanwhile.
 */
import { fileURLToPath } from 'node:url';
import type { Requirement } from '../lib/requirements.js';
import { startScriptedService } from './run-script.js';

const UP = fileURLToPath(new URL('../aodh/up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../aodh/down.sh', import.meta.url));

export interface RealAodh {
  /** e.g. http://127.0.0.1:28042 (the versions document; the API is under /v2) */
  readonly url: string;
  /** stops the API (PostgreSQL and Gnocchi keep running) */
  stop(): Promise<void>;
}

export interface AodhOptions {
  /** loopback port (AODH_PORT); default 28042 */
  port?: number;
  /** the Gnocchi Aodh validates gnocchi_* rules against (basic auth, user admin); default http://127.0.0.1:8041 */
  gnocchiUrl?: string;
  /** state dir (AODH_DIR); default up.sh's, keyed by port */
  dir?: string;
  /** receives up.sh's progress lines; default: dropped */
  log?: (line: string) => void;
}

/** The identity headers of auth_mode noauth. Roles "admin" make an admin; anything else a project member. */
export function aodhHeaders(userId: string, projectId: string, roles = 'admin'): Record<string, string> {
  return { 'X-User-Id': userId, 'X-Project-Id': projectId, 'X-Roles': roles };
}

/** What up.sh needs: `requires(...AODH_NEEDS)` on the tests that start it. */
export const AODH_NEEDS = ['root', 'python3-aodh', 'python3-gnocchiclient', 'python3-psycopg2', 'uwsgi-core', 'uwsgi-plugin-python3', 'postgresql', 'curl', 'iproute2'] as const satisfies readonly Requirement[];

/** Brings up an empty Aodh API (resetting any previous one on the same port) and resolves once it answers. */
export async function startRealAodh(options: AodhOptions = {}): Promise<RealAodh> {
  const env: NodeJS.ProcessEnv = {};
  if (options.port !== undefined) env.AODH_PORT = String(options.port);
  if (options.gnocchiUrl !== undefined) env.AODH_GNOCCHI_URL = options.gnocchiUrl;
  if (options.dir !== undefined) env.AODH_DIR = options.dir;
  return startScriptedService(UP, DOWN, env, options.log ?? (() => undefined));
}
