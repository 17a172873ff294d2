/**
 * Configuration: defaults, then a YAML file (--config), then TALLY_* environment
 * variables (TALLY_PORT, TALLY_AUTH_MODE, …: the key upper-cased), then
 * command-line flags. Defaults run everything embedded under ./data.
 */
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface Config {
  host: string;
  port: number;
  data_dir: string;
  /** postgresql://… for a shared index; empty: PGlite under data_dir/index */
  index_url: string;
  /** the embedded index's page cache (PostgreSQL's shared_buffers in PGlite), e.g. 16MB */
  pglite_shared_buffers: string;
  /** metrics the store remembers per thread (aggregation states, ids known to exist) */
  metric_cache_size: number;
  /** resources the collector remembers as written */
  resource_cache_size: number;
  /** Keystone token validations remembered */
  keystone_cache_size: number;
  auth_mode: 'noauth' | 'basic' | 'keystone';
  /** let auth_mode noauth listen on an address other hosts reach (only behind a proxy that authenticates) */
  insecure_noauth: boolean;
  /** largest page of a listing */
  max_limit: number;
  /** pause between background aggregation sweeps, ms */
  processing_interval_ms: number;
  /** create Gnocchi's and Ceilometer's archive policies on first start */
  create_default_archive_policies: boolean;
  log_level: string;
  /** origins (comma-separated) browsers may call the API from, e.g. Grafana's; empty: none */
  cors_allowed_origin: string;
  /** trust Forwarded / X-Forwarded-Proto / X-Forwarded-Host from a reverse proxy when building URLs */
  enable_proxy_headers_parsing: boolean;
  /** auth_mode keystone: Keystone's v3 endpoint, e.g. http://127.0.0.1:5000/v3 */
  keystone_url: string;
  /** the service user tally validates tokens as (keystonemiddleware's [keystone_authtoken] username, …) */
  keystone_username: string;
  keystone_password: string;
  keystone_project_name: string;
  keystone_user_domain_name: string;
  keystone_project_domain_name: string;
  /** how long a token's validation is reused (never past its expiry); 0: ask Keystone every time */
  keystone_cache_seconds: number;
  /** RabbitMQ carrying the cloud's notifications, amqp://user:pass@host:5672/vhost; empty: HTTP ingest only */
  amqp_url: string;
  /** exchanges to bind to (comma-separated): Ceilometer's notification_control_exchanges */
  amqp_exchanges: string;
  /** oslo notification topics (comma-separated); the queues are <topic>.<priority> */
  amqp_topics: string;
  /** priorities consumed (comma-separated): samples come as info and sample, events as info and error */
  amqp_priorities: string;
  /** durability of exchanges and queues tally has to create: must match the services' amqp_durable_queues */
  amqp_durable_queues: boolean;
  /** unacknowledged notifications per queue */
  amqp_prefetch: number;
  /** notifications processed (and made durable) together */
  amqp_batch_size: number;
  /** where notifications that cannot be stored go, with the reason in a header */
  amqp_dead_letter_queue: string;
  /** meters.yaml files (comma-separated); empty: Ceilometer's own (collector/data) */
  meter_definitions: string;
  /** event_definitions.yaml; empty: Ceilometer's own */
  event_definitions: string;
  /** gnocchi_resources.yaml files (comma-separated, read in order as one); empty: Ceilometer's own, then tally's agent_resources.yaml */
  gnocchi_resources: string;
  /** creator recorded on the resources and metrics the collector makes ("user:project") */
  collector_creator: string;
  /** a YAML file of Prometheus scrape configs (prometheus.yml's shape) to scrape into the store; empty: no scraping */
  prometheus_scrape_config: string;
  /** mirror every measure stored to QuestDB: its client's configuration string, e.g. http::addr=127.0.0.1:9000; empty: no QuestDB sink */
  questdb_url: string;
  /** forward every series to a Prometheus remote-write receiver, e.g. http://127.0.0.1:9090/api/v1/write; empty: none */
  remote_write_url: string;
  /** what the sinks' backlog may take on disk before the oldest writes are given up (bytes) */
  sink_backlog_max_bytes: number;
  /** CloudKitty's metrics.yml: what is rated, and how; empty: tally's own (rating/config/metrics.yml, the same metrics as Debian's stock file) */
  rating_metrics: string;
  /** the rating period, seconds: what a hashmap price is for (CloudKitty's collect period) */
  rating_period: number;
  /** `tally rating`: its own port (CloudKitty's) */
  rating_port: number;
  /** `tally alarms`: its own port (Aodh's) */
  alarms_port: number;
  /** `tally alarms`: the Gnocchi-compatible API alarms read (tally's, or a real Gnocchi) */
  gnocchi_url: string;
  /** how `tally alarms` authenticates to gnocchi_url: basic (user gnocchi_user), noauth (admin identity headers) or keystone (tally's service token) */
  gnocchi_auth_mode: 'noauth' | 'basic' | 'keystone';
  gnocchi_user: string;
  gnocchi_password: string;
  /** `tally alarms`: the Prometheus HTTP API prometheus rules query (tally's, or a real Prometheus); empty: gnocchi_url, tally serving both */
  prometheus_url: string;
  /** `tally alarms`: postgresql://… for the alarm tables; empty: PGlite under data_dir/alarms */
  alarm_index_url: string;
  /** seconds between evaluation cycles (must divide a minute, an hour or a day); 0: no evaluation */
  evaluation_interval: number;
  /** seconds added to evaluation windows for reporting and ingestion lag (Aodh's additional_ingestion_lag) */
  additional_ingestion_lag: number;
  /** how long event alarms are cached per project, seconds (Aodh's event_alarm_cache_ttl) */
  event_alarm_cache_ttl: number;
  /** alarms per user (-1: no limit) */
  user_alarm_quota: number;
  /** alarms per project when it has no quota of its own (-1: no limit) */
  project_alarm_quota: number;
  /** actions per state of an alarm (≤ 0: no limit) */
  alarm_max_actions: number;
  /** record alarm changes in their history */
  record_history: boolean;
  /** the project whose resources count as a member's when they carry its project_id (Aodh's gnocchi_external_project_owner); empty: the collector's (collector_creator) */
  alarm_external_project_owner: string;
  /** webhook timeout, seconds */
  notifier_timeout: number;
  /** delivery attempts of a notification before it is given up */
  notifier_max_attempts: number;
  /** first retry delay, seconds; doubled on each attempt up to 5 minutes */
  notifier_retry_base: number;
  /** verify https webhooks' certificates (an action's ?aodh-alarm-ssl-verify=0|1 overrides) */
  rest_notifier_ssl_verify: boolean;
  rest_notifier_ca_bundle_certificate_path: string;
  rest_notifier_certificate_file: string;
  rest_notifier_certificate_key: string;
  /** mailto: actions go through this SMTP server */
  smtp_host: string;
  smtp_port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when offered */
  smtp_secure: boolean;
  smtp_user: string;
  smtp_password: string;
  smtp_from: string;
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8041,
  data_dir: './data',
  index_url: '',
  pglite_shared_buffers: '16MB',
  metric_cache_size: 1_000_000,
  resource_cache_size: 100_000,
  keystone_cache_size: 10_000,
  auth_mode: 'noauth',
  insecure_noauth: false,
  max_limit: 1000,
  processing_interval_ms: 1000,
  create_default_archive_policies: true,
  log_level: 'info',
  cors_allowed_origin: '',
  enable_proxy_headers_parsing: false,
  keystone_url: '',
  keystone_username: '',
  keystone_password: '',
  keystone_project_name: '',
  keystone_user_domain_name: 'Default',
  keystone_project_domain_name: 'Default',
  keystone_cache_seconds: 300,
  amqp_url: '',
  amqp_exchanges: 'nova,glance,neutron,cinder,heat,keystone,sahara,trove,zaqar,swift,ceilometer,magnum,dns,ironic,aodh',
  amqp_topics: 'notifications',
  amqp_priorities: 'info,sample,error',
  amqp_durable_queues: false,
  amqp_prefetch: 2000,
  amqp_batch_size: 1000,
  amqp_dead_letter_queue: 'tally.notifications.dead',
  meter_definitions: '',
  event_definitions: '',
  gnocchi_resources: '',
  collector_creator: 'tally:collector',
  prometheus_scrape_config: '',
  questdb_url: '',
  remote_write_url: '',
  sink_backlog_max_bytes: 2 ** 30,
  rating_metrics: '',
  rating_period: 3600,
  rating_port: 8889,
  alarms_port: 8042,
  gnocchi_url: 'http://127.0.0.1:8041',
  gnocchi_auth_mode: 'basic',
  gnocchi_user: 'admin',
  gnocchi_password: '',
  prometheus_url: '',
  alarm_index_url: '',
  evaluation_interval: 60,
  additional_ingestion_lag: 0,
  event_alarm_cache_ttl: 60,
  user_alarm_quota: -1,
  project_alarm_quota: -1,
  alarm_max_actions: -1,
  record_history: true,
  alarm_external_project_owner: '',
  notifier_timeout: 10,
  notifier_max_attempts: 10,
  notifier_retry_base: 2,
  rest_notifier_ssl_verify: true,
  rest_notifier_ca_bundle_certificate_path: '',
  rest_notifier_certificate_file: '',
  rest_notifier_certificate_key: '',
  smtp_host: '127.0.0.1',
  smtp_port: 25,
  smtp_secure: false,
  smtp_user: '',
  smtp_password: '',
  smtp_from: 'tally@localhost',
};

function coerce(key: keyof Config, raw: unknown): Config[keyof Config] {
  const def = DEFAULTS[key];
  if (typeof def === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`config ${key}: expected a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (typeof def === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    const s = String(raw).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw new Error(`config ${key}: expected true or false, got ${JSON.stringify(raw)}`);
  }
  if ((key === 'auth_mode' || key === 'gnocchi_auth_mode') && raw !== 'noauth' && raw !== 'basic' && raw !== 'keystone') {
    throw new Error(`config ${key}: expected noauth, basic or keystone, got ${JSON.stringify(raw)}`);
  }
  return String(raw);
}

export function loadConfig(options: { file?: string; flags?: Partial<Record<keyof Config, unknown>>; env?: NodeJS.ProcessEnv }): Config {
  const config: Config = { ...DEFAULTS };
  const set = (key: string, raw: unknown, where: string): void => {
    if (!(key in DEFAULTS)) throw new Error(`${where}: unknown config key ${key}`);
    (config as unknown as Record<string, unknown>)[key] = coerce(key as keyof Config, raw);
  };
  if (options.file) {
    const doc: unknown = parse(readFileSync(options.file, 'utf8')) ?? {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${options.file}: expected a mapping of config keys`);
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) set(k, v, options.file);
  }
  const env = options.env ?? process.env;
  for (const key of Object.keys(DEFAULTS)) {
    const v = env[`TALLY_${key.toUpperCase()}`];
    if (v !== undefined) set(key, v, `TALLY_${key.toUpperCase()}`);
  }
  for (const [k, v] of Object.entries(options.flags ?? {})) if (v !== undefined) set(k, v, `--${k.replace(/_/g, '-')}`);
  checkKeystone(config);
  for (const key of ['metric_cache_size', 'resource_cache_size', 'keystone_cache_size'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new Error(`config ${key}: expected a whole number of entries, 1 or more, got ${config[key]}`);
  }
  if (!Number.isInteger(config.rating_period) || config.rating_period < 1) throw new Error(`config rating_period: expected a whole number of seconds, 1 or more, got ${config.rating_period}`);
  if (!/^\d+(kB|MB|GB)$/.test(config.pglite_shared_buffers)) {
    throw new Error(`config pglite_shared_buffers: expected a size such as 16MB (kB, MB or GB), got ${JSON.stringify(config.pglite_shared_buffers)}`);
  }
  return config;
}

/** keystone mode cannot validate a single token without Keystone's URL and the service user: say so at start-up. */
export function checkKeystone(config: Config): void {
  if (config.auth_mode !== 'keystone') return;
  if (!config.keystone_url) {
    throw new Error('auth_mode keystone needs keystone_url (TALLY_KEYSTONE_URL), Keystone\'s v3 endpoint, e.g. http://127.0.0.1:5000/v3');
  }
  const missing = (['keystone_username', 'keystone_password', 'keystone_project_name'] as const).filter((k) => !config[k]);
  if (missing.length > 0) {
    throw new Error(`auth_mode keystone needs the service user tally validates tokens as: set ${missing.join(', ')}`);
  }
  if (config.keystone_cache_seconds < 0) throw new Error('config keystone_cache_seconds: expected 0 or more seconds');
}

/** Whether an address only this machine reaches: 127.0.0.0/8, ::1 (and IPv4-mapped 127.x), or a name resolving to nothing else. */
export async function isLoopback(host: string): Promise<boolean> {
  const literal = (ip: string): boolean => /^127\./.test(ip) || ip === '::1' || /^::ffff:127\./i.test(ip);
  if (isIP(host) !== 0) return literal(host);
  if (host === '') return false; // every interface
  try {
    const addresses = await lookup(host, { all: true });
    return addresses.length > 0 && addresses.every((a) => literal(a.address));
  } catch {
    return false;
  }
}

/**
 * auth_mode noauth takes the identity from request headers and makes a caller
 * without them admin: on an address other hosts reach, anyone would be. Refused
 * unless the operator says otherwise (insecure_noauth), before anything opens.
 */
export async function checkNoauthExposure(config: Config): Promise<void> {
  if (config.auth_mode !== 'noauth' || config.insecure_noauth || (await isLoopback(config.host))) return;
  throw new Error(
    `refusing to listen on ${config.host || 'every address'} with auth_mode noauth: every caller that reaches it would be admin. ` +
      'Listen on 127.0.0.1 (--host), use auth_mode basic or keystone (--auth-mode), or, behind a proxy that authenticates, ' +
      'pass --insecure-noauth (TALLY_INSECURE_NOAUTH=true)',
  );
}

/** Tally's Keystone service user, as the keystone_* keys give it (token validation, trusts). */
export function keystoneServiceOptions(config: Config): { url: string; username: string; password: string; projectName: string; userDomainName: string; projectDomainName: string } {
  return {
    url: config.keystone_url,
    username: config.keystone_username,
    password: config.keystone_password,
    projectName: config.keystone_project_name,
    userDomainName: config.keystone_user_domain_name,
    projectDomainName: config.keystone_project_domain_name,
  };
}

/** A comma-separated config value as a list. */
export function listOf(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

export function indexTarget(config: Config): string {
  return config.index_url || join(config.data_dir, 'index');
}
