/**
 * One sampler polled for one polling.yaml source: every `interval` seconds
 * (cli/every.ts, never overlapping itself), its samples handed on. A poll
 * that fails is logged when the source goes from working to failing (and
 * back), not at every attempt, and is retried with backoff (5 s, doubling)
 * before its next regular turn; the other sources go on regardless.
 */
import { type Schedule, scheduleEvery } from '../cli/every.js';
import { type PollingSource, meterSupported } from './polling.js';
import type { AgentSample, Sampler } from './sample.js';

export interface PollHealth {
  readonly source: string;
  readonly sampler: string;
  /** null before the first poll */
  up: boolean | null;
  /** failures in a row */
  failures: number;
  lastError: string | null;
  lastDurationMs: number;
  lastSamples: number;
  polls: number;
}

export interface PollTaskOptions {
  readonly onSamples: (samples: AgentSample[], task: PollTask) => Promise<void>;
  readonly onFailure: (task: PollTask) => void;
  readonly log: (line: string) => void;
  /** first retry after a failure (ms, default 5000) */
  readonly retryBaseMs?: number;
}

export class PollTask {
  readonly wanted: ReadonlySet<string>;
  readonly health: PollHealth;
  private running: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private schedule: Schedule | null = null;
  private stopped = false;

  constructor(
    readonly source: PollingSource,
    readonly sampler: Sampler,
    private readonly o: PollTaskOptions,
  ) {
    this.wanted = new Set(sampler.meters.filter((m) => meterSupported(source.meters, m)));
    this.health = { source: source.name, sampler: sampler.name, up: null, failures: 0, lastError: null, lastDurationMs: 0, lastSamples: 0, polls: 0 };
  }

  start(): void {
    this.schedule = scheduleEvery(
      this.source.interval,
      `polling source ${this.source.name}: interval`,
      () => this.poll(),
      () => this.o.log(`agent: ${this.label}: the previous poll is still running after ${this.source.interval} s; this turn is skipped`),
    );
  }

  /** One poll now (unless one is running: then that one's end). */
  poll(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.schedule?.stop();
    await this.running;
  }

  private get label(): string {
    return `${this.sampler.name} (source ${this.source.name})`;
  }

  private async run(): Promise<void> {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const h = this.health;
    const started = performance.now();
    let samples: AgentSample[];
    try {
      samples = await this.sampler.poll(this.wanted);
    } catch (err) {
      h.polls++;
      h.lastDurationMs = performance.now() - started;
      const reason = (err as Error).message;
      if (h.up !== false) this.o.log(`agent: ${this.label} is failing: ${reason}; retrying with backoff`);
      h.up = false;
      h.failures++;
      h.lastError = reason;
      this.o.onFailure(this);
      this.retry();
      return;
    }
    h.polls++;
    h.lastDurationMs = performance.now() - started;
    h.lastSamples = samples.length;
    if (h.up === false) this.o.log(`agent: ${this.label} works again after ${h.failures} failed polls`);
    h.up = true;
    h.failures = 0;
    h.lastError = null;
    await this.o.onSamples(samples, this);
  }

  private retry(): void {
    if (this.stopped) return;
    // doubling, and always before the regular turn (at most half an interval)
    const delay = Math.min((this.o.retryBaseMs ?? 5_000) * 2 ** (this.health.failures - 1), (this.source.interval * 1000) / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.poll();
    }, delay);
    this.retryTimer.unref();
  }
}
