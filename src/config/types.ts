import type { ChannelPattern } from './channel-pattern.js';
import type { HandoffCompression } from '../kafka/compression.js';
/**
 * The validated, defaulted configuration. The file is Sockudo's `config.json` shape
 * (`app_manager.array.apps`, `webhooks.batching`) plus hookstream's own sections; see
 * `load.ts` for the rules and README for every key with its default.
 */

export type ChannelType = 'public' | 'private' | 'presence' | 'private-encrypted';

export interface WebhookFilter {
  channel_type?: ChannelType;
  channel_prefix?: string;
  channel_suffix?: string;
  /** Unanchored regular expression in RE2 (Rust regex) syntax, compiled at load. */
  channel_pattern?: ChannelPattern;
  channel_namespace?: string;
  channel_namespaces?: string[];
}

export interface LambdaTarget {
  kind: 'lambda';
  function_name: string;
  region: string;
  invocation_type: 'Event' | 'RequestResponse';
  qualifier?: string;
}

export interface HttpTarget {
  kind: 'http';
  url: string;
}

export type WebhookTarget = HttpTarget | LambdaTarget;

export interface WebhookConfig {
  /** Stable id: the config's `id`, else derived from the target (see `webhookId`). */
  id: string;
  target: WebhookTarget;
  /** Event names this webhook receives. */
  event_types: ReadonlySet<string>;
  filter: WebhookFilter;
  /** Extra request headers; values are secrets as far as logs are concerned. */
  headers: Readonly<Record<string, string>>;
  request_timeout_ms: number;
}

export interface AppConfig {
  id: string;
  key: string;
  secret: string;
  webhooks: WebhookConfig[];
}

export interface KafkaConfig {
  brokers: string[];
  client_id: string;
  group_id: string;
  topic: string;
  partitions: number;
  replication_factor: number;
  /** Compression of the records hookstream writes to the retry tiers and the dead-letter topic. */
  handoff_compression: HandoffCompression;
  /** TLS to the brokers; absent: plain TCP. */
  ssl?: KafkaTlsConfig;
  /** SASL authentication with the brokers; absent: none. */
  sasl?: KafkaSaslConfig;
}

/** `kafka.ssl`: `true` is `{}` (the system's trusted CAs, certificates verified). */
export interface KafkaTlsConfig {
  /** PEM file of the CA(s) that signed the brokers' certificates, instead of the system's. */
  ca_file?: string;
  /** PEM client certificate and its key, for brokers that require TLS client authentication. */
  cert_file?: string;
  key_file?: string;
  /** false accepts any broker certificate: for tests only, it allows a man in the middle. */
  reject_unauthorized: boolean;
}

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** `kafka.sasl`, each field also from `KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`. */
export interface KafkaSaslConfig {
  mechanism: SaslMechanism;
  username: string;
  /** A secret: never logged, never printed by `config check`. */
  password: string;
}

export interface BatchingConfig {
  enabled: boolean;
  /** Window length in ms after the window's first event. */
  duration: number;
  /** Max events per batch. */
  size: number;
}

export interface CircuitBreakerConfig {
  failures: number;
  cooldown_ms: number;
}

export interface DeliveryConfig {
  request_timeout_ms: number;
  max_body_bytes: number;
  concurrency_per_endpoint: number;
  max_in_flight_events: number;
  /** Events one webhook may have waiting; beyond it, new batches are deferred to a retry tier. */
  max_queued_per_endpoint: number;
  shutdown_grace_ms: number;
  /**
   * Threads that build, sign and send requests (HTTP and Lambda), beside the thread that
   * consumes, routes and batches; with any, hand-offs to retry tiers and the dead-letter
   * topic are produced from a thread of their own as well. 0 does everything on one thread.
   */
  worker_threads: number;
  /**
   * Cap on HTTP sockets per origin (scheme + host + port), shared by every webhook there;
   * 0 for none. Requests past it wait for a socket, and the wait counts against their
   * `request_timeout_ms`.
   */
  max_connections_per_origin: number;
  circuit_breaker: CircuitBreakerConfig;
}

export interface HookstreamConfig {
  kafka: KafkaConfig;
  retry: { delays_ms: number[] };
  metrics: { enabled: boolean; host: string; port: number };
  webhooks: { batching: BatchingConfig };
  delivery: DeliveryConfig;
  apps: AppConfig[];
}
