import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/**
 * kafkajs' DefaultPartitioner (murmur2 of the key modulo the partition count, the same as
 * the Java client's, so every producer of an app lands on the same partition), NOT the
 * LegacyPartitioner, which hashes differently. For a keyed message that result depends
 * only on the key and the partition count, so it is memoized per key Buffer: the producer
 * reuses one key Buffer per app id, and hashing every message showed up in profiles.
 */
export const memoizedDefaultPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const cache = new WeakMap<Buffer, { count: number; partition: number }>();
  return (args) => {
    const { key, partition: explicit } = args.message;
    if (!Buffer.isBuffer(key) || (explicit !== undefined && explicit !== null)) return partitioner(args);
    const count = args.partitionMetadata.length;
    const hit = cache.get(key);
    if (hit !== undefined && hit.count === count) return hit.partition;
    const partition = partitioner(args);
    cache.set(key, { count, partition });
    return partition;
  };
};
