import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionOffsets } from '../../../src/pipeline/consume/offset-tracker.js';

test('the commit point waits for the oldest unfinished record', () => {
  const t = new PartitionOffsets('t', 0, 10);
  const a = t.take(10, 1);
  const b = t.take(11, 2);
  const c = t.take(12, 1);
  assert.equal(t.committable(), null, 'nothing finished yet');
  t.release(c);
  assert.equal(t.committable(), null, 'a later record finishing does not move the point');
  t.release(a);
  assert.equal(t.committable(), 11);
  t.markCommitted(11);
  t.release(b);
  assert.equal(t.committable(), null, 'b still has one unit of work');
  t.release(b);
  assert.equal(t.committable(), 13, 'everything taken is done: commit the next offset to read');
});

test('records finished on the spot (filtered out) let the point pass, also across gaps', () => {
  const t = new PartitionOffsets('t', 0, 0);
  t.take(0, 0);
  t.take(5, 0);
  assert.equal(t.committable(), 6);
  t.markCommitted(6);
  const held = t.take(6, 1);
  t.take(7, 0);
  assert.equal(t.committable(), null);
  t.release(held);
  assert.equal(t.committable(), 8);
});

test('taking an offset twice or releasing too often is a bug, loudly', () => {
  const t = new PartitionOffsets('t', 0, 0);
  const e = t.take(0, 1);
  assert.throws(() => t.take(0, 1), /taken twice/);
  t.release(e);
  assert.throws(() => t.release(e), /released more often/);
});

test('a detached (revoked) partition never offers a commit', () => {
  const t = new PartitionOffsets('t', 0, 0);
  const e = t.take(0, 1);
  t.detach();
  t.release(e);
  assert.equal(t.committable(), null);
});

test('onDone fires once per record when its last unit finishes', () => {
  let done = 0;
  const t = new PartitionOffsets('t', 0, 0, () => done++);
  const e = t.take(0, 2);
  t.release(e);
  assert.equal(done, 0);
  t.release(e);
  assert.equal(done, 1);
});

test('many records: memory is compacted and the point stays right', () => {
  const t = new PartitionOffsets('t', 0, 0);
  const entries = Array.from({ length: 5000 }, (_, i) => t.take(i, 1));
  for (let i = 0; i < 4000; i++) t.release(entries[i]!);
  assert.equal(t.committable(), 4000);
  for (let i = 4000; i < 5000; i++) t.release(entries[i]!);
  assert.equal(t.committable(), 5000);
});
