import { createCodec, type SingleObjectCodec } from '../../contract/index.js';
import type { WebhookEvent } from '../../contract/types.js';

/** A record of a retry tier or the dead-letter topic (`schemas/webhook-delivery.avsc`). */
export interface WebhookDeliveryRecord {
  delivery_id: string;
  app_id: string;
  webhook_id: string;
  attempt: number;
  tier: number;
  not_before_ms: number;
  events: WebhookEvent[];
  first_failure_ms: number;
  last_error: string;
  replay: boolean;
}

let codec: SingleObjectCodec<WebhookDeliveryRecord> | undefined;

export function deliveryCodec(): SingleObjectCodec<WebhookDeliveryRecord> {
  return (codec ??= createCodec<WebhookDeliveryRecord>('webhook-delivery'));
}

/** Header names of dead-letter records; values are UTF-8 strings. */
export const DLQ_HEADERS = {
  kind: 'hookstream-kind', // 'delivery' (value is a WebhookDelivery) or 'event' (value is the original record's bytes)
  originalTopic: 'hookstream-original-topic',
  originalPartition: 'hookstream-original-partition',
  originalOffset: 'hookstream-original-offset',
  reason: 'hookstream-reason',
  error: 'hookstream-error',
  attempts: 'hookstream-attempts',
  failedAt: 'hookstream-failed-at',
  appId: 'hookstream-app-id',
  webhookId: 'hookstream-webhook-id',
} as const;
