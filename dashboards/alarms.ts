/**
 * tally's alarms (Aodh's API and evaluator): the alarms the evaluator holds,
 * their states, evaluation cycles and notifications, and what the processes
 * running them spend, from tally's own /metrics.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, newDashboard, row, stat } from './panels.js';

/** the processes that evaluate alarms (all-in-one, collector or `tally alarms`): those reporting an alarm working set */
const alarmProcess = (expr: string): string => `${expr} and on (job, instance) tally_cache_entries{cache="alarm_working_set"}`;

export function alarms(): Dashboard {
  return newDashboard(
    'tally-alarms',
    'OpenStack / Alarms',
    "The alarms tally evaluates (threshold and composite alarms in the evaluator's working set), their states and transitions, evaluation cycles, notifications and their outbox, and the processes that run them.",
  )
    .withRow(row('Alarms'))
    .withPanel(stat('Alarms evaluated', 'short', 'sum(tally_cache_entries{cache="alarm_working_set"})', { width: 8 }))
    .withPanel(stat('Alarms with an evaluation held', 'short', 'sum(tally_cache_entries{cache="alarm_last_evaluations"})', { width: 8 }))
    .withPanel(stat('Processes evaluating alarms', 'short', 'count(tally_cache_entries{cache="alarm_working_set"})', { width: 8 }))
    .withPanel(
      graph('Working set', 'short', [
        { expr: 'tally_cache_entries{cache="alarm_working_set"}', legend: '{{instance}} enabled threshold and composite alarms' },
        { expr: 'tally_cache_entries{cache="alarm_last_evaluations"}', legend: '{{instance}} last evaluations' },
      ], { width: 8 }),
    )
    .withPanel(
      // every process evaluating alarms counts the same alarms (they are read from the store): the highest, not their sum
      graph('Alarms by state', 'short', [{ expr: 'max by (state) (tally_alarms)', legend: '{{state}}' }], { description: 'Enabled alarms, by state.', width: 8 }),
    )
    .withPanel(
      graph('State transitions per second', 'short', [{ expr: 'rate(tally_alarm_transitions_total[$__rate_interval])', legend: '{{instance}}' }], {
        description: 'State changes, by evaluation and by events firing event alarms.',
        width: 8,
      }),
    )
    .withRow(row('Evaluation and notifications'))
    .withPanel(
      graph('Evaluation cycle duration (p95)', 's', [{ expr: 'histogram_quantile(0.95, sum by (instance, le) (rate(tally_alarm_evaluation_duration_seconds_bucket[$__rate_interval])))', legend: '{{instance}}' }], {
        description: 'One cycle evaluates every threshold and composite alarm; a cycle still running when the next is due makes that one skipped (tally_alarm_evaluation_cycles_skipped_total).',
      }),
    )
    .withPanel(
      graph('Notifications per second', 'short', [
        { expr: 'rate(tally_alarm_notifications_delivered_total[$__rate_interval])', legend: '{{instance}} delivered' },
        { expr: 'rate(tally_alarm_notification_retries_total[$__rate_interval])', legend: '{{instance}} retried' },
        { expr: 'rate(tally_alarm_notifications_failed_total[$__rate_interval])', legend: '{{instance}} given up' },
      ], { description: 'Webhook, trust+http, e-mail and log deliveries; given up: a permanent failure, or the last attempt failed.' }),
    )
    .withPanel(graph('Outbox', 'short', [{ expr: 'tally_alarm_outbox_entries', legend: '{{instance}}' }], { description: 'Notifications waiting to be delivered: due, or waiting for a retry.' }))
    .withPanel(graph('Oldest notification waiting', 's', [{ expr: 'tally_alarm_outbox_oldest_age_seconds', legend: '{{instance}}' }], { description: 'How long the oldest notification in the outbox has waited; 0 when it is empty.' }))
    .withRow(row('Processes'))
    .withPanel(graph('Resident memory', 'bytes', [{ expr: alarmProcess('process_resident_memory_bytes'), legend: '{{instance}}' }]))
    .withPanel(graph('Embedded database memory', 'bytes', [{ expr: alarmProcess('tally_memory_bytes{part=~"(alarm_)?index_wasm_memory_.*"}'), legend: '{{instance}} {{part}}' }], {
        description: "PGlite's memory: the alarms' own database in `tally alarms`, the store's index (which holds the alarms) elsewhere",
      }))
    .withPanel(graph('Event loop lag (p99)', 's', [{ expr: alarmProcess('nodejs_eventloop_lag_p99_seconds'), legend: '{{instance}}' }]))
    .withPanel(graph('CPU', 'percentunit', [{ expr: alarmProcess('rate(process_cpu_seconds_total[$__rate_interval])'), legend: '{{instance}}' }]))
    .build();
}
