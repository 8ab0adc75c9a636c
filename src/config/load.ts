import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, HookstreamError, errorMessage } from '../errors.js';
import { DEFAULTS, SOCKUDO_APP_KEYS, SOCKUDO_TOP_LEVEL_KEYS } from './defaults.js';
import { HANDOFF_COMPRESSIONS } from '../kafka/compression.js';
import { compileChannelPattern } from './channel-pattern.js';
import { SASL_MECHANISMS } from './types.js';
import type {
  AppConfig,
  ChannelType,
  HookstreamConfig,
  KafkaSaslConfig,
  KafkaTlsConfig,
  WebhookConfig,
  WebhookFilter,
  WebhookTarget,
} from './types.js';

/**
 * Validation walks the raw JSON once, with the JSON path of every value at hand, so each
 * error says where and which rule (`$.app_manager.array.apps[2].webhooks[0].url: must be
 * an http(s) URL`). It stops at the first error: one clear message beats a wall of them.
 */

type Json = unknown;
type Obj = Record<string, Json>;

export interface LoadOptions {
  /** Path of the config file; else `HOOKSTREAM_CONFIG`. */
  path?: string;
  /** Environment to read overrides from. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Called once per warning (keys accepted but unused, derived ids that collide). */
  onWarning?: (message: string) => void;
}

/** KAFKA_BROKERS as a list, when set and not blank: it overrides kafka.brokers. */
export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  return list.length > 0 ? list : undefined;
}

/** Reads, validates and defaults the config file. Throws ConfigError / HookstreamError. */
export async function loadConfig(options: LoadOptions = {}): Promise<HookstreamConfig> {
  const env = options.env ?? process.env;
  const path = options.path ?? env.HOOKSTREAM_CONFIG;
  if (!path) {
    throw new HookstreamError('HS_CONFIG_UNREADABLE', 'no config file: pass --config FILE or set HOOKSTREAM_CONFIG');
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new HookstreamError('HS_CONFIG_UNREADABLE', `cannot read config file ${path}: ${errorMessage(err)}`, { cause: err });
  }
  let raw: Json;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new HookstreamError('HS_CONFIG_UNREADABLE', `config file ${path} is not valid JSON: ${jsonErrorWithoutExcerpt(errorMessage(err))}`);
  }
  return parseConfig(raw, { env, onWarning: options.onWarning });
}

/**
 * V8's JSON.parse message without the excerpt of the text it sometimes quotes
 * (`Unexpected token 'w', ..."secret": whsec_9f8e"... is not valid JSON`): the config holds
 * app secrets, and this message reaches stderr and the logs. Its position, when it gives
 * one, stays.
 */
export function jsonErrorWithoutExcerpt(message: string): string {
  return message.replace(/, (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/, ' (the text around it is not shown: it may hold a secret)');
}

/** Validates an already parsed config object. Pure apart from `onWarning`. */
export function parseConfig(raw: Json, options: { env?: NodeJS.ProcessEnv; onWarning?: (message: string) => void } = {}): HookstreamConfig {
  const env = options.env ?? {};
  const warnings = new Set<string>();
  const warn = (message: string): void => {
    if (warnings.has(message)) return;
    warnings.add(message);
    options.onWarning?.(message);
  };

  const root = obj(raw, '$');
  const known = new Set(['app_manager', 'webhooks', 'kafka', 'retry', 'metrics', 'delivery']);
  for (const key of Object.keys(root)) {
    if (known.has(key)) continue;
    if (SOCKUDO_TOP_LEVEL_KEYS.has(key)) warn(`$.${key}: Sockudo setting not used by hookstream, ignored`);
    else warn(`$.${key}: unknown key, ignored`);
  }

  const kafkaRaw = optObj(root.kafka, '$.kafka');
  strictKeys(kafkaRaw, '$.kafka', ['brokers', 'client_id', 'group_id', 'topic', 'partitions', 'replication_factor', 'handoff_compression', 'ssl', 'sasl']);
  let brokers = kafkaRaw.brokers === undefined ? [...DEFAULTS.kafka.brokers] : stringArray(kafkaRaw.brokers, '$.kafka.brokers', { nonEmpty: true });
  brokers = brokersFromEnv(env) ?? brokers;
  brokers.forEach((b, i) => {
    if (!/^[^\s:]+:\d{1,5}$/.test(b)) throw new ConfigError(`$.kafka.brokers[${i}]`, `must be host:port, got ${JSON.stringify(b)}`);
  });
  const topic = str(kafkaRaw.topic, '$.kafka.topic', DEFAULTS.kafka.topic);
  if (!/^[a-zA-Z0-9._-]{1,200}$/.test(topic)) {
    throw new ConfigError('$.kafka.topic', 'must be 1-200 characters of letters, digits, ".", "_" or "-" (Kafka topic rules)');
  }
  const kafkaBase = {
    brokers,
    client_id: str(kafkaRaw.client_id, '$.kafka.client_id', DEFAULTS.kafka.client_id),
    group_id: str(kafkaRaw.group_id, '$.kafka.group_id', DEFAULTS.kafka.group_id),
    topic,
    partitions: int(kafkaRaw.partitions, '$.kafka.partitions', DEFAULTS.kafka.partitions, 1, 10_000),
    replication_factor: int(kafkaRaw.replication_factor, '$.kafka.replication_factor', DEFAULTS.kafka.replication_factor, 1, 100),
    handoff_compression: oneOf(kafkaRaw.handoff_compression, '$.kafka.handoff_compression', HANDOFF_COMPRESSIONS, DEFAULTS.kafka.handoff_compression),
  };
  const ssl = parseTls(kafkaRaw.ssl);
  const sasl = parseSasl(kafkaRaw.sasl, env);
  if (sasl?.mechanism === 'plain' && !ssl) {
    warn('$.kafka.sasl: mechanism "plain" without kafka.ssl sends the password in clear text; use it only on a trusted network');
  }
  const kafka = { ...kafkaBase, ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };

  const retryRaw = optObj(root.retry, '$.retry');
  strictKeys(retryRaw, '$.retry', ['delays_ms']);
  let delays: number[] = [...DEFAULTS.retry.delays_ms];
  if (retryRaw.delays_ms !== undefined) {
    if (!Array.isArray(retryRaw.delays_ms)) throw new ConfigError('$.retry.delays_ms', 'must be an array of delays in ms');
    delays = retryRaw.delays_ms.map((d, i) => int(d, `$.retry.delays_ms[${i}]`, undefined, 1, 24 * 3600 * 1000));
    for (let i = 1; i < delays.length; i++) {
      if (delays[i]! <= delays[i - 1]!) throw new ConfigError(`$.retry.delays_ms[${i}]`, 'delays must increase strictly (each names its own retry topic)');
    }
  }

  const metricsRaw = optObj(root.metrics, '$.metrics');
  for (const key of Object.keys(metricsRaw)) {
    if (!['enabled', 'host', 'port'].includes(key)) warn(`$.metrics.${key}: Sockudo metrics setting not used by hookstream, ignored`);
  }
  const metrics = {
    enabled: bool(metricsRaw.enabled, '$.metrics.enabled', DEFAULTS.metrics.enabled),
    host: str(metricsRaw.host, '$.metrics.host', DEFAULTS.metrics.host),
    port: int(metricsRaw.port, '$.metrics.port', DEFAULTS.metrics.port, 0, 65_535),
  };

  const webhooksRaw = optObj(root.webhooks, '$.webhooks');
  for (const key of Object.keys(webhooksRaw)) {
    if (key !== 'batching') warn(`$.webhooks.${key}: unknown key, ignored`);
  }
  const batchingRaw = optObj(webhooksRaw.batching, '$.webhooks.batching');
  strictKeys(batchingRaw, '$.webhooks.batching', ['enabled', 'duration', 'size']);
  const batching = {
    enabled: bool(batchingRaw.enabled, '$.webhooks.batching.enabled', DEFAULTS.batching.enabled),
    duration: int(batchingRaw.duration, '$.webhooks.batching.duration', DEFAULTS.batching.duration, 0, 600_000),
    size: int(batchingRaw.size, '$.webhooks.batching.size', DEFAULTS.batching.size, 1, 100_000),
  };

  const deliveryRaw = optObj(root.delivery, '$.delivery');
  strictKeys(deliveryRaw, '$.delivery', [
    'request_timeout_ms', 'max_body_bytes', 'concurrency_per_endpoint', 'max_in_flight_events', 'max_queued_per_endpoint', 'shutdown_grace_ms', 'worker_threads', 'max_connections_per_origin', 'circuit_breaker',
  ]);
  const cbRaw = optObj(deliveryRaw.circuit_breaker, '$.delivery.circuit_breaker');
  strictKeys(cbRaw, '$.delivery.circuit_breaker', ['failures', 'cooldown_ms']);
  const delivery = {
    request_timeout_ms: int(deliveryRaw.request_timeout_ms, '$.delivery.request_timeout_ms', DEFAULTS.delivery.request_timeout_ms, 1, 600_000),
    max_body_bytes: int(deliveryRaw.max_body_bytes, '$.delivery.max_body_bytes', DEFAULTS.delivery.max_body_bytes, 1024, 64 * 1024 * 1024),
    concurrency_per_endpoint: int(deliveryRaw.concurrency_per_endpoint, '$.delivery.concurrency_per_endpoint', DEFAULTS.delivery.concurrency_per_endpoint, 1, 1024),
    max_in_flight_events: int(deliveryRaw.max_in_flight_events, '$.delivery.max_in_flight_events', DEFAULTS.delivery.max_in_flight_events, 1, 10_000_000),
    max_queued_per_endpoint: int(deliveryRaw.max_queued_per_endpoint, '$.delivery.max_queued_per_endpoint', DEFAULTS.delivery.max_queued_per_endpoint, 1, 10_000_000),
    shutdown_grace_ms: int(deliveryRaw.shutdown_grace_ms, '$.delivery.shutdown_grace_ms', DEFAULTS.delivery.shutdown_grace_ms, 0, 3_600_000),
    worker_threads: int(deliveryRaw.worker_threads, '$.delivery.worker_threads', DEFAULTS.delivery.worker_threads, 0, 64),
    max_connections_per_origin: int(deliveryRaw.max_connections_per_origin, '$.delivery.max_connections_per_origin', DEFAULTS.delivery.max_connections_per_origin, 0, 100_000),
    circuit_breaker: {
      failures: int(cbRaw.failures, '$.delivery.circuit_breaker.failures', DEFAULTS.delivery.circuit_breaker.failures, 1, 1_000_000),
      cooldown_ms: int(cbRaw.cooldown_ms, '$.delivery.circuit_breaker.cooldown_ms', DEFAULTS.delivery.circuit_breaker.cooldown_ms, 1, 86_400_000),
    },
  };

  const apps = parseApps(root.app_manager, delivery.request_timeout_ms, warn);
  return { kafka, retry: { delays_ms: delays }, metrics, webhooks: { batching }, delivery, apps };
}

/** `kafka.ssl`: true, false, or an object of PEM file paths (read when a client is made). */
function parseTls(v: Json): KafkaTlsConfig | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return { reject_unauthorized: true };
  const raw = obj(v, '$.kafka.ssl');
  strictKeys(raw, '$.kafka.ssl', ['ca_file', 'cert_file', 'key_file', 'reject_unauthorized']);
  const tls: KafkaTlsConfig = { reject_unauthorized: bool(raw.reject_unauthorized, '$.kafka.ssl.reject_unauthorized', true) };
  for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
    if (raw[key] !== undefined) tls[key] = str(raw[key], `$.kafka.ssl.${key}`);
  }
  if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
    throw new ConfigError(`$.kafka.ssl.${tls.cert_file === undefined ? 'cert_file' : 'key_file'}`, 'cert_file and key_file go together (a client certificate and its key)');
  }
  return tls;
}

/**
 * `kafka.sasl`, with each field overridable from the environment, so that the password
 * need not be in the config file (a Kubernetes secret as `KAFKA_SASL_PASSWORD`).
 */
function parseSasl(v: Json, env: NodeJS.ProcessEnv): KafkaSaslConfig | undefined {
  const raw = optObj(v, '$.kafka.sasl');
  strictKeys(raw, '$.kafka.sasl', ['mechanism', 'username', 'password']);
  const fromEnv = (name: string): string | undefined => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
  const mechanism = fromEnv('KAFKA_SASL_MECHANISM') ?? raw.mechanism;
  const username = fromEnv('KAFKA_SASL_USERNAME') ?? raw.username;
  const password = fromEnv('KAFKA_SASL_PASSWORD') ?? raw.password;
  if (mechanism === undefined && username === undefined && password === undefined) return undefined;
  const path = (key: string, envName: string): string => `$.kafka.sasl.${key} (or ${envName})`;
  if (mechanism === undefined) throw new ConfigError(path('mechanism', 'KAFKA_SASL_MECHANISM'), `is required with SASL credentials: one of ${SASL_MECHANISMS.map((m) => JSON.stringify(m)).join(', ')}`);
  const m = typeof mechanism === 'string' ? mechanism.toLowerCase() : mechanism;
  return {
    mechanism: oneOf(m, path('mechanism', 'KAFKA_SASL_MECHANISM'), SASL_MECHANISMS, 'plain'),
    username: str(username, path('username', 'KAFKA_SASL_USERNAME')),
    password: str(password, path('password', 'KAFKA_SASL_PASSWORD')),
  };
}

function parseApps(raw: Json, defaultTimeout: number, warn: (m: string) => void): AppConfig[] {
  if (raw === undefined) {
    warn('$.app_manager: missing, so no apps are configured and every event is dead-lettered as unknown_app');
    return [];
  }
  const am = obj(raw, '$.app_manager');
  const driver = am.driver === undefined ? 'memory' : str(am.driver, '$.app_manager.driver');
  if (driver !== 'memory') {
    throw new ConfigError('$.app_manager.driver', `hookstream reads apps from the config file only (driver "memory": app_manager.array.apps), got ${JSON.stringify(driver)}`);
  }
  for (const key of Object.keys(am)) {
    if (key !== 'driver' && key !== 'array' && key !== 'apps') warn(`$.app_manager.${key}: Sockudo setting not used by hookstream, ignored`);
  }
  const array = obj(am.array ?? {}, '$.app_manager.array');
  // Sockudo's memory driver reads `array.apps`; its guide's prose says `app_manager.apps`.
  // Both are read, so that a config written after either loads; a config with both is
  // ambiguous and refused rather than one list silently ignored.
  if (am.apps !== undefined && array.apps !== undefined) {
    throw new ConfigError('$.app_manager.apps', 'apps are given twice, here and in app_manager.array.apps; keep one list');
  }
  const listPath = am.apps !== undefined ? '$.app_manager.apps' : '$.app_manager.array.apps';
  const appsRaw = am.apps ?? array.apps ?? [];
  if (!Array.isArray(appsRaw)) throw new ConfigError(listPath, 'must be an array of apps');
  const seen = new Set<string>();
  return appsRaw.map((appRaw, i) => {
    const path = `${listPath}[${i}]`;
    const app = obj(appRaw, path);
    const id = str(app.id, `${path}.id`);
    if (seen.has(id)) throw new ConfigError(`${path}.id`, `duplicate app id ${JSON.stringify(id)}`);
    seen.add(id);
    for (const key of Object.keys(app)) {
      if (['id', 'key', 'secret', 'webhooks'].includes(key)) continue;
      warn(SOCKUDO_APP_KEYS.has(key) ? `apps[].${key}: Sockudo app setting not used by hookstream, ignored` : `${path}.${key}: unknown key, ignored`);
    }
    const webhooksRaw = app.webhooks ?? [];
    if (!Array.isArray(webhooksRaw)) throw new ConfigError(`${path}.webhooks`, 'must be an array of webhooks');
    const webhooks = webhooksRaw.map((w, j) => parseWebhook(w, `${path}.webhooks[${j}]`, defaultTimeout, warn));
    assignUniqueIds(webhooks, `${path}.webhooks`, warn);
    return { id, key: str(app.key, `${path}.key`), secret: str(app.secret, `${path}.secret`), webhooks };
  });
}

/** Headers that the signature and body depend on; a webhook's own headers cannot replace them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'x-pusher-key', 'x-pusher-signature', 'transfer-encoding', 'connection']);

function parseWebhook(raw: Json, path: string, defaultTimeout: number, warn: (m: string) => void): WebhookConfig & { explicitId: boolean } {
  const w = obj(raw, path);
  for (const key of Object.keys(w)) {
    if (!['id', 'url', 'lambda', 'lambda_function', 'event_types', 'filter', 'headers', 'request_timeout_ms'].includes(key)) {
      warn(`${path}.${key}: unknown webhook key, ignored`);
    }
  }
  const targets = ['url', 'lambda', 'lambda_function'].filter((k) => w[k] !== undefined);
  if (targets.length !== 1) {
    throw new ConfigError(path, `needs exactly one target: "url", "lambda" or "lambda_function" (found ${targets.length === 0 ? 'none' : targets.join(', ')})`);
  }
  let target: WebhookTarget;
  if (w.url !== undefined) {
    const url = str(w.url, `${path}.url`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`${path}.url`, 'must be an absolute http(s) URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`${path}.url`, `must be an http(s) URL, got ${parsed.protocol}`);
    // Checked here because each would otherwise fail every batch, one dead letter at a time.
    if (parsed.port === '0') throw new ConfigError(`${path}.url`, 'port 0 cannot be connected to');
    try {
      decodeURIComponent(parsed.username);
      decodeURIComponent(parsed.password);
    } catch {
      throw new ConfigError(`${path}.url`, 'its user name or password has an invalid %-escape');
    }
    target = { kind: 'http', url };
  } else if (w.lambda !== undefined) {
    const l = obj(w.lambda, `${path}.lambda`);
    strictKeys(l, `${path}.lambda`, ['function_name', 'region', 'invocation_type', 'qualifier']);
    const invocation = str(l.invocation_type, `${path}.lambda.invocation_type`, DEFAULTS.lambda.invocation_type);
    if (invocation !== 'Event' && invocation !== 'RequestResponse') {
      throw new ConfigError(`${path}.lambda.invocation_type`, `must be "Event" or "RequestResponse", got ${JSON.stringify(invocation)}`);
    }
    target = {
      kind: 'lambda',
      function_name: str(l.function_name, `${path}.lambda.function_name`),
      region: region(l.region, `${path}.lambda.region`),
      invocation_type: invocation,
      ...(l.qualifier === undefined ? {} : { qualifier: str(l.qualifier, `${path}.lambda.qualifier`) }),
    };
  } else {
    target = { kind: 'lambda', function_name: str(w.lambda_function, `${path}.lambda_function`), region: DEFAULTS.lambda.region, invocation_type: 'Event' };
  }

  const eventTypes = stringArray(w.event_types, `${path}.event_types`, { nonEmpty: false });
  // Sockudo loads such a webhook and never calls it; so does hookstream, but says so.
  if (eventTypes.length === 0) warn(`${path}.event_types: empty, so this webhook selects no event and is never called`);
  const headersRaw = w.headers === undefined ? {} : obj(w.headers, `${path}.headers`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(headersRaw)) {
    if (typeof value !== 'string') throw new ConfigError(`${path}.headers.${name}`, 'header values must be strings');
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-hookstream-')) {
      // Not an error: configs copied from Sockudo often set Content-Type: application/json.
      // The wire facts say such headers never replace hookstream's own, so it is dropped.
      warn(`${path}.headers.${name}: hookstream sets this header itself (signature, content type, framing and delivery headers are fixed); the configured value is ignored`);
      continue;
    }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new ConfigError(`${path}.headers.${name}`, 'is not a valid HTTP header name');
    // The characters HTTP allows in a field value (and undici sends): tab, printable ASCII,
    // and bytes 0x80-0xFF. Anything else would fail every request of this webhook.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
      throw new ConfigError(`${path}.headers.${name}`, 'header values may hold only tabs, printable ASCII and Latin-1 characters (no line breaks or other control characters)');
    }
    headers[name] = value;
  }
  const explicitId = w.id !== undefined;
  const id = explicitId ? str(w.id, `${path}.id`) : deriveWebhookId(target);
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(id)) throw new ConfigError(`${path}.id`, 'must be 1-100 characters of letters, digits, ".", "_", ":" or "-"');
  return {
    id,
    explicitId,
    target,
    event_types: new Set(eventTypes),
    filter: w.filter === undefined ? {} : parseFilter(w.filter, `${path}.filter`, warn),
    headers,
    request_timeout_ms: int(w.request_timeout_ms, `${path}.request_timeout_ms`, defaultTimeout, 1, 600_000),
  };
}

const CHANNEL_TYPES: readonly ChannelType[] = ['public', 'private', 'presence', 'private-encrypted'];

export function parseFilter(raw: Json, path: string, warn: (m: string) => void = () => undefined): WebhookFilter {
  const f = obj(raw, path);
  const filter: WebhookFilter = {};
  // Sockudo accepts an empty prefix, suffix or pattern, which every channel name matches.
  const warnEmpty = (p: string): void => warn(`${p}: empty, so every channel matches it`);
  for (const [key, value] of Object.entries(f)) {
    const p = `${path}.${key}`;
    switch (key) {
      case 'channel_type': {
        const t = str(value, p);
        if (!(CHANNEL_TYPES as readonly string[]).includes(t)) throw new ConfigError(p, `must be one of ${CHANNEL_TYPES.join(', ')}, got ${JSON.stringify(t)}`);
        filter.channel_type = t as ChannelType;
        break;
      }
      // soketi spells prefix and suffix differently; accept both so its configs load too.
      case 'channel_prefix':
      case 'channel_name_starts_with':
        filter.channel_prefix = text(value, p, warnEmpty);
        break;
      case 'channel_suffix':
      case 'channel_name_ends_with':
        filter.channel_suffix = text(value, p, warnEmpty);
        break;
      case 'channel_pattern': {
        const source = text(value, p, warnEmpty);
        try {
          filter.channel_pattern = compileChannelPattern(source);
        } catch (err) {
          throw new ConfigError(p, `is not a valid regular expression: ${errorMessage(err)}`);
        }
        break;
      }
      case 'channel_namespace':
        filter.channel_namespace = str(value, p);
        break;
      case 'channel_namespaces':
        filter.channel_namespaces = stringArray(value, p, { nonEmpty: false });
        if (filter.channel_namespaces.length === 0) warn(`${p}: empty, so no event matches and this webhook is never called`);
        break;
      default:
        throw new ConfigError(p, 'unknown filter key (known: channel_type, channel_prefix, channel_suffix, channel_pattern, channel_namespace, channel_namespaces)');
    }
  }
  return filter;
}

/**
 * A webhook's id must stay the same across restarts and config reloads, because retry
 * records name it. Without an explicit `id` it is derived from the target alone (so
 * changing event types or filters keeps it); the hash keeps URLs, which may carry
 * tokens, out of Kafka records and logs.
 */
export function deriveWebhookId(target: WebhookTarget): string {
  const material = target.kind === 'http' ? `http ${target.url}` : `lambda ${target.region} ${target.function_name} ${target.qualifier ?? ''}`;
  return `${target.kind}-${createHash('sha256').update(material).digest('hex').slice(0, 12)}`;
}

function assignUniqueIds(webhooks: (WebhookConfig & { explicitId: boolean })[], path: string, warn: (m: string) => void): void {
  // Retry records and queues find a webhook by its id: two webhooks of an app with one id
  // would send each other's events to the wrong endpoint. Explicit ids are kept as written
  // (a repeated one is an error); a derived id already taken gets the first free "-<n>".
  const explicit = new Set(webhooks.filter((w) => w.explicitId).map((w) => w.id));
  const taken = new Set<string>();
  webhooks.forEach((w, j) => {
    if (w.explicitId) {
      if (taken.has(w.id)) throw new ConfigError(`${path}[${j}].id`, `duplicate webhook id ${JSON.stringify(w.id)}`);
      taken.add(w.id);
      return;
    }
    if (taken.has(w.id) || explicit.has(w.id)) {
      let n = 2;
      while (taken.has(`${w.id}-${n}`) || explicit.has(`${w.id}-${n}`)) n++;
      w.id = `${w.id}-${n}`;
      warn(`${path}[${j}]: shares its target with another webhook; its derived id depends on its position, set an explicit "id" to keep it stable`);
    }
    taken.add(w.id);
  });
  for (const w of webhooks) delete (w as { explicitId?: boolean }).explicitId;
}

// ---- small typed readers, each naming the JSON path in its error ----

/**
 * An object with its `null` members left out: `null` means "not set", like a missing key.
 * Sockudo's optional settings are nullable, and a config it exported (`"filter": null`,
 * `"lambda": null` beside a `url`) must load as written.
 */
function obj(v: Json, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(path, 'must be an object');
  const out: Obj = {};
  for (const [key, value] of Object.entries(v)) if (value !== null) out[key] = value;
  return out;
}

function optObj(v: Json, path: string): Obj {
  return v === undefined ? {} : obj(v, path);
}

function strictKeys(o: Obj, path: string, allowed: string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new ConfigError(`${path}.${key}`, `unknown key (known: ${allowed.join(', ')})`);
  }
}

function str(v: Json, path: string, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(path, v === undefined ? 'is required (a non-empty string)' : 'must be a non-empty string');
  return v;
}

/** A string that may be empty (an empty filter value matches everything); `onEmpty` is told. */
function text(v: Json, path: string, onEmpty: (path: string) => void): string {
  if (typeof v !== 'string') throw new ConfigError(path, v === undefined ? 'is required (a string)' : 'must be a string');
  if (v.length === 0) onEmpty(path);
  return v;
}

/**
 * An AWS region: a host label, as the SDK requires (it puts the region into the endpoint's
 * host name). Checked at load: the SDK's refusal would come per batch, as a retryable error.
 */
function region(v: Json, path: string): string {
  const r = str(v, path, DEFAULTS.lambda.region);
  if (!/^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/.test(r)) throw new ConfigError(path, `must be an AWS region name such as "us-east-1", got ${JSON.stringify(r)}`);
  return r;
}

function oneOf<T extends string>(v: Json, path: string, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function bool(v: Json, path: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(path, 'must be true or false');
  return v;
}

function int(v: Json, path: string, fallback: number | undefined, min: number, max: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(path, v === undefined ? 'is required (an integer)' : 'must be an integer');
  if (v < min || v > max) throw new ConfigError(path, `must be between ${min} and ${max}, got ${v}`);
  return v;
}

function stringArray(v: Json, path: string, opts: { nonEmpty: boolean }): string[] {
  if (!Array.isArray(v)) throw new ConfigError(path, v === undefined ? 'is required (an array of strings)' : 'must be an array of strings');
  if (opts.nonEmpty && v.length === 0) throw new ConfigError(path, 'must not be empty');
  return v.map((item, i) => str(item, `${path}[${i}]`));
}
