/**
 * A real OpenStack Keystone (Debian 12's package) through test/keystone/up.sh,
 * for the keystone auth tests. up.sh runs as a child process, never
 * synchronously: it takes seconds (about 40 s when it installs the package)
 * and the caller's event loop (servers, timers) must keep running meanwhile.
 */
import { fileURLToPath } from 'node:url';
import type { Requirement } from '../lib/requirements.js';
import { runScript } from './run-script.js';

const UP = fileURLToPath(new URL('../keystone/up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../keystone/down.sh', import.meta.url));

export interface RealKeystone {
  /** the v3 endpoint, e.g. http://127.0.0.1:35357/v3 */
  readonly url: string;
  readonly passwords: { readonly admin: string; readonly tally: string; readonly alice: string; readonly bob: string };
  /** Keystone's ids of what seed.py created */
  readonly ids: {
    readonly projA: string;
    readonly projB: string;
    readonly service: string;
    readonly adminProject: string;
    readonly alice: string;
    readonly bob: string;
    readonly tally: string;
    readonly admin: string;
  };
  /**
   * stops Keystone if startRealKeystone started it (one already running is left
   * alone); under `npm test` (TALLY_TEST_KEEP_SERVICES) the run stops it at its end,
   * since test files running beside this one may be using it
   */
  stop(): Promise<void>;
}

/** What up.sh needs: `requires(...KEYSTONE_NEEDS)` on the tests that start it. */
export const KEYSTONE_NEEDS = ['root', 'keystone', 'uwsgi-core', 'uwsgi-plugin-python3', 'python3-psycopg2', 'python3-keystoneclient', 'postgresql', 'curl', 'iproute2'] as const satisfies readonly Requirement[];


/** Brings Keystone up (or finds it up) with alice, bob, tally and admin, and resolves once it answers. */
export async function startRealKeystone(options: { log?: (line: string) => void } = {}): Promise<RealKeystone> {
  const log = options.log ?? (() => undefined);
  const out = await runScript(UP, {}, log);
  const vars = new Map(out.split('\n').flatMap((line) => {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    return m ? [[m[1], m[2]] as const] : [];
  }));
  const get = (key: string): string => {
    const v = vars.get(key);
    if (!v) throw new Error(`up.sh printed no ${key}: ${JSON.stringify(out)}`);
    return v;
  };
  const started = get('KEYSTONE_STARTED') === '1' && !process.env.TALLY_TEST_KEEP_SERVICES;
  let stopping: Promise<void> | null = null;
  return {
    url: get('KEYSTONE_URL'),
    passwords: { admin: get('KEYSTONE_ADMIN_PASSWORD'), tally: get('KEYSTONE_TALLY_PASSWORD'), alice: get('KEYSTONE_ALICE_PASSWORD'), bob: get('KEYSTONE_BOB_PASSWORD') },
    ids: {
      projA: get('PROJ_A_ID'),
      projB: get('PROJ_B_ID'),
      service: get('SERVICE_PROJECT_ID'),
      adminProject: get('ADMIN_PROJECT_ID'),
      alice: get('ALICE_ID'),
      bob: get('BOB_ID'),
      tally: get('TALLY_ID'),
      admin: get('ADMIN_ID'),
    },
    stop: () => (stopping ??= started ? runScript(DOWN, {}, log).then(() => undefined) : Promise.resolve()),
  };
}

/** A project-scoped token for a user of the Default domain (Keystone's password auth). */
export async function issueToken(keystoneUrl: string, user: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${keystoneUrl}/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  await res.body?.cancel();
  if (res.status !== 201 || !token) throw new Error(`Keystone refused a token for ${user} in ${project}: HTTP ${res.status}`);
  return token;
}
