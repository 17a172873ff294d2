/**
 * Child process for the crash test: ingests batches into the engine with a few
 * writes in flight, aggregates concurrently, and prints "ack <batch>" once each
 * batch's write is acknowledged. The parent kills it with SIGKILL at a random
 * moment. With `blocks`, each write carries 64 batches (an incoming block);
 * with `mirror`, a sink is registered, so every write is also logged for it.
 * Usage: crash-ingest-child.ts DIR FIRST_BATCH entries|blocks [mirror]
 */
import { makeArchivePolicy } from '../../tsdb/archive-policy.js';
import { Engine } from '../../tsdb/engine.js';
import { CRASH_METRICS, batchMeasures, crashPolicyInput } from './crash-workload.js';

const [dir, firstArg, mode, mirror] = process.argv.slice(2);
const PER_WRITE = mode === 'blocks' ? 64 : 1;
const engine = Engine.open({ path: dir });
const policy = makeArchivePolicy(crashPolicyInput);
for (let m = 0; m < CRASH_METRICS; m++) {
  if (!engine.hasMetric(`m${m}`)) await engine.createMetric(`m${m}`, policy);
}
if (mirror === 'mirror') await engine.mirror.register(['crash']);
process.stdout.write('ready\n');

let next = Number(firstArg);
async function writer(): Promise<never> {
  for (;;) {
    const first = next;
    next += PER_WRITE;
    const batches = Array.from({ length: PER_WRITE }, (_, i) => batchMeasures(first + i));
    await engine.addMeasures(batches);
    for (let i = 0; i < PER_WRITE; i++) process.stdout.write(`ack ${first + i}\n`);
  }
}
async function aggregator(): Promise<never> {
  for (;;) {
    engine.processPending(4);
    await new Promise((r) => setTimeout(r, 1));
  }
}
await Promise.all([writer(), writer(), writer(), writer(), aggregator()]);
