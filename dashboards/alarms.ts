/**
 * tally's alarms (Aodh's API and evaluator): the alarms the evaluator holds
 * and what the processes running them spend, from tally's own /metrics.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, newDashboard, row, stat } from './panels.js';

/** the processes that evaluate alarms (all-in-one, collector or `tally alarms`): those reporting an alarm working set */
const alarmProcess = (expr: string): string => `${expr} and on (job, instance) tally_cache_entries{cache="alarm_working_set"}`;

export function alarms(): Dashboard {
  return newDashboard('tally-alarms', 'OpenStack / Alarms', "The alarms tally evaluates (threshold and composite alarms in the evaluator's working set) and the processes that run them.")
    .withRow(row('Alarms'))
    .withPanel(stat('Alarms evaluated', 'short', 'sum(tally_cache_entries{cache="alarm_working_set"})', { width: 8 }))
    .withPanel(stat('Alarms with an evaluation held', 'short', 'sum(tally_cache_entries{cache="alarm_last_evaluations"})', { width: 8 }))
    .withPanel(stat('Processes evaluating alarms', 'short', 'count(tally_cache_entries{cache="alarm_working_set"})', { width: 8 }))
    .withPanel(
      graph('Working set', 'short', [
        { expr: 'tally_cache_entries{cache="alarm_working_set"}', legend: '{{instance}} enabled threshold and composite alarms' },
        { expr: 'tally_cache_entries{cache="alarm_last_evaluations"}', legend: '{{instance}} last evaluations' },
      ]),
    )
    .withRow(row('Processes'))
    .withPanel(graph('Resident memory', 'bytes', [{ expr: alarmProcess('process_resident_memory_bytes'), legend: '{{instance}}' }]))
    .withPanel(graph('Embedded database memory', 'bytes', [{ expr: alarmProcess('tally_memory_bytes{part=~"(alarm_)?index_wasm_memory_.*"}'), legend: '{{instance}} {{part}}' }], {
        description: "PGlite's memory: the alarms' own database in `tally alarms`, the store's index (which holds the alarms) elsewhere",
      }))
    .withPanel(graph('Event loop lag (p99)', 's', [{ expr: alarmProcess('nodejs_eventloop_lag_p99_seconds'), legend: '{{instance}}' }]))
    .withPanel(graph('CPU', 'percentunit', [{ expr: alarmProcess('rate(process_cpu_seconds_total[$__rate_interval])'), legend: '{{instance}}' }]))
    .build();
}
