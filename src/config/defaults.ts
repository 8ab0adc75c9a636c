/** Every default of the configuration, in one place; README's config reference mirrors it. */
export const DEFAULTS = {
  kafka: {
    brokers: ['127.0.0.1:9092'],
    client_id: 'hookstream',
    group_id: 'hookstream',
    topic: 'hookstream.events',
    partitions: 12,
    replication_factor: 1,
    handoff_compression: 'lz4' as const,
  },
  retry: { delays_ms: [1000, 2000, 4000, 8000, 16000] },
  metrics: { enabled: true, host: '0.0.0.0', port: 9601 },
  batching: { enabled: true, duration: 50, size: 100 },
  delivery: {
    request_timeout_ms: 10_000,
    max_body_bytes: 256 * 1024,
    concurrency_per_endpoint: 8,
    max_in_flight_events: 10_000,
    max_queued_per_endpoint: 5_000,
    shutdown_grace_ms: 15_000,
    worker_threads: 0,
    max_connections_per_origin: 0,
    circuit_breaker: { failures: 5, cooldown_ms: 30_000 },
  },
  lambda: { region: 'us-east-1', invocation_type: 'Event' as const },
} as const;

/**
 * Top-level keys of Sockudo's config.json that hookstream does not use. They are accepted
 * with a warning so that an existing Sockudo config file loads unchanged.
 */
export const SOCKUDO_TOP_LEVEL_KEYS = new Set([
  'adapter', 'activity_timeout', 'cache', 'channel_limits', 'cleanup', 'cluster', 'cors',
  'database', 'database_pooling', 'debug', 'delta_compression', 'event_limits', 'host',
  'http_api', 'instance', 'logging', 'mode', 'path_prefix', 'port', 'presence', 'queue',
  'rate_limiter', 'shutdown_grace_period', 'ssl', 'tag_filtering', 'unix_socket',
  'user_authentication_timeout', 'websocket_max_payload_kb', 'cache_ttl', 'history',
  'app_manager_cache', 'webhook_batching',
]);

/** Per-app keys of Sockudo that concern the socket server, not webhook delivery. */
export const SOCKUDO_APP_KEYS = new Set([
  'enabled', 'max_connections', 'enable_client_messages', 'max_backend_events_per_second',
  'max_client_events_per_second', 'max_read_requests_per_second',
  'max_presence_members_per_channel', 'max_presence_member_size_in_kb',
  'max_channel_name_length', 'max_event_channels_at_once', 'max_event_name_length',
  'max_event_payload_in_kb', 'max_event_batch_size', 'enable_user_authentication',
  'allowed_origins', 'enable_watchlist_events', 'channel_delta_compression', 'name',
]);
