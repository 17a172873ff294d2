/**
 * Grafana's provisioning files for the dashboards: the Prometheus data
 * source that reads tally, and a file provider that loads the dashboards'
 * JSON into one folder.
 */
import { stringify } from 'yaml';
import { DATASOURCE } from './panels.js';

export interface ProvisioningOptions {
  /** tally's listener, as Grafana's server reaches it */
  readonly url: string;
  /** Grafana's "scrape interval": the finest step it asks for, and the base of $__rate_interval */
  readonly scrapeInterval: string;
  /** where Grafana finds the dashboards' JSON */
  readonly dashboardsPath: string;
  /** the folder the dashboards appear in */
  readonly folder: string;
}

export function datasourceYaml(o: ProvisioningOptions): string {
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: 'tally',
        uid: DATASOURCE.uid,
        type: DATASOURCE.type,
        // Grafana's server queries tally, so tally need not be reachable from browsers
        access: 'proxy',
        url: o.url,
        isDefault: true,
        editable: true,
        jsonData: {
          httpMethod: 'POST',
          timeInterval: o.scrapeInterval,
          // the semantics tally's API follows; Grafana then uses the label values endpoint with match[]
          prometheusType: 'Prometheus',
          prometheusVersion: '2.42.0',
        },
      },
    ],
  });
}

export function dashboardProviderYaml(o: ProvisioningOptions): string {
  return stringify({
    apiVersion: 1,
    providers: [
      {
        name: 'tally',
        folder: o.folder,
        type: 'file',
        disableDeletion: false,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: o.dashboardsPath, foldersFromFilesStructure: false },
      },
    ],
  });
}
