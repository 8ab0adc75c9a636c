import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { constants, gzip, unzip } from 'node:zlib';
import kafkajs from 'kafkajs';
import { errorMessage } from '../errors.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** What kafkajs asks of a codec: compress a record batch's records, decompress them. */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** How hand-off records (retry tiers, dead-letter topic) are compressed on the wire. */
export type HandoffCompression = 'lz4' | 'gzip' | 'none';

export const HANDOFF_COMPRESSIONS: readonly HandoffCompression[] = ['lz4', 'gzip', 'none'];

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

let installed = false;

/**
 * Makes kafkajs' gzip codec compress at zlib level 1 instead of zlib's default 6: several
 * times faster (603 vs 286 MB/s on the build machine) for a slightly larger output, the
 * right trade for records written once and read once.
 *
 * kafkajs' codec registry is process-wide (it is the documented way to plug codecs in), so
 * this changes how every kafkajs producer in the process gzips; the output is ordinary
 * gzip that any Kafka client reads, and decompression is the same as kafkajs' own.
 */
export function useFastGzip(): void {
  if (installed) return;
  installed = true;
  const codec: Codec = {
    compress: (encoder) => gzipAsync(encoder.buffer, { level: constants.Z_BEST_SPEED }),
    decompress: (buffer) => unzipAsync(buffer),
  };
  CompressionCodecs[CompressionTypes.GZIP] = () => codec;
}

/**
 * The kafkajs compression type for a hand-off setting, ready to use: its codec is
 * registered and, for LZ4, its native library loaded. Called on the first hand-off, not at
 * start-up, so a service that never hands off never loads the library (about 5 MB).
 *
 * Why compress at all: a dead endpoint's events are all written to a retry tier, and
 * kafkajs computes each record batch's CRC-32C and copies its bytes in JavaScript on the
 * sending thread; compressed, it does that over a fraction of the bytes, and the codec
 * runs off that thread (libuv's pool). LZ4 is the default because it is the cheapest of
 * the codecs every Kafka client reads: in the isolation benchmark the healthy endpoint
 * beside two dead ones delivered 60k-69k events/s with LZ4 against 50k-57k with gzip
 * level 1 (docs/benchmarks.md). When LZ4's library cannot load on this platform, gzip is
 * used instead and `fallback` says why.
 */
export function resolveCompression(compression: HandoffCompression): { type: kafkajs.CompressionTypes; fallback?: string } {
  if (compression === 'none') return { type: CompressionTypes.None };
  if (compression === 'lz4') {
    registerCodecs();
    try {
      (CompressionCodecs as Record<number, () => Codec>)[CompressionTypes.LZ4]!();
      return { type: CompressionTypes.LZ4 };
    } catch (err) {
      useFastGzip();
      return { type: CompressionTypes.GZIP, fallback: errorMessage(err) };
    }
  }
  useFastGzip();
  return { type: CompressionTypes.GZIP };
}

const require = createRequire(import.meta.url);

/**
 * A codec whose library is loaded the first time kafkajs meets (or writes) a batch of its
 * kind: a service that never sees one pays no memory for it, and a library that cannot
 * load on this platform fails that batch with a message that names it, not the start-up.
 */
function lazyCodec(name: string, load: () => Codec): () => Codec {
  let codec: Codec | undefined;
  return () => {
    if (codec) return codec;
    try {
      codec = load();
    } catch (err) {
      throw new Error(`${name} codec could not load (${errorMessage(err)}); publish uncompressed or gzip batches, or install it`);
    }
    return codec;
  };
}

let registered = false;

/**
 * Teaches kafkajs, which reads only gzip by itself, the other codecs Kafka producers use:
 * Snappy, LZ4 and ZSTD (Java clients and librdkafka, which Sockudo and most non-Node
 * socket servers publish with, offer all three). Without them a single batch of that kind
 * on the events topic stops the consumer. Called by `createKafka`, so every client in the
 * process reads them (and hookstream's own LZ4 hand-offs, `resolveCompression`).
 *
 * - Snappy: kafkajs-snappy (snappyjs), which also reads the xerial framing Java writes.
 * - LZ4: lz4-napi's LZ4 frame format, the one Kafka's record batches (v2) use.
 * - ZSTD: @mongodb-js/zstd.
 */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as Record<number, () => Codec>;
  codecs[CompressionTypes.Snappy] = lazyCodec('Snappy', () => (require('kafkajs-snappy') as () => Codec)());
  codecs[CompressionTypes.LZ4] = lazyCodec('LZ4', () => {
    const lz4 = require('lz4-napi') as typeof import('lz4-napi');
    return { compress: (encoder) => lz4.compressFrame(encoder.buffer), decompress: (buffer) => lz4.decompressFrame(buffer) };
  });
  codecs[CompressionTypes.ZSTD] = lazyCodec('ZSTD', () => {
    const zstd = require('@mongodb-js/zstd') as typeof import('@mongodb-js/zstd');
    return { compress: (encoder) => zstd.compress(encoder.buffer), decompress: (buffer) => zstd.decompress(buffer) };
  });
}
