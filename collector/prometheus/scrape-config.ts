/**
 * The scrape configuration: a YAML file in Prometheus' own shape (the file
 * `prometheus_scrape_config` points to; a prometheus.yml works as it is),
 * validated with errors naming the offending field:
 *
 *   global: { scrape_interval: 15s, scrape_timeout: 10s }
 *   scrape_configs:
 *     - job_name: node
 *       scrape_interval: 15s          # default: global, else 1m
 *       scrape_timeout: 10s           # default: global, else 10s; at most the interval
 *       metrics_path: /metrics
 *       scheme: http                  # or https
 *       honor_labels: false
 *       honor_timestamps: true
 *       params: { module: [x] }
 *       sample_limit: 0               # 0: none
 *       static_configs: [{ targets: ['host:9100'], labels: { env: prod } }]
 *       file_sd_configs: [{ files: ['targets/*.json'], refresh_interval: 5m }]
 *       relabel_configs: [...]        # on targets
 *       metric_relabel_configs: [...] # on scraped series
 *
 * Top-level sections of a prometheus.yml that concern other parts of
 * Prometheus (rule_files, alerting, remote_write, …) are ignored; scrape
 * options this scraper does not implement (authentication, TLS settings,
 * other service discoveries) are refused by name rather than ignored.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { ScrapeConfigError } from './config-error.js';
import { formatDuration, parseDuration } from './duration.js';
import { type RelabelRule, isLabelName, parseRelabelConfigs } from './relabel.js';

/** Targets sharing labels: a static_configs entry or one entry of a file_sd file. */
export interface TargetGroup {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** where it came from, for messages: `static_configs[0]` or the file's path */
  readonly source: string;
}

export interface FileSdConfig {
  /** absolute patterns; `*`, `?` and `[…]` allowed in the last path element */
  readonly files: readonly string[];
  readonly refreshIntervalMs: number;
}

export interface ScrapeJob {
  readonly jobName: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly params: Readonly<Record<string, readonly string[]>>;
  /** more samples than this (after metric relabelling) fail the scrape; 0: no limit */
  readonly sampleLimit: number;
  readonly staticConfigs: readonly TargetGroup[];
  readonly fileSdConfigs: readonly FileSdConfig[];
  readonly relabelConfigs: readonly RelabelRule[];
  readonly metricRelabelConfigs: readonly RelabelRule[];
  /** tally's own key: the project the job's series belong to (its members see them through the Prometheus API); null: the admin's */
  readonly projectId: string | null;
}

export interface ScrapeConfig {
  readonly file: string;
  readonly jobs: readonly ScrapeJob[];
}

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_FILE_SD_REFRESH_MS = 5 * 60_000;

const IGNORED_TOP_LEVEL = ['rule_files', 'alerting', 'remote_write', 'remote_read', 'storage', 'tracing', 'scrape_config_files'];
const GLOBAL_KEYS = ['scrape_interval', 'scrape_timeout', 'evaluation_interval', 'external_labels', 'query_log_file', 'body_size_limit', 'sample_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit', 'target_limit'];
const JOB_KEYS = [
  'job_name', 'scrape_interval', 'scrape_timeout', 'metrics_path', 'scheme', 'honor_labels', 'honor_timestamps', 'params',
  'sample_limit', 'static_configs', 'file_sd_configs', 'relabel_configs', 'metric_relabel_configs', 'project_id',
];
const UNSUPPORTED_JOB_KEYS = [
  'basic_auth', 'authorization', 'oauth2', 'bearer_token', 'bearer_token_file', 'tls_config', 'proxy_url', 'no_proxy',
  'proxy_from_environment', 'proxy_connect_header', 'follow_redirects', 'enable_http2', 'body_size_limit', 'label_limit',
  'label_name_length_limit', 'label_value_length_limit', 'target_limit', 'scrape_classic_histograms', 'native_histogram_bucket_limit',
];
/** file_sd file names, as Prometheus allows them: a glob only in the last path element */
const FILE_SD_PATTERN = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

function mapping(raw: unknown, field: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ScrapeConfigError(field, `expected a mapping, got ${JSON.stringify(raw)}`);
  return raw as Record<string, unknown>;
}

function list(raw: unknown, field: string): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ScrapeConfigError(field, `expected a list, got ${JSON.stringify(raw)}`);
  return raw;
}

function duration(raw: unknown, field: string): number {
  const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
  if (ms === undefined) throw new ScrapeConfigError(field, `expected a duration such as 15s, 1m or 1h30m, got ${JSON.stringify(raw)}`);
  return ms;
}

function bool(raw: unknown, field: string): boolean {
  if (typeof raw !== 'boolean') throw new ScrapeConfigError(field, `expected true or false, got ${JSON.stringify(raw)}`);
  return raw;
}

function str(raw: unknown, field: string): string {
  if (typeof raw !== 'string') throw new ScrapeConfigError(field, `expected a string, got ${JSON.stringify(raw)}`);
  return raw;
}

/** `labels:` of a target group: valid label names to string values. */
export function parseLabelSet(raw: unknown, field: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  const m = mapping(raw, field);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (!isLabelName(k)) throw new ScrapeConfigError(`${field}.${k}`, `${JSON.stringify(k)} is not a valid label name`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new ScrapeConfigError(`${field}.${k}`, 'expected a string value');
    out[k] = String(v);
  }
  return out;
}

/** A target group (`targets` + `labels`), from static_configs or a file_sd file. */
export function parseTargetGroup(raw: unknown, field: string, source: string): TargetGroup {
  const m = mapping(raw, field);
  for (const key of Object.keys(m)) if (key !== 'targets' && key !== 'labels') throw new ScrapeConfigError(`${field}.${key}`, 'unknown field');
  const targets = list(m.targets, `${field}.targets`).map((t, i) => {
    const s = str(t, `${field}.targets[${i}]`);
    if (s === '' || /[\s/]/.test(s)) throw new ScrapeConfigError(`${field}.targets[${i}]`, `expected host:port, got ${JSON.stringify(s)}`);
    return s;
  });
  return { targets, labels: parseLabelSet(m.labels, `${field}.labels`), source };
}

function parseJob(raw: unknown, field: string, defaults: { intervalMs: number; timeoutMs: number }, baseDir: string): ScrapeJob {
  const m = mapping(raw, field);
  for (const key of Object.keys(m)) {
    if (JOB_KEYS.includes(key)) continue;
    if (key.endsWith('_sd_configs')) throw new ScrapeConfigError(`${field}.${key}`, 'this service discovery is not supported (static_configs and file_sd_configs are)');
    if (UNSUPPORTED_JOB_KEYS.includes(key)) throw new ScrapeConfigError(`${field}.${key}`, 'not supported by this scraper');
    throw new ScrapeConfigError(`${field}.${key}`, 'unknown field');
  }
  if (typeof m.job_name !== 'string' || m.job_name === '') throw new ScrapeConfigError(`${field}.job_name`, 'a non-empty job name is required');
  const intervalMs = m.scrape_interval === undefined ? defaults.intervalMs : duration(m.scrape_interval, `${field}.scrape_interval`);
  if (intervalMs <= 0) throw new ScrapeConfigError(`${field}.scrape_interval`, 'must be more than 0');
  const timeoutMs = m.scrape_timeout === undefined ? Math.min(defaults.timeoutMs, intervalMs) : duration(m.scrape_timeout, `${field}.scrape_timeout`);
  if (timeoutMs <= 0) throw new ScrapeConfigError(`${field}.scrape_timeout`, 'must be more than 0');
  if (timeoutMs > intervalMs) {
    throw new ScrapeConfigError(`${field}.scrape_timeout`, `${formatDuration(timeoutMs)} is greater than scrape_interval ${formatDuration(intervalMs)}`);
  }
  const scheme = m.scheme === undefined ? 'http' : str(m.scheme, `${field}.scheme`);
  if (scheme !== 'http' && scheme !== 'https') throw new ScrapeConfigError(`${field}.scheme`, `expected http or https, got ${JSON.stringify(scheme)}`);
  const params: Record<string, string[]> = {};
  if (m.params !== undefined && m.params !== null) {
    for (const [k, v] of Object.entries(mapping(m.params, `${field}.params`))) {
      params[k] = list(v, `${field}.params.${k}`).map((x, i) => str(x, `${field}.params.${k}[${i}]`));
    }
  }
  const sampleLimit = m.sample_limit === undefined ? 0 : Number(m.sample_limit);
  if (!Number.isSafeInteger(sampleLimit) || sampleLimit < 0) throw new ScrapeConfigError(`${field}.sample_limit`, `expected a count, got ${JSON.stringify(m.sample_limit)}`);
  return {
    jobName: m.job_name,
    scrapeIntervalMs: intervalMs,
    scrapeTimeoutMs: timeoutMs,
    metricsPath: m.metrics_path === undefined ? '/metrics' : str(m.metrics_path, `${field}.metrics_path`),
    scheme,
    honorLabels: m.honor_labels === undefined ? false : bool(m.honor_labels, `${field}.honor_labels`),
    honorTimestamps: m.honor_timestamps === undefined ? true : bool(m.honor_timestamps, `${field}.honor_timestamps`),
    params,
    sampleLimit,
    staticConfigs: list(m.static_configs, `${field}.static_configs`).map((g, i) => parseTargetGroup(g, `${field}.static_configs[${i}]`, `static_configs[${i}]`)),
    fileSdConfigs: list(m.file_sd_configs, `${field}.file_sd_configs`).map((f, i) => parseFileSd(f, `${field}.file_sd_configs[${i}]`, baseDir)),
    relabelConfigs: parseRelabelConfigs(m.relabel_configs, `${field}.relabel_configs`),
    metricRelabelConfigs: parseRelabelConfigs(m.metric_relabel_configs, `${field}.metric_relabel_configs`),
    projectId: m.project_id === undefined || m.project_id === null ? null : str(m.project_id, `${field}.project_id`),
  };
}

function parseFileSd(raw: unknown, field: string, baseDir: string): FileSdConfig {
  const m = mapping(raw, field);
  for (const key of Object.keys(m)) if (key !== 'files' && key !== 'refresh_interval') throw new ScrapeConfigError(`${field}.${key}`, 'unknown field');
  const files = list(m.files, `${field}.files`).map((f, i) => {
    const s = str(f, `${field}.files[${i}]`);
    if (!FILE_SD_PATTERN.test(s)) {
      throw new ScrapeConfigError(`${field}.files[${i}]`, `${JSON.stringify(s)}: expected a .json, .yml or .yaml file name, with a glob only in its last path element`);
    }
    return isAbsolute(s) ? s : resolve(baseDir, s);
  });
  if (files.length === 0) throw new ScrapeConfigError(`${field}.files`, 'at least one file is required');
  const refreshIntervalMs = m.refresh_interval === undefined ? DEFAULT_FILE_SD_REFRESH_MS : duration(m.refresh_interval, `${field}.refresh_interval`);
  if (refreshIntervalMs <= 0) throw new ScrapeConfigError(`${field}.refresh_interval`, 'must be more than 0');
  return { files, refreshIntervalMs };
}

/**
 * Validates a parsed document: a mapping with `scrape_configs` (and
 * optionally `global`), or the list of scrape configs itself. Relative
 * file_sd paths are relative to `baseDir` (the config file's folder).
 */
export function parseScrapeConfig(doc: unknown, file: string, baseDir: string): ScrapeConfig {
  let jobsRaw: unknown;
  let defaults = { intervalMs: DEFAULT_INTERVAL_MS, timeoutMs: DEFAULT_TIMEOUT_MS };
  let prefix = 'scrape_configs';
  if (Array.isArray(doc)) {
    jobsRaw = doc;
    prefix = '';
  } else {
    const top = mapping(doc ?? {}, '(top level)');
    for (const key of Object.keys(top)) {
      if (key !== 'global' && key !== 'scrape_configs' && !IGNORED_TOP_LEVEL.includes(key)) throw new ScrapeConfigError(key, 'unknown field');
    }
    if (top.global !== undefined && top.global !== null) {
      const g = mapping(top.global, 'global');
      for (const key of Object.keys(g)) if (!GLOBAL_KEYS.includes(key)) throw new ScrapeConfigError(`global.${key}`, 'unknown field');
      const intervalMs = g.scrape_interval === undefined ? DEFAULT_INTERVAL_MS : duration(g.scrape_interval, 'global.scrape_interval');
      const timeoutMs = g.scrape_timeout === undefined ? DEFAULT_TIMEOUT_MS : duration(g.scrape_timeout, 'global.scrape_timeout');
      if (g.scrape_timeout !== undefined && timeoutMs > intervalMs) {
        throw new ScrapeConfigError('global.scrape_timeout', `${formatDuration(timeoutMs)} is greater than scrape_interval ${formatDuration(intervalMs)}`);
      }
      defaults = { intervalMs, timeoutMs };
    }
    jobsRaw = top.scrape_configs;
  }
  const jobs = list(jobsRaw, prefix || '(top level)').map((j, i) => parseJob(j, `${prefix}[${i}]`, defaults, baseDir));
  const seen = new Set<string>();
  jobs.forEach((job, i) => {
    if (seen.has(job.jobName)) throw new ScrapeConfigError(`${prefix}[${i}].job_name`, `job ${JSON.stringify(job.jobName)} is configured twice`);
    seen.add(job.jobName);
  });
  return { file, jobs };
}

/** Reads and validates the scrape configuration file; errors name the file and the field. */
export function loadScrapeConfig(file: string): ScrapeConfig {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  try {
    return parseScrapeConfig(doc, file, dirname(resolve(file)));
  } catch (err) {
    if (err instanceof ScrapeConfigError) throw new ScrapeConfigError(err.field, err.message.slice(err.field.length + 2), file);
    throw err;
  }
}
