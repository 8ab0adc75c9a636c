import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DecodeError } from '../../../src/errors.js';
import {
  EVENT_SCHEMA_FINGERPRINT_HEX,
  SchemaRegistry,
  SingleObjectCodec,
  createCodec,
  decodeEvent,
  defaultSchemasDir,
  encodeEvent,
  eventCodec,
  fingerprint64,
  fingerprintToHex,
  listVersions,
  parsingCanonicalForm,
  type AvroSchema,
  type AvroSchemaObject,
  type WebhookEvent,
} from '../../../src/contract/index.js';
import { sampleEvents, withoutNodeId } from './events.js';

function readSchema(relativePath: string): AvroSchemaObject {
  return JSON.parse(readFileSync(join(defaultSchemasDir(), relativePath), 'utf8')) as AvroSchemaObject;
}

/** A codec whose *writer* is the given schema, as a producer built with it would be. */
function writerCodec<T>(schema: AvroSchema): SingleObjectCodec<T> {
  return new SingleObjectCodec<T>(new SchemaRegistry('webhook-event', schema));
}

test('every schema in schemas/ keeps its current version as the latest file in versions/', () => {
  const dir = defaultSchemasDir();
  const names = readdirSync(dir).filter((f) => f.endsWith('.avsc')).map((f) => f.slice(0, -'.avsc'.length));
  assert.ok(names.includes('webhook-event'));
  for (const name of names) {
    const versions = listVersions(dir, name);
    const current = parsingCanonicalForm(JSON.parse(readFileSync(join(dir, `${name}.avsc`), 'utf8')) as AvroSchema);
    assert.ok(versions.length > 0, `${name}.avsc has no versions/${name}.v<N>.avsc: copy it to versions/${name}.v1.avsc`);
    const latest = versions[versions.length - 1]!;
    assert.equal(
      parsingCanonicalForm(JSON.parse(readFileSync(latest.path, 'utf8')) as AvroSchema),
      current,
      `${name}.avsc changed: copy it to versions/${name}.v${latest.version + 1}.avsc`,
    );
    assert.deepEqual(versions.map((v) => v.version), versions.map((_, i) => i + 1), `${name}: versions numbered 1..N`);
  }
});

test('the webhook-event registry knows v1 and v2 and reads v2 as itself', () => {
  const registry = SchemaRegistry.load('webhook-event');
  const v1 = fingerprintToHex(fingerprint64(parsingCanonicalForm(readSchema('versions/webhook-event.v1.avsc'))));
  assert.deepEqual(registry.versions().map((v) => v.fingerprintHex).sort(), [EVENT_SCHEMA_FINGERPRINT_HEX, v1].sort());
  assert.equal(registry.reader.fingerprintHex, EVENT_SCHEMA_FINGERPRINT_HEX);
  assert.equal(registry.get(EVENT_SCHEMA_FINGERPRINT_HEX)?.resolver, undefined);
  assert.equal(registry.get(v1)?.version, 1);
  assert.notEqual(registry.get(v1)?.resolver, undefined);
});

test('a record written with v1 (no node_id) reads as the current schema with node_id null', () => {
  const v1Schema = readSchema('versions/webhook-event.v1.avsc');
  assert.ok(!v1Schema.fields?.some((f) => f.name === 'node_id'));
  const v1Event = withoutNodeId(sampleEvents().client_event);
  const bytes = writerCodec<Omit<WebhookEvent, 'node_id'>>(v1Schema).encode(v1Event);
  assert.notEqual(bytes.toString('hex', 2, 10), EVENT_SCHEMA_FINGERPRINT_HEX);

  const decoded = decodeEvent(bytes);
  assert.deepStrictEqual(decoded, { ...v1Event, node_id: null });
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  // Its body is in v1's layout, so it must not be copied into a current-schema record.
  assert.equal(eventCodec().isCurrent(bytes), false);
  assert.equal(eventCodec().isCurrent(encodeEvent({ ...v1Event, node_id: null })), true);
  assert.equal(eventCodec().isCurrent(Buffer.from('c301', 'hex')), false, 'too short for a header');
});

test('a newer writer with an extra field is unknown until registered, then reads as the current schema', () => {
  const current = readSchema('webhook-event.avsc');
  const newer: AvroSchemaObject = {
    ...current,
    fields: [...(current.fields ?? []), { name: 'region', type: 'string', default: 'eu-west-1', doc: 'Added by a v3 producer.' }],
  };
  const event = sampleEvents().member_added;
  const bytes = writerCodec<WebhookEvent & { region: string }>(newer).encode({ ...event, region: 'ap-south-1' });

  const codec = createCodec<WebhookEvent>('webhook-event');
  assert.throws(
    () => codec.decode(bytes),
    (err: unknown) => err instanceof DecodeError && err.code === 'HS_DECODE_UNKNOWN_FINGERPRINT' && err.message.includes(bytes.toString('hex', 2, 10)),
  );
  const registered = codec.registry.register(JSON.stringify(newer));
  assert.equal(registered.fingerprintHex, bytes.toString('hex', 2, 10));
  assert.equal(codec.registry.register(newer), registered, 'registering twice returns the known version');

  assert.deepStrictEqual(codec.decode(bytes), event);
  // Registration is per registry: the default codec still does not know the newer writer.
  assert.throws(() => decodeEvent(bytes), { code: 'HS_DECODE_UNKNOWN_FINGERPRINT' });
});

test('a writer that the current schema cannot read is refused when registered', () => {
  const current = readSchema('webhook-event.avsc');
  const withoutId: AvroSchemaObject = { ...current, fields: (current.fields ?? []).filter((f) => f.name !== 'id') };
  const registry = SchemaRegistry.load('webhook-event');
  assert.throws(() => registry.register(withoutId), /cannot be read as the current webhook-event schema.*id/);
  assert.throws(() => registry.register('{not json'), /not JSON/);
  assert.equal(registry.versions().length, 2);
});

test('a generic codec over another schema file decodes nested records and arrays into plain objects', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hookstream-contract-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const event = readSchema('webhook-event.avsc');
  const delivery = (fields: AvroSchemaObject['fields']): AvroSchema => ({ type: 'record', name: 'Delivery', namespace: 'hookstream.test', fields });
  const v1 = delivery([
    { name: 'webhook_id', type: 'string' },
    { name: 'events', type: { type: 'array', items: event } },
  ]);
  const v2 = delivery([
    { name: 'webhook_id', type: 'string' },
    { name: 'events', type: { type: 'array', items: event } },
    { name: 'attempt', type: 'int', default: 0 },
  ]);
  mkdirSync(join(dir, 'versions'));
  writeFileSync(join(dir, 'test-delivery.avsc'), JSON.stringify(v2));
  writeFileSync(join(dir, 'versions', 'test-delivery.v1.avsc'), JSON.stringify(v1));
  writeFileSync(join(dir, 'versions', 'test-delivery.v2.avsc'), JSON.stringify(v2));

  type Delivery = { webhook_id: string; events: WebhookEvent[]; attempt: number };
  const codec = createCodec<Delivery>('test-delivery', { schemasDir: dir });
  const samples = sampleEvents();
  const value: Delivery = { webhook_id: 'wh_1', events: [samples.member_added, samples.client_event], attempt: 3 };
  const decoded = codec.decode(codec.encode(value));
  assert.deepStrictEqual(decoded, value);
  assert.equal(Object.getPrototypeOf(decoded.events[1]), Object.prototype);

  const old = new SingleObjectCodec<Omit<Delivery, 'attempt'>>(new SchemaRegistry('test-delivery', v1));
  assert.deepStrictEqual(codec.decode(old.encode({ webhook_id: 'wh_2', events: [] })), { webhook_id: 'wh_2', events: [], attempt: 0 });
  assert.throws(() => createCodec('../etc/passwd', { schemasDir: dir }), /kebab-case/);
});

test('the single-object bytes of the int 3 are those goavro documents for SingleFromNative', () => {
  // linkedin/goavro's example: [195 1 143 92 57 63 26 213 117 114 6], an independent implementation.
  const codec = new SingleObjectCodec<number>(new SchemaRegistry('int', 'int'));
  assert.deepStrictEqual([...codec.encode(3)], [195, 1, 143, 92, 57, 63, 26, 213, 117, 114, 6]);
  assert.equal(codec.decode(Buffer.from([195, 1, 143, 92, 57, 63, 26, 213, 117, 114, 6])), 3);
});
