/** The `tally` command line: one binary, a sub-command per process or task. */
import { join } from 'node:path';
import { Command } from 'commander';
import { agentCommand } from './agent-command.js';
import { type Config, loadConfig } from './config.js';
import { dashboardsCommand } from './dashboards-command.js';
import { tuneRuntime } from './runtime.js';

interface ServerFlags {
  config?: string;
  host?: string;
  port?: string;
  dataDir?: string;
  authMode?: string;
  indexUrl?: string;
  amqpUrl?: string;
  gnocchiUrl?: string;
  insecureNoauth?: boolean;
}

function serverConfig(flags: ServerFlags): Config {
  return loadConfig({
    file: flags.config,
    flags: { host: flags.host, port: flags.port, data_dir: flags.dataDir, auth_mode: flags.authMode, insecure_noauth: flags.insecureNoauth, index_url: flags.indexUrl, amqp_url: flags.amqpUrl, gnocchi_url: flags.gnocchiUrl },
  });
}

const INSECURE_NOAUTH_HELP = 'allow auth_mode noauth on an address other hosts reach (every caller is admin there: only behind a proxy that authenticates)';

function serverOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML config file (every key also as TALLY_<KEY>)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8041, Gnocchi\'s)')
    .option('--data-dir <dir>', 'where embedded storage lives (default ./data)')
    .option('--auth-mode <mode>', 'noauth (default), basic or keystone')
    .option('--insecure-noauth', INSECURE_NOAUTH_HELP)
    .option('--index-url <url>', 'postgresql://… to keep the index in PostgreSQL instead of embedded PGlite')
    .option('--amqp-url <url>', 'RabbitMQ carrying the cloud\'s notifications, amqp://user:pass@host:5672/ (default: none, HTTP ingest only)');
}

// each command loads what it runs: the agent on a compute node never loads the store, PGlite or the API
const runUntilSignalled: typeof import('./server.js').runUntilSignalled = async (...args) => (await import('./server.js')).runUntilSignalled(...args);
const tsdbStatus: typeof import('./tsdb-status.js').tsdbStatus = async (...args) => (await import('./tsdb-status.js')).tsdbStatus(...args);

export async function main(argv: string[]): Promise<void> {
  tuneRuntime();
  const program = new Command('tally')
    .description('OpenStack telemetry: collection, time-series store with rollups, alarms')
    .version('0.1.0');

  serverOptions(program.command('all-in-one'))
    .description('run everything in one process on embedded storage: the Gnocchi-compatible API, background aggregation, the collector and the alarms (Aodh v2 API, evaluator, notifiers)')
    .action(async (flags: ServerFlags) => runUntilSignalled(serverConfig(flags)));

  serverOptions(program.command('collector'))
    .description('collect notifications (RabbitMQ with --amqp-url, and HTTP) into the store; the store, its API and the alarms (which its events fire) run in the same process')
    .action(async (flags: ServerFlags) => runUntilSignalled(serverConfig(flags)));

  serverOptions(program.command('api'))
    .description('run the Gnocchi-compatible API alone (with its aggregation worker): no collector, no Ceilometer resource types, no alarms')
    .action(async (flags: ServerFlags) => runUntilSignalled(serverConfig(flags), { collector: false, alarms: false }));

  program
    .command('alarms')
    .description('run the alarms alone on their own port (8042, Aodh\'s): Aodh v2 API, evaluator and notifiers, reading a Gnocchi-compatible API over HTTP (tally\'s or a real Gnocchi)')
    .option('--config <file>', 'YAML config file (every key also as TALLY_<KEY>)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8042)')
    .option('--data-dir <dir>', 'where the embedded alarm database lives (default ./data/alarms)')
    .option('--auth-mode <mode>', 'noauth (default), basic or keystone')
    .option('--insecure-noauth', INSECURE_NOAUTH_HELP)
    .option('--gnocchi-url <url>', 'the Gnocchi API alarms read (default http://127.0.0.1:8041)')
    .action(async (flags: ServerFlags) =>
      runUntilSignalled(
        loadConfig({ file: flags.config, flags: { host: flags.host, alarms_port: flags.port, data_dir: flags.dataDir, auth_mode: flags.authMode, insecure_noauth: flags.insecureNoauth, gnocchi_url: flags.gnocchiUrl } }),
        'alarms',
      ),
    );

  program
    .command('rating')
    .description('run CloudKitty\'s rating API alone on its own port (8889, CloudKitty\'s): hashmap rules, summaries, dataframes and totals, rated on demand from the store (with an all-in-one running, share its index through index_url)')
    .option('--config <file>', 'YAML config file (every key also as TALLY_<KEY>)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8889)')
    .option('--data-dir <dir>', 'the store to read (default ./data)')
    .option('--auth-mode <mode>', 'noauth (default), basic or keystone')
    .option('--insecure-noauth', INSECURE_NOAUTH_HELP)
    .action(async (flags: ServerFlags) =>
      runUntilSignalled(
        loadConfig({ file: flags.config, flags: { host: flags.host, rating_port: flags.port, data_dir: flags.dataDir, auth_mode: flags.authMode, insecure_noauth: flags.insecureNoauth } }),
        'rating',
      ),
    );

  agentCommand(program);

  dashboardsCommand(program);

  program
    .command('tsdb-status')
    .description('print what the embedded time-series store holds: metrics, pending measures, size on disk')
    .option('--data-dir <dir>', 'data directory', process.env.TALLY_DATA_DIR ?? './data')
    .action(async (opts: { dataDir: string }) => {
      const status = await tsdbStatus(join(opts.dataDir, 'tsdb'));
      for (const [k, v] of Object.entries(status)) console.log(`${k.padEnd(20)} ${v}`);
    });

  await program.parseAsync(argv);
}
