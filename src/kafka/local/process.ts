import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function pidFilePath(dir: string): string {
  return join(dir, 'kafka.pid');
}

export function readPidFile(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFilePath(dir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(dir: string, pid: number): void {
  writeFileSync(pidFilePath(dir), `${pid}\n`);
}

export function removePidFile(dir: string): void {
  rmSync(pidFilePath(dir), { force: true });
}

function commandLineOf(pid: number): string | undefined {
  try {
    // NUL-separated; empty for a zombie, which is as good as gone.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    if (process.platform === 'linux') return undefined;
  }
  const ps = spawnSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
  return ps.status === 0 ? ps.stdout.trim() : undefined;
}

/**
 * Whether `pid` is the broker started from `propertiesPath`. Pid files outlive reboots and
 * pids get reused, so the command line is checked before anything is signalled.
 */
export function isBrokerProcess(pid: number, propertiesPath: string): boolean {
  const command = commandLineOf(pid);
  return command !== undefined && command.includes('kafka.Kafka') && command.includes(propertiesPath);
}

export async function waitForExit(pid: number, propertiesPath: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isBrokerProcess(pid, propertiesPath)) {
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
  return true;
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS considers free now; the caller binds it soon after, so races are unlikely but possible. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
