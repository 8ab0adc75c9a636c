import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detached } from '../../../src/kafka/threaded-sender.js';

test('a slice of a large buffer (a record of a fetch response) is posted as an exact-size copy, never with its whole buffer', () => {
  const fetch = Buffer.alloc(2 * 1024 * 1024, 7);
  const record = fetch.subarray(1000, 1300);
  for (const owned of [false, true]) {
    const transfer: ArrayBuffer[] = [];
    const out = detached(record, owned, transfer);
    assert.equal(out.buffer.byteLength, 300, 'what is posted spans 300 bytes, not the 2 MiB it was sliced from');
    assert.deepEqual(transfer, [out.buffer]);
    assert.notEqual(out.buffer, fetch.buffer, 'the fetch buffer itself is never transferred (that would detach it)');
    assert.ok(Buffer.from(out).equals(record));
  }
});

test('an owned buffer that spans its ArrayBuffer is transferred as it is; a not-owned one is copied', () => {
  const own = Buffer.alloc(64); // alloc never slices the shared pool: a whole ArrayBuffer
  const transfer: ArrayBuffer[] = [];
  assert.equal(detached(own, true, transfer), own);
  assert.deepEqual(transfer, [own.buffer]);

  const shared = Buffer.alloc(3);
  shared.set([1, 2, 3]);
  const t2: ArrayBuffer[] = [];
  const copy = detached(shared, false, t2);
  assert.notEqual(copy.buffer, shared.buffer, 'the caller keeps its buffer');
  assert.deepEqual([...copy], [1, 2, 3]);
});
