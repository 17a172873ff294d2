/**
 * The agent's own state on its /metrics, beside the samples: each source's
 * health, the publisher's counts, the spool. Read when scraped.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { PollTask } from './poll-task.js';
import type { SamplePublisher } from './publish/publisher.js';
import type { Spool } from './publish/spool.js';

export function agentMetrics(tasks: readonly PollTask[], publisher: SamplePublisher | null, spool: Spool | null): Registry {
  const registry = new Registry();
  const labelNames = ['source', 'sampler'] as const;
  const perTask = (name: string, help: string, value: (t: PollTask) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const t of tasks) {
          const v = value(t);
          if (v !== null) this.set({ source: t.source.name, sampler: t.sampler.name }, v);
        }
      },
    });
  };
  perTask('tally_agent_source_up', 'whether the last poll of the source worked (absent before the first)', (t) => (t.health.up === null ? null : t.health.up ? 1 : 0));
  perTask('tally_agent_poll_duration_seconds', 'how long the last poll took', (t) => (t.health.polls ? t.health.lastDurationMs / 1000 : null));
  perTask('tally_agent_poll_samples', 'samples the last successful poll gave', (t) => (t.health.polls ? t.health.lastSamples : null));
  perTask('tally_agent_poll_failures', 'failed polls in a row', (t) => t.health.failures);
  perTask('tally_agent_polls', 'polls since start', (t) => t.health.polls);
  if (publisher && spool) {
    const counter = (name: string, help: string, value: () => number): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    };
    counter('tally_agent_samples_published_total', 'samples confirmed by the broker as they were made', () => publisher.stats.published);
    counter('tally_agent_samples_spooled_total', 'samples written to the spool while the broker could not be reached', () => publisher.stats.spooled);
    counter('tally_agent_samples_replayed_total', 'samples sent from the spool once the broker was back', () => publisher.stats.replayed);
    counter('tally_agent_samples_dropped_total', 'samples dropped because the spool was full', () => spool.dropped.samples);
    new Gauge({ name: 'tally_agent_spool_bytes', help: 'what the spool holds', registers: [registry], collect() { this.set(spool.size); } });
    new Gauge({ name: 'tally_agent_broker_connected', help: 'whether the agent is connected to the broker', registers: [registry], collect() { this.set(publisher.stats.connected ? 1 : 0); } });
  }
  return registry;
}
