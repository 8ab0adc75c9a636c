import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  EVENT_SCHEMA_FINGERPRINT_HEX,
  defaultSchemasDir,
  fingerprint64,
  fingerprintToHex,
  fingerprintToLong,
  parsingCanonicalForm,
  type AvroSchema,
} from '../../../src/contract/index.js';

// From apache/avro share/test/data/schema-tests.txt: input schema text, its Parsing Canonical
// Form, and the CRC-64-AVRO fingerprint as Java's signed long (cross-checked there against a
// direct implementation of the algorithm).
const AVRO_VECTORS: { id: string; input: string; canonical: string; fingerprint: bigint }[] = [
  { id: '000', input: '"null"', canonical: '"null"', fingerprint: 7195948357588979594n },
  { id: '004', input: '"int"', canonical: '"int"', fingerprint: 8247732601305521295n },
  { id: '014', input: '"string"', canonical: '"string"', fingerprint: -8142146995180207161n },
  { id: '018', input: '[ "int" , {"type":"boolean"} ]', canonical: '["int","boolean"]', fingerprint: 5392556393470105090n },
  {
    id: '020',
    input: '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    canonical: '{"name":"x.y.foo","type":"record","fields":[]}',
    fingerprint: 5916914534497305771n,
  },
  {
    id: '021',
    input: '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    canonical: '{"name":"a.b.foo","type":"record","fields":[]}',
    fingerprint: -4616218487480524110n,
  },
  {
    id: '026',
    input:
      '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"},\n' +
      '            {"order":"descending","name":"f2","doc":"Hello","type":"int"}],\n' +
      '  "type":"record", "name":"foo"\n}',
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    fingerprint: -4860222112080293046n,
  },
  {
    id: '028',
    input: '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    fingerprint: -4448647247586288245n,
  },
  {
    id: '030',
    input: '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}',
    fingerprint: -3064184465700546786n,
  },
  {
    id: '031',
    input: '{ "items":{"type":"null"}, "type":"array"}',
    canonical: '{"type":"array","items":"null"}',
    fingerprint: -589620603366471059n,
  },
  {
    id: '032',
    input: '{ "values":"string", "type":"map"}',
    canonical: '{"type":"map","values":"string"}',
    fingerprint: -8732877298790414990n,
  },
  {
    id: '033',
    input: '{"name":"PigValue","type":"record",\n "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    canonical: '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: -1759257747318642341n,
  },
];

for (const vector of AVRO_VECTORS) {
  test(`Avro schema-tests.txt vector ${vector.id}: canonical form and CRC-64-AVRO`, () => {
    const canonical = parsingCanonicalForm(JSON.parse(vector.input) as AvroSchema);
    assert.equal(canonical, vector.canonical);
    assert.equal(fingerprintToLong(fingerprint64(canonical)), vector.fingerprint);
  });
}

// The spec's algorithm, word for word, in BigInt: slow, but obviously the spec.
function referenceFingerprint(bytes: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  const empty = 0xc15d213aa4d7a795n;
  const table: bigint[] = [];
  for (let i = 0n; i < 256n; i++) {
    let fp = i;
    for (let j = 0; j < 8; j++) {
      fp = (fp >> 1n) ^ (empty & (-(fp & 1n) & mask));
    }
    table.push(fp);
  }
  let fp = empty;
  for (const b of bytes) {
    fp = (fp >> 8n) ^ table[Number((fp ^ BigInt(b)) & 0xffn)]!;
  }
  return BigInt.asIntN(64, fp);
}

test('fingerprint64 agrees with a BigInt transcription of the spec on long and non-ASCII input', () => {
  const inputs = [
    '',
    readFileSync(join(defaultSchemasDir(), 'webhook-event.avsc'), 'utf8'),
    'présence-ünïcode-频道-🙂'.repeat(50),
  ];
  for (const input of inputs) {
    const bytes = Buffer.from(input, 'utf8');
    assert.equal(fingerprintToLong(fingerprint64(input)), referenceFingerprint(bytes), `input of ${bytes.length} bytes`);
    assert.deepEqual(fingerprint64(bytes), fingerprint64(input));
  }
});

test('the fingerprint of schemas/webhook-event.avsc is the documented constant', () => {
  const schema = JSON.parse(readFileSync(join(defaultSchemasDir(), 'webhook-event.avsc'), 'utf8')) as AvroSchema;
  const fingerprint = fingerprint64(parsingCanonicalForm(schema));
  assert.equal(fingerprintToHex(fingerprint), EVENT_SCHEMA_FINGERPRINT_HEX);
  // The same value as docs/contract.md gives it for Java's SchemaNormalization.
  assert.equal(fingerprintToLong(fingerprint), 1694214467497614136n);
});

test('fingerprintToHex and fingerprintToLong read the 8 bytes little-endian and refuse other lengths', () => {
  const fp = Buffer.from('0100000000000080', 'hex');
  assert.equal(fingerprintToHex(fp), '0100000000000080');
  assert.equal(fingerprintToLong(fp), -(2n ** 63n) + 1n);
  assert.throws(() => fingerprintToHex(Buffer.alloc(7)), RangeError);
});
