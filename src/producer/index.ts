/**
 * `hookstream/producer`: the library socket servers use to publish their webhook events to
 * the events topic. See `createProducer`.
 */
export { createProducer, type Producer } from './producer.js';
export { PRODUCER_DEFAULTS, type BufferFullPolicy, type ProducerOptions } from './options.js';
export { validateEvent, type EventDefaults, type PublishEvent } from './validate.js';
export { EventValidationError, HookstreamError } from '../errors.js';
export type { WebhookEvent } from '../contract/types.js';
export type { KafkaConnection } from '../kafka/client.js';
