/**
 * tally's own health, from its /metrics (scraped, or remote-written by a
 * Prometheus): memory by part, caches, CPU, event loop, GC, and what it
 * serves and stores: HTTP requests, measures and their aggregation, store
 * sizes, notifications, scrapes.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, labelVariable, newDashboard, row, stat } from './panels.js';

const T = 'instance=~"$target"';

/** a rate summed over the chosen processes */
const perSecond = (metric: string, by = ''): string => `sum${by ? ` by (${by})` : ''} (rate(${metric}{${T}}[$__rate_interval]))`;

export function tallyHealth(): Dashboard {
  return newDashboard(
    'tally-health',
    'tally / Health',
    "tally's processes: up, memory by part, bounded caches, CPU, event loop lag, garbage collection; HTTP requests and latency, measures accepted and aggregated, backlog, store sizes, notifications, scrape targets.",
  )
    .withVariable(labelVariable('target', 'Process', 'label_values(tally_memory_bytes, instance)', { includeAll: true }))
    .withRow(row('Processes'))
    .withPanel(stat('Up', 'short', `sum(up{${T}})`, { width: 6 }))
    .withPanel(stat('Resident memory', 'bytes', `sum(tally_memory_bytes{${T}, part="rss"})`, { width: 6 }))
    .withPanel(stat('Open file descriptors', 'short', `sum(process_open_fds{${T}})`, { width: 6 }))
    .withPanel(stat('Uptime', 's', `max(time() - process_start_time_seconds{${T}})`, { width: 6 }))
    .withRow(row('Memory'))
    .withPanel(graph('Resident memory', 'bytes', [{ expr: `tally_memory_bytes{${T}, part=~"rss.*"}`, legend: '{{instance}} {{part}}' }]))
    .withPanel(graph('Memory by part', 'bytes', [{ expr: `tally_memory_bytes{${T}, part!~"rss.*"}`, legend: '{{instance}} {{part}}' }]))
    .withPanel(graph('Cache entries', 'short', [{ expr: `tally_cache_entries{${T}}`, legend: '{{instance}} {{cache}}' }]))
    .withPanel(graph('JavaScript heap used', 'bytes', [{ expr: `sum by (instance) (nodejs_heap_size_used_bytes{${T}})`, legend: '{{instance}}' }]))
    .withRow(row('Runtime'))
    .withPanel(graph('CPU', 'percentunit', [{ expr: `rate(process_cpu_seconds_total{${T}}[$__rate_interval])`, legend: '{{instance}}' }]))
    .withPanel(graph('Event loop lag (p99)', 's', [{ expr: `nodejs_eventloop_lag_p99_seconds{${T}}`, legend: '{{instance}}' }]))
    .withPanel(graph('Time in garbage collection', 'percentunit', [{ expr: `sum by (instance, kind) (rate(nodejs_gc_duration_seconds_sum{${T}}[$__rate_interval]))`, legend: '{{instance}} {{kind}}' }]))
    .withPanel(graph('Scrape duration', 's', [{ expr: `scrape_duration_seconds{${T}}`, legend: '{{job}} {{instance}}' }]))
    .withRow(row('HTTP'))
    .withPanel(
      // the status class (2xx, 4xx, 5xx) rather than every code: one series per route and outcome
      graph('Requests by route and status', 'reqps', [{ expr: `sum by (route, class) (label_replace(rate(tally_http_requests_total{${T}}[$__rate_interval]), "class", "$1", "code", "(.).*"))`, legend: '{{route}} {{class}}xx' }], {
        description: 'An empty route is a path no route matched.',
      }),
    )
    .withPanel(
      graph('Request latency (p95)', 's', [{ expr: `histogram_quantile(0.95, ${perSecond('tally_http_request_duration_seconds_bucket', 'route, le')})`, legend: '{{route}}' }], {
        description: 'From the arrival of a request to its response sent, over every method of the route.',
      }),
    )
    .withRow(row('Store'))
    .withPanel(
      graph('Measures per second', 'short', [
        { expr: perSecond('tally_measures_accepted_total', 'instance'), legend: '{{instance}} accepted' },
        { expr: perSecond('tally_measures_aggregated_total', 'instance'), legend: '{{instance}} aggregated' },
      ], { description: 'Accepted: made durable in the incoming buffer (API, collector, scrapes, remote write). Aggregated: folded into their rollups. Aggregated below accepted for long means the backlog grows.' }),
    )
    .withPanel(graph('Store size', 'bytes', [{ expr: `tally_store_size_bytes{${T}}`, legend: '{{instance}} {{store}}' }], { description: 'Bytes on disk, measured at most every 30 s.' }))
    .withPanel(graph('Incoming backlog', 'short', [{ expr: `tally_incoming_backlog_entries{${T}}`, legend: '{{instance}}' }], { description: 'Entries waiting for aggregation: one per metric per accepted write.' }))
    .withPanel(
      graph('Aggregation lag', 's', [{ expr: `tally_aggregation_lag_seconds{${T}}`, legend: '{{instance}}' }], {
        description: 'How long the oldest waiting measure may have waited; 0 when nothing waits.',
      }),
    )
    .withRow(row('Collection'))
    .withPanel(
      graph('Notifications per second, by queue', 'short', [
        { expr: perSecond('tally_notifications_stored_total', 'queue'), legend: '{{queue}} stored' },
        { expr: perSecond('tally_notifications_dead_lettered_total', 'queue'), legend: '{{queue}} dead-lettered' },
        { expr: perSecond('tally_notifications_duplicates_total', 'queue'), legend: '{{queue}} duplicates' },
      ], { description: '`http` is notifications posted to /collector/notifications. Dead-lettered: not JSON, or nothing could be made of them.' }),
    )
    .withPanel(
      graph('Scrape targets up', 'short', [{ expr: `tally_scrape_target_up{${T}}`, legend: '{{scrape_job}} {{scrape_instance}}' }], {
        description: "1 if the target's last scrape by tally (prometheus_scrape_config) succeeded, else 0.",
      }),
    )
    .build();
}
