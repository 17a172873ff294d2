/** `tally agent` as the tests start it: on libvirt's test driver (test/agents/libvirt/node.xml), loopback /metrics on a free port, quiet. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentOptions, type RunningAgent, startAgent } from '../../agents/agent.js';
import { CeilometerExposition } from '../../agents/exposition/exposition.js';
import { LibvirtSampler } from '../../agents/libvirt/sampler.js';
import type { AgentSample } from '../../agents/sample.js';

export const TEST_DRIVER_URI = `test://${fileURLToPath(new URL('../agents/libvirt/node.xml', import.meta.url))}`;

export function startTestAgent(dir: string, options: Partial<AgentOptions> & Pick<AgentOptions, 'polling'>): Promise<RunningAgent> {
  return startAgent({
    libvirtUri: { value: TEST_DRIVER_URI, explicit: true },
    ovsdb: null,
    cephConf: null,
    amqpUrl: null,
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    spoolDir: join(dir, 'spool'),
    novaHost: 'compute-1',
    exposition: new CeilometerExposition({ exporterNames: false }),
    log: () => undefined,
    ...options,
  });
}

/** A libvirt sampler on the test driver that keeps what each of its polls gave (what the store or the bus must end up with). */
export function watchedLibvirtSampler(): { sampler: LibvirtSampler; polls: AgentSample[][] } {
  const sampler = new LibvirtSampler({ uri: TEST_DRIVER_URI, host: 'compute-1' });
  const polls: AgentSample[][] = [];
  const poll = sampler.poll.bind(sampler);
  sampler.poll = async (wanted) => {
    const samples = await poll(wanted);
    polls.push(samples);
    return samples;
  };
  return { sampler, polls };
}
