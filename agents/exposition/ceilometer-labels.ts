/**
 * The name and labels Ceilometer's Prometheus exporter gives a sample
 * (ceilometer/polling/prom_exporter.py, 2026.1 and master): which labels a
 * sample gets follows from its fields and metadata, as listed in README.md.
 */
import type { AgentSample } from '../sample.js';
import { type Labels, isLabelName, isMetricName } from './prom-text.js';
import { pyTruthy } from '../../collector/definitions/python-values.js';
import { dict, pyStr, truthy } from './python-value.js';

/**
 * Keystone's names for project and user ids. Ceilometer asks Keystone only
 * with `[polling] identity_name_discovery` (off by default); without a
 * resolver, as without that option, the labels are absent.
 */
export interface IdentityNames {
  projectName(projectId: string): string | null | undefined;
  userName(userId: string): string | null | undefined;
}

/** Every label the exporter may add after the meter's own first one. */
const FIXED_LABELS = new Set([
  'publisher', 'type', 'counter', 'project', 'project_name', 'user', 'user_name', 'unit', 'resource',
  'vm_instance', 'resource_name', 'server_group', 'state', 'availability_zone', 'binary', 'zone', 'status', 'flavor_id', 'flavor_name',
]);

/** What the exporter makes of a meter name, worked out once per name. */
export interface MeterShape {
  /** `ceilometer_` + the meter, dots as underscores */
  readonly metric: string;
  /** the first segment: the first label's name */
  readonly first: string;
  /** the third segment, the first label's value for meters of three segments or more; else the resource id is */
  readonly third: string | null;
  /** the `type` label: the second segment, or the only one */
  readonly type: string;
  readonly loadbalancer: boolean;
  readonly serviceHealth: boolean;
}

/**
 * The shape of a meter, or null when the name cannot be written in the
 * text format (characters outside Prometheus names) or its first segment
 * would repeat a label the exporter adds anyway: Ceilometer would fail or
 * write a broken series for such a meter, none of the node agent's.
 */
export function meterShape(meter: string): MeterShape | null {
  const parts = meter.split('.');
  const metric = `ceilometer_${meter.replace(/\./g, '_')}`;
  const first = parts[0];
  if (!isMetricName(metric) || !isLabelName(first) || FIXED_LABELS.has(first)) return null;
  return {
    metric,
    first,
    third: parts.length > 2 ? parts[2] : null,
    type: parts.length > 1 ? parts[1] : parts[0],
    loadbalancer: meter.startsWith('loadbalancer'),
    serviceHealth: meter === 'volume.service.health',
  };
}

/** The labels of one sample, in the exporter's order. */
export function ceilometerLabels(sample: AgentSample, shape: MeterShape, identity: IdentityNames | undefined): Labels {
  const labels: Labels = {};
  labels[shape.first] = shape.third ?? pyStr(sample.resource_id);
  labels.publisher = 'ceilometer';
  labels.type = shape.type;
  if (pyTruthy(sample.name)) labels.counter = sample.name;
  const project = sample.project_id;
  const user = sample.user_id;
  if (pyTruthy(project)) labels.project = pyStr(project);
  const projectName = identity && pyTruthy(project) ? identity.projectName(project as string) : null;
  if (pyTruthy(projectName)) labels.project_name = pyStr(projectName);
  if (pyTruthy(user)) labels.user = pyStr(user);
  const userName = identity && pyTruthy(user) ? identity.userName(user as string) : null;
  if (pyTruthy(userName)) labels.user_name = pyStr(userName);
  if (pyTruthy(sample.unit)) labels.unit = sample.unit;
  if (pyTruthy(sample.resource_id)) labels.resource = sample.resource_id;
  const md = sample.resource_metadata;
  // an empty metadata dict is false to Python: then none of what follows, not even server_group
  if (truthy(md)) metadataLabels(md, shape, labels);
  return labels;
}

function metadataLabels(md: Readonly<Record<string, unknown>>, shape: MeterShape, labels: Labels): void {
  if (pyTruthy(md.host)) labels.vm_instance = pyStr(md.host);
  // `display_name:name`, either alone when the other is empty
  if (pyTruthy(md.display_name)) labels.resource_name = pyTruthy(md.name) ? `${pyStr(md.display_name)}:${pyStr(md.name)}` : pyStr(md.display_name);
  else if (pyTruthy(md.name)) labels.resource_name = pyStr(md.name);
  // always there, `none` without a value, so that every series of a meter has the same labels
  const group = dict(md.user_metadata)?.server_group;
  labels.server_group = pyTruthy(group) ? pyStr(group) : 'none';
  // compared with '', so a None alarm_state (Aodh's evaluation metrics) is written `None`
  if (md.alarm_state !== undefined && md.alarm_state !== '') labels.state = pyStr(md.alarm_state);
  if (shape.loadbalancer) labels.availability_zone = pyTruthy(md.availability_zone) ? pyStr(md.availability_zone) : '';
  if (shape.serviceHealth) {
    labels.binary = pyTruthy(md.binary) ? pyStr(md.binary) : '';
    labels.zone = pyTruthy(md.zone) ? pyStr(md.zone) : '';
    labels.status = pyTruthy(md.status) ? pyStr(md.status) : '';
  }
  const flavor = dict(md.flavor);
  if (flavor && truthy(flavor)) {
    if (pyTruthy(flavor.id)) labels.flavor_id = pyStr(flavor.id);
    if (pyTruthy(flavor.name)) labels.flavor_name = pyStr(flavor.name);
  }
}
