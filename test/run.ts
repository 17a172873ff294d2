/**
 * `npm test`: makes the machine ready, then runs every test and sums up.
 *
 *  1. the local services the tests talk to (RabbitMQ, PostgreSQL) must answer;
 *  2. the Debian packages of test/lib/requirements.ts are installed when missing
 *     (as root; otherwise the run stops, naming them and the command), while
 *     TypeScript type-checks the project and `npm run build` builds it;
 *  3. the test files run with Node's runner, two at a time (files share no port,
 *     queue or database: each makes its own); the real Keystone that the first
 *     file needing it brings up serves the others, and is stopped at the end
 *     (TALLY_TEST_KEEP_SERVICES);
 *  4. the summary: one line per compatibility suite with its count, every
 *     skipped test with its reason, the failures, the slowest files.
 *
 * `npm test -- test/tsdb test/api/errors.test.ts` runs only those files or folders.
 * Environment: TALLY_TEST_SKIP_MISSING=1 installs nothing and skips (and lists)
 * the tests whose needs are missing; TALLY_TEST_CONCURRENCY (default 2) sets how
 * many files run at once.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { COMPAT_LINE, COMPAT_SUITES } from './lib/compat.js';
import { DEBIAN_PACKAGES, SKIP_MISSING_VARIABLE, installCommand, missingPackages, skipMissingAsked } from './lib/requirements.js';

const ROOT = resolve(import.meta.dirname, '..');
const INSTALL_LOG = '/tmp/tally-test-apt.log';
/** test/keystone/up.sh's port */
const KEYSTONE_PORT = 35357;

const started = Date.now();
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function testFiles(args: readonly string[]): string[] {
  const walk = (path: string): string[] =>
    statSync(path).isDirectory()
      ? readdirSync(path).flatMap((name) => (name === 'node_modules' ? [] : walk(join(path, name))))
      : path.endsWith('.test.ts')
        ? [path]
        : [];
  const roots = args.length > 0 ? args.map((a) => resolve(a)) : [join(ROOT, 'test')];
  for (const r of roots) if (!existsSync(r)) throw new Error(`no such test file or folder: ${r}`);
  return [...new Set(roots.flatMap(walk))].sort();
}

/** A child process's exit; its output goes to ours (or to `log`). */
function exec(command: string, args: readonly string[], opts: { quiet?: boolean } = {}): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!opts.quiet) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => done({ code: 127, output: String(err) }));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });
}

/** The local services every run needs; what is down stops the run at once, with the command that starts it. */
async function checkServices(): Promise<string[]> {
  const services = [
    { name: 'RabbitMQ', port: 5672, start: 'rabbitmq-server -detached' },
    { name: 'PostgreSQL', port: 5432, start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" },
  ];
  const down = await Promise.all(services.map(async (s) => ((await answers(s.port)) ? null : s)));
  return down.flatMap((s) => (s ? [`${s.name} does not answer on 127.0.0.1:${s.port}; start it with: ${s.start}`] : []));
}

/** Installs the missing packages as root; otherwise says which are missing and how to get them. */
async function ensurePackages(): Promise<string[]> {
  const missing = missingPackages(Object.keys(DEBIAN_PACKAGES));
  if (missing.length === 0) return [];
  if (skipMissingAsked()) {
    say(`packages: not installing ${missing.join(' ')} (${SKIP_MISSING_VARIABLE}): the tests that need them are skipped`);
    return [];
  }
  if (process.getuid?.() !== 0) {
    return [
      `Debian packages missing: ${missing.join(' ')}`,
      `  install them once with: ${installCommand(missing)}`,
      `  or run the tests as root (sudo npm test), which installs them; or set ${SKIP_MISSING_VARIABLE}=1 to skip the tests that need them`,
    ];
  }
  say(`packages: installing ${missing.length} Debian packages (${missing.join(' ')}); apt-get's output in ${INSTALL_LOG}`);
  const t0 = Date.now();
  const script = `. test/lib/install-packages.sh && install_packages ${INSTALL_LOG} ${missing.join(' ')}`;
  const { code } = await exec('bash', ['-c', script], { quiet: true });
  if (code !== 0) {
    const { output } = await exec('tail', ['-25', INSTALL_LOG], { quiet: true });
    return [`installing Debian packages failed (exit ${code}); the end of ${INSTALL_LOG}:`, output.trimEnd(), `  to install them by hand: ${installCommand(missing)}`];
  }
  const still = missingPackages(missing);
  if (still.length > 0) return [`apt-get succeeded but these are still not installed: ${still.join(' ')}`];
  say(`packages: installed in ${seconds(Date.now() - t0)}`);
  return [];
}

/** Type-checks everything (tests included), then builds what `tally` runs (the tests that start it run the build). */
async function typecheckAndBuild(): Promise<string[]> {
  const check = await exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', ROOT], { quiet: true });
  if (check.code !== 0) return ['type check failed (tsc --noEmit):', check.output.trimEnd()];
  const build = await exec('npm', ['run', 'build', '--silent'], { quiet: true });
  return build.code === 0 ? [] : ['npm run build failed:', build.output.trimEnd()];
}

/** Stops the Keystone a test brought up during the run (one that was up before is left alone). */
async function stopSharedKeystone(wasUp: boolean): Promise<void> {
  if (wasUp || !(await answers(KEYSTONE_PORT))) return;
  const { code, output } = await exec('bash', [join(ROOT, 'test/keystone/down.sh')], { quiet: true });
  if (code !== 0) say(`npm test: stopping Keystone failed: ${output.trim()}`);
}

interface Summary {
  compat: { suite: string; agreed: number; total: number; variant: string; file: string }[];
  /** skipped tests and suites (a skipped suite's tests are not reported at all) */
  skipped: { name: string; reason: string; file: string }[];
  failed: { name: string; file: string }[];
  passed: number;
  /** per file: the time of its top-level tests and suites */
  fileMs: Map<string, number>;
  /** files that reported a test */
  seen: Set<string>;
}

interface TestEvent {
  name: string;
  nesting: number;
  file?: string;
  skip?: string | boolean;
  todo?: string | boolean;
  message?: string;
  details?: { duration_ms?: number; type?: string };
}

/** Runs files with Node's runner; the spec reporter prints as usual while the summary is gathered. */
async function runFiles(files: readonly string[], concurrency: number, summary: Summary): Promise<void> {
  const stream = run({ files: [...files], concurrency });
  const rel = (file: string | undefined): string => (file ? relative(ROOT, file) : '?');
  stream.on('test:diagnostic', (e: TestEvent) => {
    const m = COMPAT_LINE.exec(e.message ?? '');
    if (m) summary.compat.push({ suite: m[1], agreed: Number(m[2]), total: Number(m[3]), variant: m[4] ?? '', file: rel(e.file) });
  });
  const finished = (e: TestEvent, failed: boolean): void => {
    const isSuite = e.details?.type === 'suite';
    if (e.skip !== undefined && e.skip !== false) summary.skipped.push({ name: e.name, reason: e.skip === true ? '' : e.skip, file: rel(e.file) });
    else if (failed) {
      // a suite fails through its tests (listed) or through a hook or its own code (listed as itself)
      if (!isSuite || !summary.failed.some((f) => f.file === rel(e.file))) summary.failed.push({ name: e.name, file: rel(e.file) });
    } else if (!isSuite) summary.passed++;
    if (e.file) summary.seen.add(e.file);
    if (e.nesting === 0 && e.file) summary.fileMs.set(e.file, (summary.fileMs.get(e.file) ?? 0) + (e.details?.duration_ms ?? 0));
  };
  stream.on('test:pass', (e: TestEvent) => finished(e, false));
  stream.on('test:fail', (e: TestEvent) => finished(e, true));
  await new Promise<void>((done, fail) => {
    const out = stream.compose(new spec());
    out.on('data', (chunk: string | Buffer) => process.stdout.write(chunk));
    out.on('end', done);
    out.on('error', fail);
  });
}

function printSummary(s: Summary, fileCount: number, ranAll: boolean): void {
  say('');
  say('compatibility suites (the same input to the original and to tally):');
  const reported = new Set(s.compat.map((c) => c.suite));
  for (const [suite, { title, unit }] of Object.entries(COMPAT_SUITES)) {
    const rows = s.compat.filter((c) => c.suite === suite);
    for (const c of rows) say(`  ${title.padEnd(56)} ${`${c.agreed}/${c.total}`.padStart(9)} ${unit}${c.variant ? ` (${c.variant})` : ''}`);
    if (rows.length === 0 && ranAll) say(`! ${title.padEnd(56)} ${'-'.padStart(9)} did not report (${suite})`);
  }
  for (const c of s.compat) if (!(c.suite in COMPAT_SUITES)) say(`? unknown suite ${c.suite} reported by ${c.file}`);
  if (!ranAll && reported.size === 0) say('  (none in the files run)');
  if (s.skipped.length > 0) {
    say('');
    say(`skipped (${s.skipped.length}):`);
    for (const k of s.skipped) say(`  ${k.file}: ${k.name}${k.reason ? ` — ${k.reason}` : ''}`);
  }
  if (s.failed.length > 0) {
    say('');
    say(`failed (${s.failed.length}):`);
    for (const f of s.failed) say(`  ${f.file}: ${f.name}`);
  }
  say('');
  say('slowest files:');
  for (const [file, ms] of [...s.fileMs].sort((a, b) => b[1] - a[1]).slice(0, 8)) say(`  ${seconds(ms).padStart(8)}  ${relative(ROOT, file)}`);
  say('');
  say(`${fileCount} files: ${s.passed} tests passed, ${s.failed.length} failed, ${s.skipped.length} skipped; ${seconds(Date.now() - started)} in all`);
}

async function main(): Promise<number> {
  const files = testFiles(process.argv.slice(2));
  const ranAll = process.argv.length <= 2;
  const down = await checkServices();
  if (down.length > 0) {
    for (const line of down) say(`npm test: ${line}`);
    return 1;
  }
  // apt-get waits on the network and dpkg, tsc on the CPU: side by side
  const problems = (await Promise.all([ensurePackages(), typecheckAndBuild()])).flat();
  if (problems.length > 0) {
    for (const line of problems) say(`npm test: ${line}`);
    return 1;
  }
  const concurrency = Math.max(1, Number(process.env.TALLY_TEST_CONCURRENCY ?? 2));
  say(`running ${files.length} test file${files.length === 1 ? "" : "s"}, ${concurrency} at a time`);
  const summary: Summary = { compat: [], skipped: [], failed: [], passed: 0, fileMs: new Map(), seen: new Set() };
  // the files run as children of this process: they must not take themselves for a test's subprocess
  delete process.env.NODE_TEST_CONTEXT;
  process.env.TALLY_TEST_KEEP_SERVICES = '1';
  const keystoneWasUp = await answers(KEYSTONE_PORT);
  try {
    await runFiles(files, concurrency, summary);
  } finally {
    await stopSharedKeystone(keystoneWasUp);
  }
  // a file that reports no test proves nothing: it fails
  for (const f of files) if (!summary.seen.has(f)) summary.failed.push({ name: 'ran no test', file: relative(ROOT, f) });
  printSummary(summary, files.length, ranAll);
  return summary.failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
