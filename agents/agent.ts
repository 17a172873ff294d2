/**
 * The compute-node agent: the samplers this node has, polled per
 * polling.yaml source, their samples published to RabbitMQ (with the spool
 * behind) and exposed on /metrics for Prometheus.
 */
import { existsSync } from 'node:fs';
import { type Server, type ServerResponse, createServer } from 'node:http';
import { delimiter, join } from 'node:path';
import { redactedUrl } from '../collector/amqp/redacted-url.js';
import { agentMetrics } from './agent-metrics.js';
import { CephSampler } from './ceph/sampler.js';
import type { RgwAdminOptions } from './ceph/rgw-admin.js';
import { LibvirtSampler } from './libvirt/sampler.js';
import { OvsSampler } from './ovs/sampler.js';
import { PollTask } from './poll-task.js';
import type { PollingSource } from './polling.js';
import { SamplePublisher } from './publish/publisher.js';
import { Spool } from './publish/spool.js';
import type { AgentSample, Sampler } from './sample.js';

/** Where samples are exposed for scraping (agents/exposition). */
export interface Exposition {
  /** the samples of one source's poll replace that source's series */
  update(source: string, samples: readonly AgentSample[]): void;
  /** a failed poll: that source's series go */
  failed(source: string): void;
  /** the text of GET /metrics, UTF-8, in pieces (written to the response one at a time) */
  chunks(): Iterable<Uint8Array>;
  readonly contentType: string;
}

/** A source the operator named (it stays even while failing), or the default (skipped when absent here), or off. */
export type Setting = { readonly value: string; readonly explicit: boolean } | null;

export interface AgentOptions {
  readonly libvirtUri: Setting;
  readonly ovsdb: Setting;
  readonly cephConf: Setting;
  /** the Ceph client the agent reads as (`admin`: client.admin) */
  readonly cephId?: string;
  /** RGW's admin API, for the radosgw.* meters */
  readonly rgw?: RgwAdminOptions;
  /** null: no broker; samples are only exposed */
  readonly amqpUrl: string | null;
  /** oslo's control_exchange and notification topic (default `ceilometer`, `notifications`) */
  readonly amqpExchange?: string;
  readonly amqpTopic?: string;
  readonly polling: readonly PollingSource[];
  readonly metricsHost: string;
  /** 0: a free port (tests) */
  readonly metricsPort: number;
  readonly spoolDir: string;
  readonly spoolMaxBytes?: number;
  /** Nova's name of this compute host (Ceilometer's `host`) */
  readonly novaHost?: string;
  readonly exposition: Exposition;
  /** samplers beyond the built-in ones (a test watching what a sampler gives) */
  readonly extraSamplers?: readonly Sampler[];
  readonly log: (line: string) => void;
}

export interface RunningAgent {
  readonly tasks: readonly PollTask[];
  readonly publisher: SamplePublisher | null;
  readonly spool: Spool | null;
  /** http://host:port of /metrics */
  readonly metricsUrl: string;
  /** every task polled once, and what they published confirmed or spooled */
  pollAll(): Promise<void>;
  stop(): Promise<void>;
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, binary)));
}

/** Whether the default libvirt of this node is there: virsh, and for a local qemu URI the daemon's socket. */
function libvirtPresent(uri: string): string | null {
  if (!onPath('virsh')) return 'virsh is not installed (Debian: libvirt-clients)';
  if (/^qemu:\/\/\/system/.test(uri) && !['/run/libvirt/libvirt-sock', '/run/libvirt/virtqemud-sock', '/var/run/libvirt/libvirt-sock'].some(existsSync)) {
    return 'no libvirt daemon socket under /run/libvirt';
  }
  return null;
}

function samplersOf(o: AgentOptions): Sampler[] {
  const samplers: Sampler[] = [];
  const use = (what: string, setting: Setting, absent: (v: string) => string | null, make: (v: string) => Sampler): void => {
    if (!setting) return o.log(`agent: ${what}: off`);
    const why = setting.explicit ? null : absent(setting.value);
    if (why) return o.log(`agent: ${what}: skipped, not on this node (${why})`);
    samplers.push(make(setting.value));
  };
  use('libvirt', o.libvirtUri, libvirtPresent, (uri) => new LibvirtSampler({ uri, host: o.novaHost }));
  use('Ceph', o.cephConf, (f) => (existsSync(f) ? null : `no ${f}`), (conf) => new CephSampler({ conf, id: o.cephId, rgw: o.rgw }));
  use('Open vSwitch', o.ovsdb, (t) => (t.startsWith('unix:') && !existsSync(t.slice(5)) ? `no OVSDB socket at ${t.slice(5)}` : null), (target) => new OvsSampler({ target }));
  for (const s of o.extraSamplers ?? []) samplers.push(s);
  return samplers;
}

/**
 * The samples' text, then the agent's own metrics, piece by piece: a piece
 * is made when the socket has taken the previous ones, so a scrape holds
 * ~64 KiB of text instead of the whole (15 MB at 1,000 domains) twice over.
 */
async function writeMetrics(res: ServerResponse, exposition: Exposition, state: string): Promise<void> {
  res.writeHead(200, { 'content-type': exposition.contentType });
  try {
    for (const chunk of exposition.chunks()) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drained(res);
    }
    res.end(state);
  } catch (err) {
    // the status is sent already: a response cut short is the error a scraper sees
    res.destroy(err as Error);
  }
}

/** The response has room again, or is gone (the scraper hung up). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const samplers = samplersOf(o);
  const spool = o.amqpUrl ? Spool.open(o.spoolDir, { maxBytes: o.spoolMaxBytes, log: o.log }) : null;
  const publisher = o.amqpUrl && spool ? new SamplePublisher({ url: o.amqpUrl, spool, exchange: o.amqpExchange, topic: o.amqpTopic, log: o.log }) : null;
  if (!publisher) o.log('agent: no broker (--amqp-url): samples are exposed on /metrics only');

  const key = (task: PollTask): string => `${task.source.name}/${task.sampler.name}`;
  const onSamples = async (samples: AgentSample[], task: PollTask): Promise<void> => {
    o.exposition.update(key(task), samples);
    if (publisher) await publisher.publish(samples);
  };
  const onFailure = (task: PollTask): void => o.exposition.failed(key(task));
  const tasks: PollTask[] = [];
  for (const source of o.polling) {
    for (const sampler of samplers) {
      const task = new PollTask(source, sampler, { onSamples, onFailure, log: o.log });
      if (task.wanted.size > 0) tasks.push(task);
    }
  }
  if (tasks.length === 0) o.log('agent: nothing to poll: no sampler on this node produces a meter of the polling sources');

  const own = agentMetrics(tasks, publisher, spool);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      // the same answers as the server processes' (cli/health.ts): alive, and ready unless a configured broker is out of reach
      const notReady = path === '/readyz' && publisher !== null && !publisher.stats.connected ? `not connected to the broker ${redactedUrl(o.amqpUrl ?? '')}: samples are spooled` : null;
      const body = notReady === null ? { status: path === '/healthz' ? 'alive' : 'ready' } : { status: 'not ready', reason: notReady, reasons: [notReady] };
      res.writeHead(notReady === null ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the agent serves GET /metrics, /healthz and /readyz\n');
      return;
    }
    own.metrics().then(
      (state) => writeMetrics(res, o.exposition, state),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `cannot listen on ${o.metricsHost}:${o.metricsPort}: the port is in use (--metrics-port)` : err.message)),
    );
    server.listen(o.metricsPort, o.metricsHost, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.metricsPort;

  publisher?.start();
  for (const t of tasks) t.start();
  o.log(`agent: polling ${tasks.map((t) => `${t.sampler.name} every ${t.source.interval} s (${t.source.name}: ${t.wanted.size} meters)`).join(', ') || 'nothing'}; /metrics on http://${o.metricsHost}:${port}`);

  return {
    tasks,
    publisher,
    spool,
    metricsUrl: `http://${o.metricsHost}:${port}/metrics`,
    pollAll: async () => {
      await Promise.all(tasks.map((t) => t.poll()));
    },
    stop: async () => {
      await Promise.all(tasks.map((t) => t.stop()));
      await publisher?.close();
      await Promise.all(samplers.map((s) => s.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
