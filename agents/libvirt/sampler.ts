/**
 * The libvirt sampler: every running domain Nova made, in one `virsh`
 * process per poll (virsh.ts): a bulk `domstats --raw`, the XML of the
 * domains not seen yet (kept, and read again every `xmlRefreshPolls` polls:
 * a rename or a resize shows up then), and, where the host's bulk stats
 * leave groups out, the per-domain commands that fill them in.
 */
import { hostname } from 'node:os';
import { type AgentSample, type Sampler, pythonUtcIso } from '../sample.js';
import { type DomainInfo, parseDomains } from './domain-xml.js';
import { type Fill, fillsFor, missingGroups, num, parseDomstats } from './domain-stats.js';
import { LIBVIRT_METERS, VIR_DOMAIN_SHUTOFF, domainSamples } from './meters.js';
import { VirshSession } from './virsh.js';

export interface LibvirtSamplerOptions {
  /** libvirt's connection URI: `qemu:///system`, `test:///path/node.xml`, … */
  readonly uri: string;
  /** the compute host's name, as Nova knows it (Ceilometer's `host`); default: this machine's */
  readonly host?: string;
  /** read every domain's XML again after this many polls (default 10) */
  readonly xmlRefreshPolls?: number;
  readonly virsh?: string;
  readonly timeoutMs?: number;
}

/** What the last poll did, for the agent's own metrics and logs. */
export interface LibvirtPollReport {
  readonly domains: number;
  readonly polled: number;
  readonly commands: number;
  readonly errors: readonly string[];
}

export class LibvirtSampler implements Sampler {
  readonly name = 'libvirt';
  readonly meters = LIBVIRT_METERS;
  private readonly xml = new Map<string, { info: DomainInfo; readAt: number }>();
  private readonly previousBytes = new Map<string, readonly [number, number]>();
  /** per-domain commands this host answered with nothing for every domain (the test driver's dommemstat): not asked again until the next XML refresh */
  private readonly unanswered = new Set<string>();
  private polls = 0;
  lastReport: LibvirtPollReport | null = null;

  constructor(private readonly o: LibvirtSamplerOptions) {}

  async poll(wanted: ReadonlySet<string>): Promise<AgentSample[]> {
    const poll = this.polls++;
    const timestamp = pythonUtcIso(Date.now());
    const session = VirshSession.open(this.o.uri, { virsh: this.o.virsh, timeoutMs: this.o.timeoutMs });
    try {
      let commands = 1;
      const [domstats] = await session.run(['domstats --raw']);
      const all = parseDomstats(domstats);
      const running = [...all].filter(([, s]) => num(s, 'state.state') !== VIR_DOMAIN_SHUTOFF);
      for (const name of this.xml.keys()) if (!all.has(name)) this.xml.delete(name);

      const refresh = this.o.xmlRefreshPolls ?? 10;
      if (poll % refresh === 0) this.unanswered.clear();
      const stale = running.map(([name]) => name).filter((name) => {
        const known = this.xml.get(name);
        return !known || poll - known.readAt >= refresh;
      });
      if (stale.length > 0) {
        const xmls = await session.run(stale.map((name) => `dumpxml '${name.replace(/'/g, "'\\''")}'`));
        commands += stale.length;
        for (let i = 0; i < stale.length; i++) {
          const [info] = xmls[i].trim() ? parseDomains(xmls[i]) : [];
          if (info) this.xml.set(stale[i], { info, readAt: poll });
        }
      }

      const polled: [DomainInfo, Map<string, string>][] = [];
      const fills: { fill: Fill; stats: Map<string, string> }[] = [];
      for (const [name, stats] of running) {
        const info = this.xml.get(name)?.info;
        if (!info?.nova) continue;
        polled.push([info, stats]);
        for (const fill of fillsFor(info, missingGroups(stats), this.unanswered)) fills.push({ fill, stats });
      }
      if (fills.length > 0) {
        const outputs = await session.run(fills.map((f) => f.fill.command));
        commands += fills.length;
        const answered = new Set<string>();
        for (let i = 0; i < fills.length; i++) {
          fills[i].fill.apply(outputs[i], fills[i].stats);
          if (outputs[i].trim() !== '') answered.add(fills[i].fill.kind);
        }
        for (const f of fills) if (!answered.has(f.fill.kind)) this.unanswered.add(f.fill.kind);
      }

      const host = this.o.host ?? hostname();
      const out: AgentSample[] = [];
      const ctx = { host, timestamp, wanted, previousBytes: this.previousBytes };
      for (const [info, stats] of polled) domainSamples(info, info.nova!, stats, ctx, out);
      this.lastReport = { domains: all.size, polled: polled.length, commands, errors: session.takeErrors() };
      return out;
    } finally {
      await session.close();
    }
  }

  async close(): Promise<void> {
    this.xml.clear();
  }
}
