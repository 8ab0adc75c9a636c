import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import kafkajs from 'kafkajs';
import { resolveCompression } from '../../../src/kafka/compression.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const codec = (type: number): Codec => (CompressionCodecs as Record<number, () => Codec>)[type]!();

// Repetitive like a batch of events: the same field names and ids, changing numbers.
const sample = Buffer.from(Array.from({ length: 2000 }, (_, i) => `{"name":"client_event","channel":"private-room-${i % 7}","time_ms":${1_700_000_000_000 + i}}`).join(','));

test("'lz4' (the default) resolves to kafkajs' LZ4 with a working codec: LZ4 frames that round-trip", async () => {
  assert.deepEqual(resolveCompression('lz4'), { type: CompressionTypes.LZ4 });
  const out = await codec(CompressionTypes.LZ4).compress({ buffer: sample });
  assert.equal(out.readUInt32LE(0), 0x184d2204, 'starts with the LZ4 frame magic');
  assert.ok(out.length < sample.length / 4, `compressed ${sample.length} B to ${out.length} B`);
  assert.deepEqual(await codec(CompressionTypes.LZ4).decompress(out), sample);
});

test("'gzip' makes kafkajs gzip at zlib level 1, and the output is ordinary gzip", async () => {
  assert.deepEqual(resolveCompression('gzip'), { type: CompressionTypes.GZIP });
  const out = await codec(CompressionTypes.GZIP).compress({ buffer: sample });
  // Byte 8 of a gzip header (XFL) is 4 when the fastest level wrote it, 0 for zlib's default 6.
  assert.equal(out[8], 4, 'written at level 1');
  assert.equal(gzipSync(sample)[8], 0, 'the default level writes XFL 0, so the check above can tell');
  assert.ok(out.length < sample.length / 4, `compressed ${sample.length} B to ${out.length} B`);
  assert.deepEqual(gunzipSync(out), sample);
  assert.deepEqual(await codec(CompressionTypes.GZIP).decompress(gzipSync(sample)), sample, 'reads gzip of any level');
});

test("'none' sends record batches uncompressed", () => {
  assert.deepEqual(resolveCompression('none'), { type: CompressionTypes.None });
});

test("'lz4' falls back to gzip, saying why, where lz4-napi cannot load", (t) => {
  // A platform without lz4-napi's binary, played by a child process in which requiring it
  // throws (a preloaded module resolver); the rest of that process is untouched.
  const dir = mkdtempSync(join(tmpdir(), 'hookstream-nolz4-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const block = join(dir, 'block-lz4.cjs');
  writeFileSync(
    block,
    "const M = require('node:module'); const resolve = M._resolveFilename;\n" +
      "M._resolveFilename = function (request, ...rest) { if (request === 'lz4-napi') throw new Error('no binary for this platform'); return resolve.call(this, request, ...rest); };\n",
  );
  const compression = new URL('../../../src/kafka/compression.js', import.meta.url).href;
  const script = `import(${JSON.stringify(compression)}).then((m) => process.stdout.write(JSON.stringify(m.resolveCompression('lz4'))));`;
  const child = spawnSync(process.execPath, ['--require', block, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout) as { type: number; fallback?: string };
  assert.equal(result.type, CompressionTypes.GZIP);
  assert.match(result.fallback ?? '', /LZ4 codec could not load \(no binary for this platform\)/);
});
