import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { defer } from './kafka.js';

/** A writable that keeps what a CLI command prints, for commands that take their streams. */
export function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/**
 * A fresh directory under the system's temp dir, removed after the test (after the test's
 * later cleanups, such as killing a process that writes there). A failed test keeps it:
 * its failure messages name the logs in it.
 */
export async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  defer(t, async () => {
    // TestContext#passed (Node >= 20.12) is not in @types/node 20 yet.
    if ((t as { passed?: boolean }).passed === false) return;
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * Runs `node <args>` until it exits by itself, collecting its output. One that is still
 * running after `timeoutMs` is killed and reported with `code: null` (a test that expects
 * an exit then fails instead of waiting forever); one left running is killed after the test.
 * LOG_LEVEL is silent unless `env` says otherwise (a variable set to undefined is unset).
 */
export async function runToExit(
  t: TestContext,
  args: readonly string[],
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c ?? -1);
    });
  });
  return { code, stdout, stderr };
}
