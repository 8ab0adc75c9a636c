import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settleAll } from '../../../src/kafka/client.js';

test('settleAll rejects with the first failure only once every request has settled', async () => {
  let slowDone = false;
  const slow = new Promise<number>((resolve) => setTimeout(() => {
    slowDone = true;
    resolve(1);
  }, 100));
  const failed = Promise.reject(new Error('first'));
  const later = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('second')), 50));
  // The caller disconnects its client when this rejects: a request still running then
  // would reconnect it (a CLI command that never exits).
  await assert.rejects(settleAll([slow, failed, later]), (err: Error) => {
    assert.equal(err.message, 'first');
    assert.ok(slowDone, 'rejected before the slow request settled');
    return true;
  });
  assert.deepEqual(await settleAll([Promise.resolve('a'), Promise.resolve(2)]), ['a', 2]);
});
