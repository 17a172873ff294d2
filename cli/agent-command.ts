/**
 * `tally agent`: the compute-node agent (agents/), configured by flags or
 * TALLY_* variables, running until SIGTERM or SIGINT.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Setting } from '../agents/agent.js';
import { untilSignalled } from './until-signalled.js';

interface AgentFlags {
  libvirtUri?: string;
  ovsdb?: string;
  cephConf?: string;
  cephId: string;
  rgwEndpoint?: string;
  rgwAccessKey?: string;
  rgwSecretKey?: string;
  amqpUrl?: string;
  metricsHost: string;
  metricsPort: string;
  polling?: string;
  spoolDir: string;
  spoolMaxMb: string;
  novaHost?: string;
  libvirtExporterNames?: boolean;
}

const DEFAULTS = { libvirt: 'qemu:///system', ovsdb: 'unix:/var/run/openvswitch/db.sock', ceph: '/etc/ceph/ceph.conf' } as const;

/** A flag the operator set (kept even while its source fails), the default (skipped when absent), or `none` (off). */
function setting(value: string | undefined, fallback: string): Setting {
  if (value === undefined) return { value: fallback, explicit: false };
  if (value === '' || value === 'none') return null;
  return { value, explicit: true };
}

export function agentCommand(program: Command): void {
  program
    .command('agent')
    .description('the compute-node agent: samples libvirt domains, Open vSwitch ports and Ceph with Ceilometer\'s meter names, publishes them to RabbitMQ as Ceilometer\'s polling agent does (spooling on disk while the broker is away) and exposes them on /metrics')
    .addOption(new Option('--libvirt-uri <uri>', `libvirt connection (default ${DEFAULTS.libvirt}; none: off)`).env('TALLY_LIBVIRT_URI'))
    .addOption(new Option('--ovsdb <target>', `OVSDB: unix:FILE or tcp:HOST:PORT (default ${DEFAULTS.ovsdb}; none: off)`).env('TALLY_OVSDB'))
    .addOption(new Option('--ceph-conf <file>', `the Ceph cluster's ceph.conf (default ${DEFAULTS.ceph}; none: off)`).env('TALLY_CEPH_CONF'))
    .addOption(new Option('--ceph-id <name>', 'the Ceph client to read as (client.<name>; its keyring from ceph.conf)').default('admin').env('TALLY_CEPH_ID'))
    .addOption(new Option('--rgw-endpoint <url>', "RGW's URL, for the radosgw.* meters through its admin API").env('TALLY_RGW_ENDPOINT'))
    .addOption(new Option('--rgw-access-key <key>', 'an RGW user with read caps on buckets, users, usage and metadata').env('TALLY_RGW_ACCESS_KEY'))
    .addOption(new Option('--rgw-secret-key <key>', "that user's secret key").env('TALLY_RGW_SECRET_KEY'))
    .addOption(new Option('--amqp-url <url>', 'RabbitMQ to publish to, amqp://user:pass@host:5672/ (default: none, /metrics only)').env('TALLY_AMQP_URL'))
    .addOption(new Option('--metrics-host <host>', 'address of /metrics').default('127.0.0.1').env('TALLY_METRICS_HOST'))
    .addOption(new Option('--metrics-port <port>', "port of /metrics (Ceilometer's exporter's)").default('9101').env('TALLY_METRICS_PORT'))
    .addOption(new Option('--polling <file>', "polling sources in Ceilometer's polling.yaml format (default: every meter every 300 s)").env('TALLY_POLLING'))
    .addOption(new Option('--spool-dir <dir>', 'where samples wait while the broker is away').default(join('data', 'agent-spool')).env('TALLY_SPOOL_DIR'))
    .addOption(new Option('--spool-max-mb <mb>', 'the most the spool keeps; the oldest samples go first').default('256').env('TALLY_SPOOL_MAX_MB'))
    .addOption(new Option('--nova-host <name>', "this compute host's name in Nova (default: the machine's hostname)").env('TALLY_NOVA_HOST'))
    .addOption(new Option('--libvirt-exporter-names', "also expose prometheus-libvirt-exporter's and ceph-mgr's metric names").env('TALLY_LIBVIRT_EXPORTER_NAMES'))
    .action(async (flags: AgentFlags) => {
      const port = Number(flags.metricsPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--metrics-port ${flags.metricsPort}: a port number is required`);
      const spoolMb = Number(flags.spoolMaxMb);
      if (!(spoolMb > 0)) throw new Error(`--spool-max-mb ${flags.spoolMaxMb}: a positive number is required`);
      const rgw = flags.rgwEndpoint ? { endpoint: flags.rgwEndpoint, accessKey: flags.rgwAccessKey ?? '', secretKey: flags.rgwSecretKey ?? '' } : undefined;
      if (rgw && (!rgw.accessKey || !rgw.secretKey)) throw new Error('--rgw-endpoint needs --rgw-access-key and --rgw-secret-key');
      const log = (line: string): void => console.log(line);
      const [{ startAgent }, { CeilometerExposition }, { DEFAULT_POLLING, readPolling }] = await Promise.all([
        import('../agents/agent.js'),
        import('../agents/exposition/exposition.js'),
        import('../agents/polling.js'),
      ]);
      await untilSignalled('tally agent', () => startAgent({
        libvirtUri: setting(flags.libvirtUri, DEFAULTS.libvirt),
        ovsdb: setting(flags.ovsdb, DEFAULTS.ovsdb),
        cephConf: setting(flags.cephConf, DEFAULTS.ceph),
        cephId: flags.cephId,
        rgw,
        amqpUrl: flags.amqpUrl || null,
        polling: flags.polling ? readPolling(flags.polling) : DEFAULT_POLLING,
        metricsHost: flags.metricsHost,
        metricsPort: port,
        spoolDir: flags.spoolDir,
        spoolMaxBytes: spoolMb * 2 ** 20,
        novaHost: flags.novaHost,
        exposition: new CeilometerExposition({ exporterNames: flags.libvirtExporterNames === true }),
        log,
      }));
    });
}
