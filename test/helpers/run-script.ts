/** Runs scripts and commands asynchronously: stdout resolved, each stderr line handed to `log`, a non-zero exit rejected with stderr's tail. */
import { spawn } from 'node:child_process';

export function runScript(script: string, env: NodeJS.ProcessEnv = {}, log: (line: string) => void = () => undefined): Promise<string> {
  return runCommand('bash', [script], env, log);
}

/** Runs a command: resolves with its stdout, hands each stderr line to `log`, rejects on a non-zero exit with stderr's tail. */
export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, log: (line: string) => void = () => undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      for (const line of s.split('\n')) if (line) log(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(Object.assign(new Error(`${[command, ...args].join(' ')} exited with ${code}:\n${err.slice(-3000)}`), { exitCode: code }));
    });
  });
}

/**
 * Runs an up.sh that prints the service's loopback URL as its last line;
 * resolves with that URL and a stop() that runs down.sh (once) with the same
 * environment.
 */
export async function startScriptedService(up: string, down: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const out = await runScript(up, env, log);
  const url = out.trim().split('\n').pop() ?? '';
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`up.sh printed no URL: ${JSON.stringify(out)}`);
  let stopping: Promise<void> | null = null;
  return { url, stop: () => (stopping ??= runScript(down, env, log).then(() => undefined)) };
}
