/**
 * Process assembly: opens the engine and the index, starts background
 * aggregation, serves the API, and shuts all down cleanly on SIGTERM/SIGINT.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../tsdb/api/app.js';
import { type BackgroundProcessor, Engine } from '../tsdb/engine.js';
import { Index } from '../tsdb/index/index.js';
import { type Config, indexTarget } from './config.js';

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  stop(): Promise<void>;
}

export async function startServer(config: Config, say: (line: string) => void = console.log): Promise<RunningServer> {
  const engine = Engine.open({ path: join(config.data_dir, 'tsdb') });
  const index = await Index.open(indexTarget(config), { defaults: config.create_default_archive_policies });
  const processor: BackgroundProcessor = engine.startProcessor({ intervalMs: config.processing_interval_ms, thread: true });
  const app = await buildApi({
    engine,
    index,
    config: {
      authMode: config.auth_mode,
      maxLimit: config.max_limit,
      logger: { level: config.log_level },
      corsAllowedOrigins: config.cors_allowed_origin.split(',').map((o) => o.trim()).filter(Boolean),
      trustProxyHeaders: config.enable_proxy_headers_parsing,
    },
  });
  const url = await app.listen({ host: config.host, port: config.port });
  say(`tally: Gnocchi v1 API listening on ${url} (auth: ${config.auth_mode})`);
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
