import type { RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { HookstreamError } from '../errors.js';
import type { KafkaConnection } from '../kafka/client.js';

export type BufferFullPolicy = 'reject' | 'wait';

export interface ProducerOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** The events topic (`kafka.topic` of the config); it must exist (`hookstream topics create`). */
  topic: string;
  /** This socket-server node; stamped as `node_id` on events that do not carry one. */
  nodeId: string;
  /** @defaultValue `'hookstream-producer'` */
  clientId?: string;
  /**
   * Bound on events accepted but not yet acknowledged by the broker (waiting plus in
   * flight), for memory when the broker is slow or away. See `onBufferFull` for what
   * happens beyond it.
   * @defaultValue 10000
   */
  maxBufferedEvents?: number;
  /**
   * How long the sender waits for more events after the first one arrives at an idle
   * producer, so that a burst goes out as one request. While a request is in flight,
   * events queue anyway and go out together as soon as it is acknowledged.
   * @defaultValue 5
   */
  lingerMs?: number;
  /**
   * Most events per produce request.
   * @defaultValue 1000
   */
  batchSize?: number;
  /**
   * Most key+value bytes per produce request (an event bigger than this goes alone). Below
   * the broker's default `message.max.bytes` (1 MiB) so no partition's batch is refused.
   * @defaultValue 921600 (900 KiB)
   */
  maxBatchBytes?: number;
  /**
   * What `publish` does when `maxBufferedEvents` events are unacknowledged:
   * - `'reject'`: rejects at once with `HS_PRODUCER_BUFFER_FULL` (`canRetry: true`); the
   *   event is not buffered. A hard memory bound, for callers that would rather drop or
   *   count than slow down.
   * - `'wait'`: accepts the event behind the others, in order; its promise settles only
   *   once the earlier events were sent and it was acknowledged in turn. Awaiting the
   *   promises (or keeping at most `maxBufferedEvents` of them pending, as
   *   `hookstream produce` does) slows the caller to the broker's pace. A caller that
   *   neither awaits nor caps its publishes is not slowed: its events are held, already
   *   validated and encoded, in memory.
   * @defaultValue `'wait'`
   */
  onBufferFull?: BufferFullPolicy;
  /**
   * Logger for the producer and for kafkajs.
   * @defaultValue a pino logger on stderr at `warn`
   */
  logger?: Logger;
  /**
   * kafkajs' retry policy for connecting and for each produce request. Events of a request
   * that still fails after it are rejected; this bounds how long that takes.
   * @defaultValue kafkajs' own: 5 retries from 300 ms, at most 30 s
   */
  retry?: RetryOptions;
  /**
   * TLS and SASL to the brokers, as kafkajs takes them (`ssl`: `true` or Node TLS options;
   * `sasl`: `{ mechanism, username, password }`, ...).
   * @defaultValue plain TCP, no authentication
   */
  connection?: KafkaConnection;
}

export interface ResolvedProducerOptions {
  brokers: string[];
  topic: string;
  nodeId: string;
  clientId: string;
  maxBufferedEvents: number;
  lingerMs: number;
  batchSize: number;
  maxBatchBytes: number;
  onBufferFull: BufferFullPolicy;
  logger: Logger | undefined;
  retry: RetryOptions | undefined;
  connection: KafkaConnection | undefined;
}

export const PRODUCER_DEFAULTS = {
  clientId: 'hookstream-producer',
  maxBufferedEvents: 10_000,
  lingerMs: 5,
  batchSize: 1000,
  maxBatchBytes: 900 * 1024,
  onBufferFull: 'wait',
} as const;

/** Checks options once, at creation, with messages naming the option. */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  const fail = (name: string, rule: string): never => {
    throw new HookstreamError('HS_USAGE', `createProducer: ${name} ${rule}`);
  };
  if (!Array.isArray(options.brokers) || options.brokers.length === 0 || options.brokers.some((b) => typeof b !== 'string' || b === '')) {
    fail('brokers', 'must be a non-empty array of "host:port" strings');
  }
  if (typeof options.topic !== 'string' || options.topic === '') fail('topic', 'must be a non-empty string');
  if (typeof options.nodeId !== 'string' || options.nodeId === '') fail('nodeId', 'must be a non-empty string');
  const positiveInt = (name: string, value: number | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) fail(name, `must be an integer >= ${min}, got ${value}`);
    return value;
  };
  const onBufferFull = options.onBufferFull ?? PRODUCER_DEFAULTS.onBufferFull;
  if (onBufferFull !== 'wait' && onBufferFull !== 'reject') fail('onBufferFull', `must be "wait" or "reject", got ${String(onBufferFull)}`);
  return {
    brokers: [...options.brokers],
    topic: options.topic,
    nodeId: options.nodeId,
    clientId: options.clientId ?? PRODUCER_DEFAULTS.clientId,
    maxBufferedEvents: positiveInt('maxBufferedEvents', options.maxBufferedEvents, PRODUCER_DEFAULTS.maxBufferedEvents, 1),
    lingerMs: positiveInt('lingerMs', options.lingerMs, PRODUCER_DEFAULTS.lingerMs, 0),
    batchSize: positiveInt('batchSize', options.batchSize, PRODUCER_DEFAULTS.batchSize, 1),
    maxBatchBytes: positiveInt('maxBatchBytes', options.maxBatchBytes, PRODUCER_DEFAULTS.maxBatchBytes, 1),
    onBufferFull,
    logger: options.logger,
    retry: options.retry,
    connection: options.connection,
  };
}
