/**
 * Process assembly: opens the engine and the index, starts background
 * aggregation, serves the API, and shuts all down cleanly on SIGTERM/SIGINT.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../tsdb/api/app.js';
import type { AuthMode } from '../tsdb/api/auth.js';
import { KeystoneAuth } from '../tsdb/api/keystone.js';
import { type BackgroundProcessor, Engine } from '../tsdb/engine.js';
import { Index } from '../tsdb/index/index.js';
import { type Config, checkKeystone, indexTarget } from './config.js';

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  stop(): Promise<void>;
}

/** keystone mode carries its client (service token, validation cache); the others are names. */
function authModeOf(config: Config): AuthMode {
  if (config.auth_mode !== 'keystone') return config.auth_mode;
  // config may come from code rather than loadConfig: check before opening storage
  checkKeystone(config);
  return new KeystoneAuth({
    url: config.keystone_url,
    username: config.keystone_username,
    password: config.keystone_password,
    projectName: config.keystone_project_name,
    userDomainName: config.keystone_user_domain_name,
    projectDomainName: config.keystone_project_domain_name,
    cacheSeconds: config.keystone_cache_seconds,
  });
}

export async function startServer(config: Config, say: (line: string) => void = console.log): Promise<RunningServer> {
  const authMode = authModeOf(config);
  const engine = Engine.open({ path: join(config.data_dir, 'tsdb') });
  const index = await Index.open(indexTarget(config), { defaults: config.create_default_archive_policies });
  const processor: BackgroundProcessor = engine.startProcessor({ intervalMs: config.processing_interval_ms, thread: true });
  const app = await buildApi({
    engine,
    index,
    config: {
      authMode,
      maxLimit: config.max_limit,
      logger: { level: config.log_level },
      corsAllowedOrigins: config.cors_allowed_origin.split(',').map((o) => o.trim()).filter(Boolean),
      trustProxyHeaders: config.enable_proxy_headers_parsing,
    },
  });
  const url = await app.listen({ host: config.host, port: config.port });
  say(`tally: Gnocchi v1 API listening on ${url} (auth: ${authMode instanceof KeystoneAuth ? `keystone, ${authMode.url}` : authMode})`);
  say(`tally: data in ${config.data_dir} (index: ${config.index_url ? 'PostgreSQL' : 'embedded PGlite'}; time series: embedded LMDB)`);
  say('tally: no RabbitMQ collector yet: measures arrive over the HTTP API only');
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await app.close();
      await processor.stop();
      await engine.close();
      await index.close();
    })());
  return { url, app, stop };
}

/** Runs until SIGTERM or SIGINT, then stops gracefully: requests finish, storage is flushed and closed. */
export async function runUntilSignalled(config: Config): Promise<void> {
  const server = await startServer(config);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      console.log(`tally: ${signal}, shutting down`);
      server.stop().then(resolve, (err: unknown) => {
        console.error(`tally: shutdown failed: ${String(err)}`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}
