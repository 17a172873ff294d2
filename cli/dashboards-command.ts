/** `tally dashboards build`: Grafana dashboards and provisioning files (dashboards/), loaded only when run. */
import type { Command } from 'commander';

interface BuildFlags {
  out: string;
  url?: string;
  scrapeInterval?: string;
  folder?: string;
  dashboardsPath?: string;
}

export function dashboardsCommand(program: Command): void {
  const dashboards = program.command('dashboards').description('Grafana dashboards of the cloud and of tally, read through tally\'s Prometheus API');
  dashboards
    .command('build')
    .description('write the dashboards\' JSON and Grafana provisioning files (a Prometheus data source reading tally, a dashboards provider) to a folder')
    .requiredOption('--out <dir>', 'folder to write: dashboards/*.json and provisioning/{datasources,dashboards}/tally.yaml')
    .option('--url <url>', 'tally as Grafana\'s server reaches it (default http://127.0.0.1:8041)')
    .option('--scrape-interval <duration>', 'the data source\'s scrape interval: the finest step, and the base of $__rate_interval (default 5m: Ceilometer\'s archive policies keep a point per 5 minutes)')
    .option('--folder <name>', 'the Grafana folder of the dashboards (default "OpenStack (tally)")')
    .option('--dashboards-path <dir>', 'where Grafana reads the JSON, if not <out>/dashboards')
    .action(async (flags: BuildFlags) => {
      // the defaults live with the build, which loads Grafana's SDK: only this command pays for it
      const { buildDashboards } = await import('../dashboards/build.js');
      const files = buildDashboards(flags);
      for (const f of files) console.log(f);
    });
}
