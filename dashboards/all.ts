/** Every dashboard of the folder, by the file name its JSON is written to. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { alarms } from './alarms.js';
import { ceph } from './ceph.js';
import { cloudOverview } from './cloud-overview.js';
import { computeNode } from './compute-node.js';
import { instanceDetail } from './instance-detail.js';
import { openVswitch } from './open-vswitch.js';
import { numbered } from './panels.js';
import { projectUsage } from './project-usage.js';
import { tallyHealth } from './tally-health.js';

export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  'cloud-overview': numbered(cloudOverview),
  'project-usage': numbered(projectUsage),
  'instance-detail': numbered(instanceDetail),
  'compute-node': numbered(computeNode),
  'open-vswitch': numbered(openVswitch),
  ceph: numbered(ceph),
  alarms: numbered(alarms),
  'tally-health': numbered(tallyHealth),
};
