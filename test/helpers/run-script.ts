/** Runs a bash script asynchronously: resolves with its stdout, hands each stderr line to `log`, rejects on a non-zero exit with stderr's tail. */
import { spawn } from 'node:child_process';

export function runScript(script: string, env: NodeJS.ProcessEnv = {}, log: (line: string) => void = () => undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
      else reject(Object.assign(new Error(`${script} exited with ${code}:\n${err.slice(-3000)}`), { exitCode: code }));
    });
  });
}
