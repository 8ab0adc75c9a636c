import type { AppConfig, WebhookConfig } from '../../config/types.js';
import type { WebhookEvent } from '../../contract/types.js';
import type { OffsetEntry, PartitionOffsets } from '../consume/offset-tracker.js';

/** One event on its way to one webhook, with the Kafka record that holds it. */
export interface BatchItem {
  event: WebhookEvent;
  /**
   * The event's record as read from the events topic (Avro single object), when written
   * with the current schema: a hand-off copies its body instead of encoding the event again.
   */
  record?: Buffer | undefined;
  /** The event object's JSON text, as receivers get it. */
  json: string;
  /** The event's own time_ms, for the event-to-delivery latency metric. */
  timeMs: number;
  /** Byte length of `json` (UTF-8). */
  bytes: number;
  /**
   * The source record; released once this item is delivered or handed off. `events` is
   * what the record counts for in the in-flight budget once all of its items are done: 1
   * for an event record (however many webhooks it goes to), its event count for a retry
   * record. @defaultValue 1
   */
  source?: { tracker: PartitionOffsets; entry: OffsetEntry; events?: number };
}

/** A sealed batch: the unit of delivery, retry and dead-lettering. */
export interface Batch {
  deliveryId: string;
  app: AppConfig;
  webhook: WebhookConfig;
  items: BatchItem[];
  /** Attempts made so far (0 for a fresh batch). */
  attempts: number;
  /** -1 for a fresh batch, else the retry tier it came from. */
  tier: number;
  /** Index of the retry tier this batch was read from (absent for a fresh batch). */
  sourceTier?: number;
  firstFailureMs?: number;
  lastError?: string;
  replay?: boolean;
}
