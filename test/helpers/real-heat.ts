/**
 * A real OpenStack Heat 19 (Debian 12's heat-api and heat-engine) through
 * test/heat/up.sh, registered in the shared real Keystone (which up.sh brings up
 * when it is not running), and the openstack CLI (python3-heatclient) to drive it.
 * up.sh runs as a child process: it takes seconds, and the caller's event loop
 * (tally's servers, timers) must keep running meanwhile.
 */
import { fileURLToPath } from 'node:url';
import type { Requirement } from '../lib/requirements.js';
import { KEYSTONE_NEEDS } from './real-keystone.js';
import { runCommand, runScript } from './run-script.js';

const UP = fileURLToPath(new URL('../heat/up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../heat/down.sh', import.meta.url));

/** What up.sh needs: `requires(...HEAT_NEEDS)` on the tests that start it. */
export const HEAT_NEEDS = [
  ...KEYSTONE_NEEDS,
  'heat-api',
  'heat-engine',
  'python3-heatclient',
  'python3-openstackclient',
  'rabbitmq-server',
] as const satisfies readonly Requirement[];

export interface RealHeat {
  /** heat-api's v1 root, e.g. http://127.0.0.1:28004/v1 (the catalog's orchestration endpoint adds the project) */
  readonly url: string;
  /** heat-api-cfn's, where pre-signed alarm_url signals go */
  readonly cfnUrl: string;
  readonly keystoneUrl: string;
  /** stops Heat if startRealHeat started it (one already running is left alone) */
  stop(): Promise<void>;
}

export interface HeatOptions {
  /** heat-api's port (HEAT_PORT); default up.sh's 28004 */
  port?: number;
  /** heat-api-cfn's port (HEAT_CFN_PORT); default 28000 */
  cfnPort?: number;
  /** receives up.sh's progress lines */
  log?: (line: string) => void;
}

function vars(out: string): Map<string, string> {
  return new Map(out.split('\n').flatMap((line) => {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    return m ? [[m[1], m[2]] as const] : [];
  }));
}

/** Brings Heat up (or finds it up) and resolves once its API answers and its engine consumes its queue. */
export async function startRealHeat(options: HeatOptions = {}): Promise<RealHeat> {
  const env: NodeJS.ProcessEnv = {};
  if (options.port !== undefined) env.HEAT_PORT = String(options.port);
  if (options.cfnPort !== undefined) env.HEAT_CFN_PORT = String(options.cfnPort);
  const log = options.log ?? (() => undefined);
  const out = vars(await runScript(UP, env, log));
  const get = (key: string): string => {
    const v = out.get(key);
    if (!v) throw new Error(`test/heat/up.sh printed no ${key}`);
    return v;
  };
  const started = get('HEAT_STARTED') === '1';
  let stopping: Promise<void> | null = null;
  return {
    url: get('HEAT_URL'),
    cfnUrl: get('HEAT_CFN_URL'),
    keystoneUrl: get('KEYSTONE_URL'),
    stop: () => (stopping ??= started ? runScript(DOWN, env, log).then(() => undefined) : Promise.resolve()),
  };
}

export interface OpenstackUser {
  readonly keystoneUrl: string;
  readonly user: string;
  readonly password: string;
  readonly project: string;
}

/**
 * Runs Debian's openstack CLI (/usr/bin/openstack, /usr/bin/python3) as a user of the
 * Default domain; resolves with its stdout (`-f json` commands: parse it).
 */
export function openstack(as: OpenstackUser, args: readonly string[], log?: (line: string) => void): Promise<string> {
  return runCommand('/usr/bin/openstack', args, {
    OS_AUTH_URL: as.keystoneUrl,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: as.user,
    OS_PASSWORD: as.password,
    OS_PROJECT_NAME: as.project,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_INTERFACE: 'public',
    OS_REGION_NAME: 'RegionOne',
    // the CLI's own Python, whatever python3 comes first on PATH
    PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`,
  }, log);
}

/** Heat's orchestration API as one user of one project, for the quick polls a test makes between CLI commands. */
export class HeatApi {
  private token: { value: string; until: number } | null = null;

  constructor(
    private readonly heatUrl: string,
    private readonly projectId: string,
    private readonly issue: () => Promise<string>,
  ) {}

  async get(path: string): Promise<{ status: number; json: any }> {
    if (!this.token || this.token.until < Date.now()) this.token = { value: await this.issue(), until: Date.now() + 30 * 60_000 };
    const res = await fetch(`${this.heatUrl}/${this.projectId}${path}`, {
      headers: { 'x-auth-token': this.token.value, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  /** the stack's status and reason; null once it is gone */
  async status(name: string): Promise<{ id: string; status: string; reason: string } | null> {
    const r = await this.get(`/stacks/${encodeURIComponent(name)}`);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`GET stack ${name}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    const s = r.json.stack as { id: string; stack_status: string; stack_status_reason: string };
    return { id: s.id, status: s.stack_status, reason: s.stack_status_reason };
  }

  /** the stack's resources, nested ones down to `depth` */
  async resources(name: string, depth = 0): Promise<{ resource_name: string; physical_resource_id: string; resource_type: string; resource_status: string }[]> {
    const r = await this.get(`/stacks/${encodeURIComponent(name)}/resources?nested_depth=${depth}`);
    if (r.status !== 200) throw new Error(`GET resources of ${name}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.resources;
  }
}
