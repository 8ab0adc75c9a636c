// The public API of the event contract, also published as `hookstream/contract`.
export { KNOWN_EVENT_NAMES } from './types.js';
export type { KnownEventName, WebhookEvent, AvroSchema, AvroSchemaObject, AvroField } from './types.js';
export { EVENT_SCHEMA_FINGERPRINT_HEX, decodeEvent, encodeEvent, eventCodec } from './event-codec.js';
export { SINGLE_OBJECT_HEADER_LENGTH, SINGLE_OBJECT_MAGIC, SingleObjectCodec, createCodec } from './single-object-codec.js';
export { SchemaRegistry, defaultSchemasDir, listVersions } from './registry.js';
export type { AvroResolver, SchemaRegistryOptions, SchemaVersion } from './registry.js';
export { parsingCanonicalForm } from './canonical-form.js';
export { fingerprint64, fingerprintToHex, fingerprintToLong } from './fingerprint.js';
