/**
 * The shared check of a worker thread that dies on every start (the delivery thread and
 * the hand-off thread): work offered meanwhile fails at once, the thread is restarted a
 * handful of times a second (not in a tight loop), and close() cancels a pending restart.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export async function assertRespawnBackoff(
  t: TestContext,
  thread: {
    /** Offers one piece of work; resolves with whether it failed as the dead thread should. */
    attempt: () => Promise<boolean>;
    /** Thread exits logged so far. */
    exits: () => number;
    close: () => Promise<void>;
  },
): Promise<void> {
  await sleep(300);
  // Whether it meets a thread about to die or a restart not yet due, the work fails as
  // soon as that is known (to be tried again), never waits out a restart delay.
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    assert.ok(await thread.attempt(), 'the work failed as a dead thread\'s should');
    const took = performance.now() - started;
    assert.ok(took < 1_000, `failed after ${took} ms`);
  }
  await sleep(1_200);
  const inOneAndAHalfSeconds = thread.exits();
  t.diagnostic(`${inOneAndAHalfSeconds} thread exits in 1.5 s`);
  assert.ok(inOneAndAHalfSeconds >= 2, 'the thread is restarted');
  assert.ok(inOneAndAHalfSeconds <= 6, `${inOneAndAHalfSeconds} thread exits in 1.5 s`);

  // close() does not wait for a pending restart, and cancels it.
  const closing = performance.now();
  await thread.close().catch(() => undefined);
  assert.ok(performance.now() - closing < 1_000, 'close() is prompt');
  const afterClose = thread.exits();
  await sleep(1_700);
  assert.equal(thread.exits(), afterClose, 'no thread started after close()');
}
