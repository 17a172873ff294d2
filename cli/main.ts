/** The `tally` command line: one binary, a sub-command per process or task. */
import { join } from 'node:path';
import { Command } from 'commander';
import { tsdbStatus } from './tsdb-status.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('tally')
    .description('OpenStack telemetry: collection, time-series store with rollups, alarms')
    .version('0.1.0');

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
