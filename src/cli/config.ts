import { parseArgs } from 'node:util';
import type { HookstreamConfig, WebhookConfig } from '../config/types.js';
import { kafkaConnection } from '../kafka/client.js';
import { topicNames } from '../kafka/topics.js';
import { loadCliConfig, singleSubcommandHelp } from './common.js';
import type { CliIo } from './topics.js';

export const USAGE = `Usage: hookstream config check [--config FILE]

Loads the config as "hookstream start" would, without connecting to anything: an error
names the JSON path and the rule (exit 1); otherwise it prints what the service would do
(topics, tiers, batching, each app's webhooks: target, events, filter) and every warning
(Sockudo keys hookstream does not use, empty lists, ignored headers). Secrets, header
values and URL credentials are never printed. --config FILE, else HOOKSTREAM_CONFIG.
`;

export async function run(args: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const parsed = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  if (singleSubcommandHelp('check', parsed, USAGE, io.stdout)) return 0;
  const warnings: string[] = [];
  // A ConfigError propagates: main prints its one line (path and rule) and exits 1.
  const config = await loadCliConfig(parsed.values.config, (m) => warnings.push(m));
  // The TLS files are read as the service would read them: an unreadable one fails here.
  kafkaConnection(config.kafka);
  io.stdout.write(describe(config));
  for (const w of warnings) io.stdout.write(`warning: ${w}\n`);
  io.stdout.write(`config is valid${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}\n`);
  return 0;
}

/** What the service would do with this config, in a few lines; no secret in it. */
export function describe(config: HookstreamConfig): string {
  const names = topicNames(config);
  const { kafka, webhooks, delivery } = config;
  const lines = [
    `kafka: ${kafka.brokers.join(', ')}; events ${names.events} (${kafka.partitions} partitions when created); group ${kafka.group_id}`,
    `kafka security: ${security(kafka)}`,
    `retry tiers: ${names.retries.map((r) => r.name).join(', ') || 'none (failures are dead-lettered at once)'}; dead letters: ${names.dlq}`,
    `batching: ${webhooks.batching.enabled ? `${webhooks.batching.duration} ms or ${webhooks.batching.size} events` : 'off (one event per request)'}, at most ${delivery.max_body_bytes} bytes per body`,
    `delivery: ${delivery.concurrency_per_endpoint} requests per endpoint, ${delivery.max_in_flight_events} events in flight, timeout ${delivery.request_timeout_ms} ms`,
    `metrics: ${config.metrics.enabled ? `http://${config.metrics.host}:${config.metrics.port}/metrics` : 'off'}`,
    `apps: ${config.apps.length}`,
  ];
  for (const app of config.apps) {
    lines.push(`  ${app.id} (key ${app.key}): ${app.webhooks.length} webhook${app.webhooks.length === 1 ? '' : 's'}`);
    for (const w of app.webhooks) lines.push(`    ${w.id}: ${target(w)}; ${selection(w)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** TLS and SASL settings; the SASL password only as "set". */
function security(kafka: HookstreamConfig['kafka']): string {
  const tls = kafka.ssl;
  const tlsText = !tls
    ? 'plain TCP (no TLS)'
    : `TLS (${tls.ca_file === undefined ? "the system's CAs" : `CA ${tls.ca_file}`}${tls.cert_file === undefined ? '' : `, client certificate ${tls.cert_file}`}${tls.reject_unauthorized ? '' : ', ANY certificate accepted'})`;
  const sasl = kafka.sasl;
  return `${tlsText}; ${sasl ? `SASL ${sasl.mechanism} as ${sasl.username} (password set)` : 'no SASL'}`;
}

function target(w: WebhookConfig): string {
  if (w.target.kind === 'lambda') {
    const t = w.target;
    return `lambda ${t.function_name}${t.qualifier === undefined ? '' : `:${t.qualifier}`} in ${t.region} (${t.invocation_type})`;
  }
  // Origin and path only: user, password and query values may be credentials.
  const url = new URL(w.target.url);
  const hidden = url.username !== '' || url.password !== '' || url.search !== '' ? ' (credentials and query not shown)' : '';
  const headers = Object.keys(w.headers);
  return `${url.protocol}//${url.host}${url.pathname}${hidden}${headers.length > 0 ? `, headers ${headers.join(', ')}` : ''}`;
}

function selection(w: WebhookConfig): string {
  const events = w.event_types.size === 0 ? 'no events' : [...w.event_types].join(', ');
  const f = w.filter;
  const parts = [
    f.channel_type === undefined ? undefined : `type ${f.channel_type}`,
    f.channel_prefix === undefined ? undefined : `prefix "${f.channel_prefix}"`,
    f.channel_suffix === undefined ? undefined : `suffix "${f.channel_suffix}"`,
    f.channel_pattern === undefined ? undefined : `pattern /${f.channel_pattern.source}/`,
    f.channel_namespace === undefined ? undefined : `namespace ${f.channel_namespace}`,
    f.channel_namespaces === undefined ? undefined : `namespaces [${f.channel_namespaces.join(', ')}]`,
  ].filter((p) => p !== undefined);
  return `${events}${parts.length > 0 ? `; channels: ${parts.join(', ')}` : ''}`;
}
