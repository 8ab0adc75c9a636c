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
