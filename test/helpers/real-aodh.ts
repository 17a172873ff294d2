/**
 * Starts the real Aodh 15 API (Debian 12's python3-aodh) through test/aodh/up.sh, for
 * differential tests: auth_mode noauth (identity from X-User-Id, X-Project-Id, X-Roles),
 * gnocchi_* rules validated against a real Gnocchi (test/helpers/real-gnocchi.ts). up.sh
 * runs as a child process, never synchronously: it takes seconds and the caller's event
 * loop (servers, timers) must keep running meanwhile.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

/** Why this machine cannot run Aodh at all, or null when it can (up.sh's exit status 77 cases). */
export async function aodhUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return 'the real Aodh needs Linux (Debian packages)';
  if (process.getuid?.() !== 0) return 'the real Aodh needs root (apt-get, PostgreSQL administration)';
  if (existsSync('/usr/lib/python3/dist-packages/aodh/api/app.py')) return null;
  if (!existsSync('/usr/bin/apt-cache')) return 'python3-aodh is not installed and there is no apt-get to install it';
  try {
    await promisify(execFile)('apt-cache', ['show', 'python3-aodh']);
    return null;
  } catch {
    return "python3-aodh is not installed and this machine's apt sources have no such package (Debian 12 has it)";
  }
}

/** Brings up an empty Aodh API (resetting any previous one on the same port) and resolves once it answers. */
export async function startRealAodh(options: AodhOptions = {}): Promise<RealAodh> {
  const env: NodeJS.ProcessEnv = {};
  if (options.port !== undefined) env.AODH_PORT = String(options.port);
  if (options.gnocchiUrl !== undefined) env.AODH_GNOCCHI_URL = options.gnocchiUrl;
  if (options.dir !== undefined) env.AODH_DIR = options.dir;
  return startScriptedService(UP, DOWN, env, options.log ?? (() => undefined));
}
