import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextRespawn, RESPAWN_POLICY, Respawner } from '../../../src/thread-respawn.js';

test('a thread that dies at once on every start is replaced at once, then after 100 ms doubling up to 10 s', () => {
  let streak = 0;
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    const next = nextRespawn(streak, 5);
    streak = next.streak;
    delays.push(next.delayMs);
  }
  assert.deepEqual(delays, [0, 100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000]);
  assert.equal(nextRespawn(1_000_000, 5).delayMs, 10_000, 'a very long streak stays capped');
});

test('a handful of starts per second at most, and fewer after that', () => {
  // Starts of a thread that dies the moment it starts, over time.
  let streak = 0;
  let at = 0;
  const starts = [0];
  for (let i = 0; i < 100 && at < 10_000; i++) {
    const next = nextRespawn(streak, 0);
    streak = next.streak;
    at += next.delayMs;
    starts.push(at);
  }
  const inFirstSecond = starts.filter((t) => t < 1_000).length;
  assert.ok(inFirstSecond <= 5, `${inFirstSecond} starts in the first second`);
  assert.ok(starts.filter((t) => t >= 5_000 && t < 10_000).length <= 1, 'about one start per 5-10 s later on');
});

test('a thread that stayed up for stableMs starts a new streak: replaced at once, and the next delay starts over at 100 ms', () => {
  const long = nextRespawn(9, RESPAWN_POLICY.stableMs);
  assert.deepEqual(long, { streak: 1, delayMs: 0 });
  assert.deepEqual(nextRespawn(long.streak, 50), { streak: 2, delayMs: 100 });
  // Just short of stableMs is still a thread that keeps dying.
  assert.deepEqual(nextRespawn(3, RESPAWN_POLICY.stableMs - 1), { streak: 4, delayMs: 400 });
});

test('nextRespawn follows the policy it is given', () => {
  const policy = { initialMs: 5, maxMs: 12, stableMs: 1_000 };
  const delays = [0, 1, 2, 3].map((streak) => nextRespawn(streak, 0, policy).delayMs);
  assert.deepEqual(delays, [0, 5, 10, 12]);
});

test('Respawner starts at once when no delay is due, later otherwise, and cancel() drops a waiting start', async () => {
  const respawner = new Respawner({ initialMs: 30, maxMs: 1_000, stableMs: 10_000 });
  const started: string[] = [];
  assert.equal(respawner.schedule(1, () => started.push('first')), 0);
  assert.deepEqual(started, ['first'], 'in the same call');
  assert.equal(respawner.schedule(1, () => started.push('second')), 30);
  assert.equal(respawner.waiting, true);
  assert.deepEqual(started, ['first']);
  await sleep(60);
  assert.deepEqual(started, ['first', 'second']);
  assert.equal(respawner.waiting, false);
  assert.equal(respawner.schedule(1, () => started.push('third')), 60);
  respawner.cancel();
  respawner.cancel();
  await sleep(100);
  assert.deepEqual(started, ['first', 'second'], 'cancelled');
});
