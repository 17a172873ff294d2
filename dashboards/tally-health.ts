/** tally's own health, from its /metrics (scraped, or remote-written by a Prometheus): memory by part, caches, CPU, event loop, GC. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { graph, labelVariable, newDashboard, row, stat } from './panels.js';

const T = 'instance=~"$target"';

export function tallyHealth(): Dashboard {
  return newDashboard('tally-health', 'tally / Health', "tally's processes: up, memory by part, bounded caches, CPU, event loop lag, garbage collection.")
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
    .build();
}
