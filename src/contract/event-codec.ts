import { createCodec, type SingleObjectCodec } from './single-object-codec.js';
import type { WebhookEvent } from './types.js';

/**
 * Fingerprint of `schemas/webhook-event.avsc` (CRC-64-AVRO of its Parsing Canonical Form), as
 * the 8 bytes after `C3 01` on the wire. A unit test recomputes it, so changing the schema
 * without updating this constant and docs/contract.md fails the build.
 */
export const EVENT_SCHEMA_FINGERPRINT_HEX = '38db85f4140f8317';

let defaultCodec: SingleObjectCodec<WebhookEvent> | undefined;

/** The process-wide codec for `webhook-event`, loaded from `schemas/` on first use. */
export function eventCodec(): SingleObjectCodec<WebhookEvent> {
  return (defaultCodec ??= createCodec<WebhookEvent>('webhook-event'));
}

/** A WebhookEvent as the value of an events-topic record (single object, current schema). */
export function encodeEvent(event: WebhookEvent): Buffer {
  return eventCodec().encode(event);
}

/** The value of an events-topic record, written with any known schema version, as a WebhookEvent. */
export function decodeEvent(buf: Buffer): WebhookEvent {
  return eventCodec().decode(buf);
}
