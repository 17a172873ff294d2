/** Starts a tally API on a free loopback port with fresh embedded storage, for tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../cli/config.js';
import { type Roles, type RunningServer, startServer } from '../../cli/server.js';

export interface TestServer extends RunningServer {
  close(): Promise<void>;
}

/** The store's API, as `tally api` runs it; `{ collector: true }` adds the collector, as `tally all-in-one`. */
export async function startTestServer(overrides: Partial<Config> = {}, roles: Roles = { collector: false }): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-api-'));
  const config = { ...loadConfig({ env: {} }), port: 0, data_dir: dir, log_level: 'warn', processing_interval_ms: 50, ...overrides };
  const server = await startServer(config, () => undefined, roles);
  return {
    ...server,
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
