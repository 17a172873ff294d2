/**
 * The Open vSwitch sampler: Ceilometer's switch port meters for every
 * interface of every bridge, from one OVSDB transaction per poll.
 */
import { type AgentSample, type Sampler, pythonUtcIso } from '../sample.js';
import { PORT_METERS } from './meters.js';
import { OvsdbClient } from './ovsdb-client.js';
import { switchPortMetadata, switchPortResourceId } from './resource.js';
import { OVSDB_DATABASE, SWITCH_PORTS_QUERY, readSwitchPorts } from './switch-ports.js';
import { DEFAULT_TARGET } from './target.js';

export interface OvsSamplerOptions {
  /** `unix:FILE` or `tcp:HOST[:PORT]`, as `ovs-vsctl --db=` takes it (default `unix:/var/run/openvswitch/db.sock`) */
  readonly target?: string;
  /** connection and answer timeout (default 5 s) */
  readonly timeoutMs?: number;
}

export class OvsSampler implements Sampler {
  readonly name = 'ovs';
  readonly meters: readonly string[] = PORT_METERS.map((m) => m.name);
  readonly client: OvsdbClient;

  constructor(options: OvsSamplerOptions = {}) {
    this.client = new OvsdbClient(options.target ?? DEFAULT_TARGET, { timeoutMs: options.timeoutMs });
  }

  async poll(wanted: ReadonlySet<string>): Promise<AgentSample[]> {
    const meters = PORT_METERS.filter((m) => wanted.has(m.name));
    if (meters.length === 0) return [];
    const results = await this.client.transact(OVSDB_DATABASE, ...SWITCH_PORTS_QUERY);
    // stamped when the counters arrive, the moment they describe
    const timestamp = pythonUtcIso(Date.now());
    const samples: AgentSample[] = [];
    for (const port of readSwitchPorts(results)) {
      const resource_id = switchPortResourceId(port);
      const resource_metadata = switchPortMetadata(port);
      for (const meter of meters) {
        // a counter the device does not keep is absent from statistics: no sample, as Ceilometer's drivers do
        const volume = meter.statistic === null ? 1 : port.statistics.get(meter.statistic);
        if (volume === undefined) continue;
        samples.push({
          name: meter.name,
          type: meter.type,
          unit: meter.unit,
          volume,
          user_id: null,
          project_id: null,
          resource_id,
          timestamp,
          resource_metadata,
        });
      }
    }
    return samples;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
