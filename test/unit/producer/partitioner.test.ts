import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { memoizedDefaultPartitioner } from '../../../src/producer/partitioner.js';

function partitions(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
  }));
}

describe('memoizedDefaultPartitioner', () => {
  it('chooses what kafkajs DefaultPartitioner (murmur2) chooses, and not the legacy partitioner', () => {
    const memo = memoizedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const legacy = Partitioners.LegacyPartitioner();
    let differsFromLegacy = 0;
    for (const count of [1, 3, 12, 50]) {
      const partitionMetadata = partitions(count);
      for (let i = 0; i < 500; i++) {
        const message = { key: Buffer.from(`app-${i}`), value: null };
        const expected = reference({ topic: 't', partitionMetadata, message });
        // Twice: the second answer comes from the cache.
        assert.equal(memo({ topic: 't', partitionMetadata, message }), expected);
        assert.equal(memo({ topic: 't', partitionMetadata, message }), expected);
        if (legacy({ topic: 't', partitionMetadata, message }) !== expected) differsFromLegacy++;
      }
    }
    assert.ok(differsFromLegacy > 100, 'the two partitioners disagree often, so this test tells them apart');
  });

  it('recomputes when the partition count changes', () => {
    const memo = memoizedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const key = Buffer.from('app-42');
    const seen = new Set<number>();
    for (const count of [12, 7, 12, 5]) {
      const partitionMetadata = partitions(count);
      const got = memo({ topic: 't', partitionMetadata, message: { key, value: null } });
      assert.equal(got, reference({ topic: 't', partitionMetadata, message: { key, value: null } }));
      assert.ok(got < count);
      seen.add(got);
    }
    assert.ok(seen.size > 1);
  });

  it('leaves explicit partitions and string keys to the default partitioner', () => {
    const memo = memoizedDefaultPartitioner();
    const partitionMetadata = partitions(12);
    assert.equal(memo({ topic: 't', partitionMetadata, message: { key: Buffer.from('a'), value: null, partition: 7 } }), 7);
    const reference = Partitioners.DefaultPartitioner();
    assert.equal(
      memo({ topic: 't', partitionMetadata, message: { key: 'app-1', value: null } }),
      reference({ topic: 't', partitionMetadata, message: { key: 'app-1', value: null } }),
    );
  });
});
