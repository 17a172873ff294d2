#!/usr/bin/env node
// The `tally` command. Sources are TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
try {
  await main(process.argv);
} catch (err) {
  // a start that failed has closed what it opened; exit even if a library left a timer behind
  process.stderr.write(`tally: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
