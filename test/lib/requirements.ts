/**
 * What the tests need from the machine beyond `npm ci`: Debian packages (the
 * originals used as oracles and clients, the services brought up on loopback)
 * and, for the suites that run OpenStack services, root. `npm test` installs
 * the packages (test/run.ts); a test file states its needs with `requires()`.
 *
 * A missing need fails the test, naming the package and the command that
 * installs it. Only `TALLY_TEST_SKIP_MISSING=1`, set by a person, turns that
 * into a skip, which the run's summary lists.
 */
import { execFileSync } from 'node:child_process';

/** Every Debian package a test uses, and what for. */
export const DEBIAN_PACKAGES = {
  'python3-gnocchi': "Gnocchi 4.4's code: carbonara as the engine's oracle, its gabbi suites, its resource ids",
  'python3-gnocchiclient': 'the gnocchi CLI against tally',
  'python3-gabbi': "the runner of Gnocchi's gabbi suites",
  'gnocchi-api': 'the real Gnocchi API of the differential tests',
  'gnocchi-metricd': "the real Gnocchi's aggregation daemon",
  'keystone': 'a real Keystone for auth_mode keystone and trusts',
  'uwsgi-core': 'the WSGI server of the real Keystone and Aodh',
  'uwsgi-plugin-python3': 'the WSGI server of the real Keystone and Aodh',
  'python3-psycopg2': 'the originals on PostgreSQL',
  'python3-keystoneclient': "seeding the real Keystone's users and projects",
  'python3-ceilometer': "Ceilometer 19's code: the collector's oracle, its gnocchi publisher",
  'python3-jsonpath-rw-ext': "Ceilometer's JSONPath dialect, the oracle of tally's",
  'python3-oslo.messaging': "oslo.messaging's own notifier publishing to the collector's queues",
  'python3-pankoclient': "Panko's client against tally's events API",
  'prometheus': 'Prometheus 2.42, scraping and remote-writing beside tally',
  'prometheus-node-exporter': 'a real exporter to scrape',
  'victoria-metrics': "VictoriaMetrics 1.79, an ILP-over-HTTP receiver standing in for QuestDB (the sink's tests)",
  'python3-prometheus-client': "the Python client's OpenMetrics exporter",
  'python3-aodh': "Aodh 15's code: the evaluator's oracle, the real Aodh API",
  'python3-aodhclient': 'the aodh CLI against tally',
  'postgresql': 'the index on PostgreSQL, and the originals\' databases',
  'curl': 'readiness checks of the real services',
  'iproute2': 'ss, to wait for a service\'s port',
  'openssl': "certificates for the notifiers' TLS tests",
  'git': 'listing the checkout for the stand-alone test',
  'openvswitch-switch': 'a real ovsdb-server and ovs-vswitchd (userspace dummy datapath) for the Open vSwitch sampler',
  'libvirt-clients': "virsh, the libvirt sampler's one process per poll",
  'libvirt-daemon': "libvirt's test driver: domains with Nova's metadata and counters, no hypervisor",
  'python3-libvirt': "libvirt's Python binding, which Ceilometer's compute pollsters (the libvirt sampler's oracle) call",
  'ceph-mon': "a throw-away single-node Ceph for the Ceph sampler's tests (test/ceph/up.sh)",
  'ceph-mgr': "the Ceph test cluster's manager (df, osd perf)",
  'ceph-osd': "the Ceph test cluster's OSD (bluestore on a file)",
  'ceph-common': 'the ceph and rbd CLIs as oracles, and python3-rados/python3-rbd the Ceph sampler reads with',
  'radosgw': 'RGW and radosgw-admin for the radosgw.* meters',
  'prometheus-libvirt-exporter': "Debian's libvirt exporter, whose names the agent can expose too (the comparison's oracle)",
  'cloudkitty-processor': "CloudKitty 17's processor code: rating usage read from tally and from the real Gnocchi",
  'cloudkitty-api': "CloudKitty 17's API: its hashmap rules, rated dataframes and totals",
  'python3-cloudkittyclient': 'the cloudkitty CLI reading the totals CloudKitty computed, and against tally\'s own rating API',
  'python3-openstackclient': '`openstack rating …` against tally\'s rating API, and the openstack CLI python3-heatclient plugs into (`openstack stack …`)',
  'influxdb': "InfluxDB 1.6, CloudKitty 17's v2 storage: the real /v2/summary and /v2/dataframes to compare tally's with",
  'python3-influxdb': "CloudKitty 17's InfluxDB client",
  'rabbitmq-server': "rabbitmqctl, to watch and drop the broker's queues and connections (the broker itself runs on the machine), and the real Heat's own vhost",
  'heat-api': "Heat 19's API and CFN API (heat-wsgi-api, heat-wsgi-api-cfn): the autoscaling end-to-end test signals them from tally's alarms",
  'heat-engine': "Heat 19's engine: creates the stacks' alarms in tally through the catalog and scales their groups",
  'python3-heatclient': "`openstack stack …`: the user's side of the Heat end-to-end test",
} as const satisfies Record<string, string>;

export type DebianPackage = keyof typeof DEBIAN_PACKAGES;
/** a Debian package, or `root` for suites that administer PostgreSQL and run services as their users */
export type Requirement = DebianPackage | 'root';

/** Set by a person who wants what is missing skipped (and listed) rather than failed. */
export const SKIP_MISSING_VARIABLE = 'TALLY_TEST_SKIP_MISSING';

export function skipMissingAsked(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[SKIP_MISSING_VARIABLE];
  return v !== undefined && v !== '' && v !== '0';
}

/** Which of these packages dpkg does not have installed (one dpkg-query for all). */
export function missingPackages(packages: readonly string[]): string[] {
  if (packages.length === 0) return [];
  let out = '';
  try {
    out = execFileSync('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\n', ...packages], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    // dpkg-query exits 1 when some package is unknown, still printing the known ones
    out = (err as { stdout?: string }).stdout ?? '';
  }
  const installed = new Set(out.split('\n').flatMap((line) => (line.endsWith(' installed') ? [line.split(' ')[0]] : [])));
  return packages.filter((p) => !installed.has(p));
}

export function installCommand(packages: readonly string[]): string {
  return `sudo apt-get install -y ${packages.join(' ')}`;
}

/** Why these requirements are not met on this machine, or null when they are. */
export function unmet(requirements: readonly Requirement[]): string | null {
  const reasons: string[] = [];
  if (requirements.includes('root') && process.getuid?.() !== 0) reasons.push('needs root (it administers PostgreSQL and runs services as their own users): run `sudo npm test`');
  const missing = missingPackages(requirements.filter((r): r is DebianPackage => r !== 'root'));
  if (missing.length > 0) reasons.push(`Debian package${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not installed: \`${installCommand(missing)}\` (npm test installs them when run as root)`);
  return reasons.length > 0 ? reasons.join('; ') : null;
}

/**
 * Options for `describe`/`it`: nothing when the requirements are met. When
 * they are not, a skip if TALLY_TEST_SKIP_MISSING asks for it, else an error
 * at load that fails the file, naming what is missing and how to install it.
 */
export function requires(...requirements: Requirement[]): { skip?: string } {
  const why = unmet(requirements);
  if (why === null) return {};
  if (skipMissingAsked()) return { skip: `${why} (${SKIP_MISSING_VARIABLE})` };
  throw new Error(`this test ${why}; or set ${SKIP_MISSING_VARIABLE}=1 to skip it`);
}
