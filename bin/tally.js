#!/usr/bin/env node
// The `tally` command. It runs the JavaScript that `npm run build` (part of
// `npm ci`) compiles into dist/. Without a build, or with sources changed
// since, it runs the TypeScript sources through tsx: the same program, in a
// heavier process (tsx adds a loader thread to every thread).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time among the sources the build compiles. */
function newestSource() {
  const { include } = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of include) if (existsSync(join(root, dir))) walk(join(root, dir));
  return newest;
}

const built = join(root, 'dist', 'cli', 'main.js');
let main;
if (existsSync(built) && statSync(built).mtimeMs >= newestSource()) {
  ({ main } = await import(pathToFileURL(built).href));
} else {
  process.stderr.write('tally: running the TypeScript sources (not built, or changed since `npm run build`)\n');
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
try {
  await main(process.argv);
} catch (err) {
  // a start that failed has closed what it opened; exit even if a library left a timer behind
  process.stderr.write(`tally: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
