import { promisify } from 'node:util';
import { constants, gzip, unzip } from 'node:zlib';
import kafkajs from 'kafkajs';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** How hand-off records (retry tiers, dead-letter topic) are compressed on the wire. */
export type HandoffCompression = 'gzip' | 'none';

export const HANDOFF_COMPRESSIONS: readonly HandoffCompression[] = ['gzip', 'none'];

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

let installed = false;

/**
 * Makes kafkajs' gzip codec compress at zlib level 1 instead of zlib's default 6.
 *
 * Why: a dead endpoint's events are all written to a retry tier (and read back), and
 * kafkajs computes the record batch's CRC-32C and copies its bytes in JavaScript on the
 * thread that sends. Compressed, those are done over a fraction of the bytes, and zlib runs
 * on libuv's thread pool; level 1 is several times faster than 6 for a slightly larger
 * output, which is the right trade for records written once and read once.
 *
 * kafkajs' codec registry is process-wide (it is the documented way to plug codecs in), so
 * this changes how every kafkajs producer in the process gzips; the output is ordinary
 * gzip that any Kafka client reads, and decompression is the same as kafkajs' own.
 */
export function useFastGzip(): void {
  if (installed) return;
  installed = true;
  const codec = {
    compress: (encoder: { buffer: Buffer }): Promise<Buffer> => gzipAsync(encoder.buffer, { level: constants.Z_BEST_SPEED }),
    decompress: (buffer: Buffer): Promise<Buffer> => unzipAsync(buffer),
  };
  CompressionCodecs[CompressionTypes.GZIP] = () => codec;
}

/** The kafkajs compression type for a hand-off setting (installing the fast gzip codec). */
export function compressionType(compression: HandoffCompression): kafkajs.CompressionTypes {
  if (compression === 'none') return CompressionTypes.None;
  useFastGzip();
  return CompressionTypes.GZIP;
}
