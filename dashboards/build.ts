/**
 * Writes every dashboard's JSON and Grafana's provisioning files:
 *
 *   OUT/dashboards/<name>.json
 *   OUT/provisioning/datasources/tally.yaml
 *   OUT/provisioning/dashboards/tally.yaml
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DASHBOARDS } from './all.js';
import { type ProvisioningOptions, dashboardProviderYaml, datasourceYaml } from './provisioning.js';

export interface BuildOptions {
  readonly out: string;
  readonly url?: string;
  readonly scrapeInterval?: string;
  readonly folder?: string;
  /** where Grafana will read the JSON, when not OUT/dashboards (another machine, a container's mount) */
  readonly dashboardsPath?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8041';
/** Ceilometer's archive policies keep a point per 5 minutes: a finer step only repeats points */
export const DEFAULT_SCRAPE_INTERVAL = '5m';
export const DEFAULT_FOLDER = 'OpenStack (tally)';

/** The files written, relative to OUT. */
export function buildDashboards(o: BuildOptions): string[] {
  const out = resolve(o.out);
  const options: ProvisioningOptions = {
    url: o.url ?? DEFAULT_URL,
    scrapeInterval: o.scrapeInterval ?? DEFAULT_SCRAPE_INTERVAL,
    folder: o.folder ?? DEFAULT_FOLDER,
    dashboardsPath: o.dashboardsPath ?? join(out, 'dashboards'),
  };
  const files: [string, string][] = Object.entries(DASHBOARDS).map(([name, build]) => [join('dashboards', `${name}.json`), `${JSON.stringify(build(), null, 2)}\n`]);
  files.push([join('provisioning', 'datasources', 'tally.yaml'), datasourceYaml(options)]);
  files.push([join('provisioning', 'dashboards', 'tally.yaml'), dashboardProviderYaml(options)]);
  for (const [path, text] of files) {
    mkdirSync(join(out, path, '..'), { recursive: true });
    writeFileSync(join(out, path), text);
  }
  return files.map(([path]) => path);
}
