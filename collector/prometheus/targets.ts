/**
 * From target groups to scrape targets, as Prometheus' PopulateLabels does:
 * the group's labels plus `__address__`, `job`, `__scheme__`,
 * `__metrics_path__`, `__scrape_interval__`, `__scrape_timeout__` and
 * `__param_<name>`, then `relabel_configs`; a target left without
 * `__address__` is an error, one dropped by keep/drop is skipped; a missing
 * port becomes the scheme's; `instance` defaults to the address; labels
 * starting with `__` are removed from what is stored.
 */
import { formatDuration, parseDuration } from './duration.js';
import { relabel } from './relabel.js';
import type { ScrapeJob, TargetGroup } from './scrape-config.js';
import { type Labels, seriesNotation } from './series-labels.js';

export interface Target {
  /** identity across discovery refreshes: job, URL and labels */
  readonly key: string;
  readonly job: ScrapeJob;
  readonly url: string;
  /** the labels every series of the target gets (job, instance, group labels…) */
  readonly labels: ReadonlyMap<string, string>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export interface GroupTargets {
  readonly targets: Target[];
  /** targets a keep or drop rule dropped */
  dropped: number;
  /** targets that cannot be scraped, with the reason */
  readonly errors: string[];
}

export function targetsOfGroup(job: ScrapeJob, group: TargetGroup, discoveryLabels: Readonly<Record<string, string>> = {}): GroupTargets {
  const out: GroupTargets = { targets: [], dropped: 0, errors: [] };
  for (const address of group.targets) {
    const labels: Labels = new Map(Object.entries({ ...discoveryLabels, ...group.labels }));
    labels.set('__address__', address);
    const base: [string, string][] = [
      ['job', job.jobName],
      ['__scrape_interval__', formatDuration(job.scrapeIntervalMs)],
      ['__scrape_timeout__', formatDuration(job.scrapeTimeoutMs)],
      ['__metrics_path__', job.metricsPath],
      ['__scheme__', job.scheme],
    ];
    for (const [k, v] of base) if (!labels.get(k)) labels.set(k, v);
    for (const [k, v] of Object.entries(job.params)) if (v.length > 0 && !labels.get(`__param_${k}`)) labels.set(`__param_${k}`, v[0]);
    if (!relabel(labels, job.relabelConfigs)) {
      out.dropped++;
      continue;
    }
    const result = finish(job, labels, `${group.source}: target ${address}`);
    if (typeof result === 'string') out.errors.push(result);
    else out.targets.push(result);
  }
  return out;
}

function finish(job: ScrapeJob, labels: Labels, what: string): Target | string {
  let address = labels.get('__address__');
  if (!address) return `${what}: no __address__ label after relabelling`;
  const scheme = labels.get('__scheme__') ?? job.scheme;
  if (scheme !== 'http' && scheme !== 'https') return `${what}: __scheme__ ${JSON.stringify(scheme)} is neither http nor https`;
  if (/[/\s@?#]/.test(address)) return `${what}: ${JSON.stringify(address)} is not a valid host:port address`;
  if (!hasPort(address)) address = `${address}:${scheme === 'https' ? 443 : 80}`;
  labels.set('__address__', address);
  const intervalMs = parseDuration(labels.get('__scrape_interval__') ?? '');
  const timeoutMs = parseDuration(labels.get('__scrape_timeout__') ?? '');
  if (intervalMs === undefined || intervalMs <= 0) return `${what}: invalid __scrape_interval__ ${JSON.stringify(labels.get('__scrape_interval__'))}`;
  if (timeoutMs === undefined || timeoutMs <= 0) return `${what}: invalid __scrape_timeout__ ${JSON.stringify(labels.get('__scrape_timeout__'))}`;
  if (timeoutMs > intervalMs) return `${what}: scrape timeout ${formatDuration(timeoutMs)} is greater than the interval ${formatDuration(intervalMs)}`;

  const params = new URLSearchParams();
  const fromLabels = new Map<string, string>();
  for (const [k, v] of labels) if (k.startsWith('__param_')) fromLabels.set(k.slice(8), v);
  for (const [k, vs] of Object.entries(job.params)) {
    if (fromLabels.has(k)) continue;
    for (const v of vs) params.append(k, v);
  }
  for (const [k, v] of fromLabels) params.set(k, v);
  const path = labels.get('__metrics_path__') ?? job.metricsPath;
  const query = params.toString();
  const url = `${scheme}://${address}${path.startsWith('/') ? '' : '/'}${path}${query ? `${path.includes('?') ? '&' : '?'}${query}` : ''}`;

  if (!labels.get('instance')) labels.set('instance', address);
  const kept = new Map<string, string>();
  for (const [k, v] of labels) if (!k.startsWith('__') && v !== '') kept.set(k, v);
  return { key: `${job.jobName} ${url} ${seriesNotation(kept)}`, job, url, labels: kept, intervalMs, timeoutMs };
}

function hasPort(address: string): boolean {
  if (address.startsWith('[')) return /\]:\d+$/.test(address);
  return /:\d+$/.test(address);
}
