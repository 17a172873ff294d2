/**
 * The few panel, query and variable shapes every dashboard is made of, so
 * that each dashboard file lists only its queries. Every query reads the
 * Prometheus data source the build provisions (uid `tally`).
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import { DashboardBuilder, DashboardCursorSync, MappingType, QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard, Panel, ValueMapping, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** The data source the provisioning file declares. */
export const DATASOURCE = { type: 'prometheus', uid: 'tally' } as const;

/** A dashboard of the tally folder: six hours (a Ceilometer meter has a point every five minutes), refreshed every minute. */
export function newDashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['tally', 'openstack'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .editable();
}

/** One PromQL query of a panel and the legend of its series. */
export interface Query {
  readonly expr: string;
  readonly legend?: string;
}

const target = (q: Query, i: number): DataqueryBuilder =>
  new DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(String.fromCharCode(65 + i))
    .expr(q.expr)
    .legendFormat(q.legend ?? '__auto');

/** A graph over the dashboard's time range (range queries). */
export function graph(title: string, unit: string, queries: readonly Query[], opts: { description?: string; width?: number } = {}): Builder<Panel> {
  const p = new TimeseriesPanel().title(title).datasource(DATASOURCE).unit(unit).span(opts.width ?? 12).height(8).fillOpacity(10);
  if (opts.description !== undefined) p.description(opts.description);
  queries.forEach((q, i) => p.withTarget(target(q, i).range()));
  return p;
}

/** One number: the latest value (an instant query at the range's end). */
export function stat(title: string, unit: string, expr: string, opts: { mappings?: ValueMapping[]; legend?: string; width?: number } = {}): Builder<Panel> {
  const p = new StatPanel().title(title).datasource(DATASOURCE).unit(unit).span(opts.width ?? 4).height(4);
  if (opts.mappings) p.mappings(opts.mappings);
  return p.withTarget(target({ expr, legend: opts.legend }, 0).instant());
}

/** The labels of the series an instant query returns, one row each. */
export function table(title: string, expr: string, opts: { width?: number } = {}): Builder<Panel> {
  return new TablePanel()
    .title(title)
    .datasource(DATASOURCE)
    .span(opts.width ?? 24)
    .height(8)
    .withTarget(target({ expr }, 0).instant().format(PromQueryFormat.Table));
}

export const row = (title: string): RowBuilder => new RowBuilder(title);

/**
 * A variable whose values are a label's, through `label_values(selector,
 * label)`; `regex` keeps the first capture of each value. Multi-valued, as
 * the queries match it with `=~`.
 */
export function labelVariable(name: string, label: string, query: string, opts: { includeAll?: boolean; regex?: string } = {}): Builder<VariableModel> {
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({ qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true);
  // `.*` rather than the list of every value: a shorter query that also takes series new since the list was read
  if (opts.includeAll) v.includeAll(true).allValue('.*');
  if (opts.regex !== undefined) v.regex(opts.regex);
  return v;
}

/** Numbers shown as words. */
export function valueText(words: Readonly<Record<number, [string, string]>>): ValueMapping[] {
  const options: Record<string, { text: string; color: string; index: number }> = {};
  Object.entries(words).forEach(([value, [text, color]], index) => (options[value] = { text, color, index }));
  return [{ type: MappingType.ValueToText, options }];
}

/** Ceilometer's `resource_name` is `display_name:name` (or either alone): the instance's name in Nova. */
export const vmName = (expr: string): string => `label_replace(${expr}, "vm_name", "$1", "resource_name", "([^:]+).*")`;

/** libvirt's domain states, as `power.state` carries them. */
export const POWER_STATES = valueText({
  0: ['no state', 'gray'],
  1: ['running', 'green'],
  2: ['blocked', 'orange'],
  3: ['paused', 'yellow'],
  4: ['shutting down', 'orange'],
  5: ['shut off', 'red'],
  6: ['crashed', 'red'],
  7: ['suspended', 'yellow'],
});

/** Panel ids 1, 2, … in layout order: Grafana keys a panel's links and its viewing state by id. */
export function numbered(build: () => Dashboard): () => Dashboard {
  return () => {
    const d = build();
    (d.panels ?? []).forEach((p, i) => (p.id = i + 1));
    return d;
  };
}
