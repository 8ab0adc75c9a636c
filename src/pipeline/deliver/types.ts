import type { WebhookConfig } from '../../config/types.js';

/**
 * The part of a webhook's config a deliverer reads: where and how to send. Its routing
 * (event types, filter) stays behind, which keeps it plain data that can be posted to a
 * delivery thread (a compiled channel pattern cannot be).
 */
export type DeliveryWebhook = Pick<WebhookConfig, 'id' | 'target' | 'headers' | 'request_timeout_ms'>;

/** What a deliverer needs to send one batch to one webhook, once. */
export interface DeliveryRequest {
  /** Stable for this batch across all its attempts (header X-Hookstream-Delivery-Id). */
  deliveryId: string;
  /** 1 for the first try, counting up across retries (header X-Hookstream-Attempt). */
  attempt: number;
  app: { id: string; key: string; secret: string };
  webhook: DeliveryWebhook;
  /** The JSON text of each event object, in order (see `eventJson`). */
  eventsJson: readonly string[];
  /** True for operator-requested redelivery (header X-Hookstream-Replay: true). */
  replay?: boolean;
}

/** Why an attempt failed; the retry policy decides from this, never from message text. */
export type FailureKind =
  | 'http_status' // the receiver answered, but not 2xx (3xx included: redirects are not followed)
  | 'network' // connection refused, reset, DNS, TLS
  | 'timeout' // no complete answer within request_timeout_ms
  | 'invalid_target' // the target cannot be called at all (bad URL, unknown Lambda function)
  | 'function_error' // Lambda ran and returned FunctionError
  | 'lambda_error' // Lambda service error (throttled, service exception)
  | 'payload_too_large'; // Lambda refused the payload's size (over the Invoke quota); an HTTP 413 stays http_status

export type DeliveryOutcome =
  | { ok: true; statusCode: number; durationMs: number }
  | {
      ok: false;
      kind: FailureKind;
      /** HTTP status (or Lambda StatusCode / service HTTP status) when there was one. */
      statusCode?: number;
      /** From a Retry-After header (seconds or HTTP date), in ms from now. */
      retryAfterMs?: number;
      /** Short, secret-free description for logs and dead-letter records. */
      message: string;
      durationMs: number;
    };

export interface Deliverer {
  deliver(request: DeliveryRequest): Promise<DeliveryOutcome>;
  /** Lets running requests finish, then releases connections. Idempotent. */
  close(): Promise<void>;
  /** Aborts running requests (they fail and their events stay uncommitted). Idempotent. */
  destroy?(): Promise<void>;
}
