import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/io.js';

const app = (webhooks: unknown[]) => ({ app_manager: { driver: 'memory', array: { apps: [{ id: 'a1', key: 'k1', secret: 's1', webhooks }] } } });
const hook = (extra: Record<string, unknown> = {}) => ({ url: 'https://example.test/hook', event_types: ['channel_occupied'], ...extra });

function rejects(raw: unknown, path: string, rule: RegExp): void {
  assert.throws(() => parseConfig(raw), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.path, path);
    assert.match(err.message, rule);
    return true;
  });
}

test('defaults fill every hookstream section', () => {
  const config = parseConfig(app([hook()]));
  assert.deepEqual(config.kafka, { brokers: ['127.0.0.1:9092'], client_id: 'hookstream', group_id: 'hookstream', topic: 'hookstream.events', partitions: 12, replication_factor: 1, handoff_compression: 'lz4' });
  assert.deepEqual(config.retry.delays_ms, [1000, 2000, 4000, 8000, 16000]);
  assert.deepEqual(config.webhooks.batching, { enabled: true, duration: 50, size: 100 });
  assert.equal(config.delivery.max_body_bytes, 262144);
  assert.equal(config.delivery.request_timeout_ms, 10000);
  assert.equal(config.delivery.max_connections_per_origin, 0, 'no socket cap per origin unless asked for');
  assert.equal(config.metrics.port, 9601);
  assert.equal(config.apps[0]!.webhooks[0]!.request_timeout_ms, 10000);
});

test('KAFKA_BROKERS overrides kafka.brokers', () => {
  const config = parseConfig({ ...app([]), kafka: { brokers: ['a:1'] } }, { env: { KAFKA_BROKERS: 'b:2, c:3' } });
  assert.deepEqual(config.kafka.brokers, ['b:2', 'c:3']);
});

test('errors name the JSON path and the rule', () => {
  rejects({ kafka: { partitions: 0 } }, '$.kafka.partitions', /between 1 and/);
  rejects({ delivery: { max_connections_per_origin: -1 } }, '$.delivery.max_connections_per_origin', /between 0 and/);
  rejects({ kafka: { partitons: 3 } }, '$.kafka.partitons', /unknown key/);
  rejects({ kafka: { handoff_compression: 'zstd' } }, '$.kafka.handoff_compression', /one of "lz4", "gzip", "none", got "zstd"/);
  rejects(app([hook({ url: 'ftp://x' })]), '$.app_manager.array.apps[0].webhooks[0].url', /http/);
  rejects(app([{ event_types: ['x'] }]), '$.app_manager.array.apps[0].webhooks[0]', /exactly one target/);
  rejects(app([hook({ url: 'http://127.0.0.1:0/hook' })]), '$.app_manager.array.apps[0].webhooks[0].url', /port 0/);
  rejects(app([hook({ url: 'https://user:%zz@example.test/hook' })]), '$.app_manager.array.apps[0].webhooks[0].url', /%-escape/);
  rejects(app([hook({ headers: { 'X-Token': 'a\u0000b' } })]), '$.app_manager.array.apps[0].webhooks[0].headers.X-Token', /control characters/);
  rejects(app([hook({ headers: { 'X-Token': 'snow\u2603man' } })]), '$.app_manager.array.apps[0].webhooks[0].headers.X-Token', /Latin-1/);
  rejects(app([{ lambda: { function_name: 'f', region: 'us east 1' }, event_types: ['x'] }]), '$.app_manager.array.apps[0].webhooks[0].lambda.region', /AWS region/);
  rejects(app([hook({ filter: { channel_pattern: '([' } })]), '$.app_manager.array.apps[0].webhooks[0].filter.channel_pattern', /regular expression/);
  rejects(app([hook({ filter: { channel_type: 'secret' } })]), '$.app_manager.array.apps[0].webhooks[0].filter.channel_type', /one of/);
  rejects(app([{ lambda: { function_name: 'f', invocation_type: 'Sync' }, event_types: ['x'] }]), '$.app_manager.array.apps[0].webhooks[0].lambda.invocation_type', /Event/);
  rejects({ retry: { delays_ms: [2000, 1000] } }, '$.retry.delays_ms[1]', /increase/);
  rejects({ app_manager: { driver: 'mysql' } }, '$.app_manager.driver', /memory/);
  rejects({ kafka: { brokers: ['nohostport'] } }, '$.kafka.brokers[0]', /host:port/);
});

test('a Sockudo config loads unchanged, with warnings for what hookstream does not use', () => {
  const warnings: string[] = [];
  const config = parseConfig(
    {
      debug: true,
      port: 6001,
      adapter: { driver: 'redis' },
      queue: { driver: 'redis' },
      metrics: { enabled: true, driver: 'prometheus', port: 9601, prometheus: { prefix: 'sockudo_' } },
      app_manager: { driver: 'memory', array: { apps: [{ id: 'a', key: 'k', secret: 's', enable_client_messages: true, max_connections: 10, webhooks: [hook()] }] } },
      webhooks: { batching: { enabled: true, duration: 50 } },
    },
    { onWarning: (m) => warnings.push(m) },
  );
  assert.equal(config.apps[0]!.id, 'a');
  assert.equal(config.webhooks.batching.duration, 50);
  for (const key of ['$.debug', '$.port', '$.adapter', '$.queue', '$.metrics.driver', 'enable_client_messages', 'max_connections']) {
    assert.ok(warnings.some((w) => w.includes(key)), `warning for ${key} in ${JSON.stringify(warnings)}`);
  }
});

test('lambda targets: full form, legacy lambda_function and defaults', () => {
  const config = parseConfig(app([
    { lambda: { function_name: 'f1', region: 'eu-west-1', invocation_type: 'RequestResponse', qualifier: 'PROD' }, event_types: ['member_added'] },
    { lambda_function: 'legacy', event_types: ['member_added'] },
  ]));
  const [a, b] = config.apps[0]!.webhooks;
  assert.deepEqual(a!.target, { kind: 'lambda', function_name: 'f1', region: 'eu-west-1', invocation_type: 'RequestResponse', qualifier: 'PROD' });
  assert.deepEqual(b!.target, { kind: 'lambda', function_name: 'legacy', region: 'us-east-1', invocation_type: 'Event' });
});

test('webhook ids: explicit kept, derived stable from the target and unique per app', () => {
  const one = parseConfig(app([hook(), hook({ event_types: ['member_added'] }), hook({ id: 'mine', url: 'https://other.test' })]));
  const again = parseConfig(app([hook({ event_types: ['client_event'] })]));
  const ids = one.apps[0]!.webhooks.map((w) => w.id);
  assert.equal(new Set(ids).size, 3);
  assert.equal(ids[2], 'mine');
  assert.equal(ids[0], again.apps[0]!.webhooks[0]!.id, 'changing event types keeps the derived id');
  assert.ok(!ids[0]!.includes('example.test'), 'the URL is not readable in the id');
  rejects(app([hook({ id: 'x' }), hook({ id: 'x', url: 'https://b.test' })]), '$.app_manager.array.apps[0].webhooks[1].id', /duplicate/);
});

test('a derived id renamed for a shared target never takes an id another webhook has', () => {
  // Two webhooks on one URL: the second's derived id becomes "<id>-2", which a later
  // webhook claims explicitly. Retry records would then go to the wrong endpoint.
  const derived = parseConfig(app([hook()])).apps[0]!.webhooks[0]!.id;
  const config = parseConfig(app([hook(), hook({ event_types: ['member_added'] }), hook({ id: `${derived}-2`, url: 'https://other.test' })]));
  const ids = config.apps[0]!.webhooks.map((w) => w.id);
  assert.equal(new Set(ids).size, 3, `ids ${JSON.stringify(ids)}`);
  assert.equal(ids[2], `${derived}-2`, 'the explicit id is kept as written');
  assert.equal(ids[1], `${derived}-3`);
  // And an explicit id that repeats a derived one before it leaves the explicit one as written.
  const first = parseConfig(app([hook(), hook({ id: derived, url: 'https://other.test' })])).apps[0]!.webhooks.map((w) => w.id);
  assert.deepEqual(first, [`${derived}-2`, derived]);
});

test('apps may be listed under app_manager.apps (the guide\'s spelling) or app_manager.array.apps, not both', () => {
  const apps = [{ id: 'a1', key: 'k1', secret: 's1', webhooks: [hook()] }];
  const warnings: string[] = [];
  const config = parseConfig({ app_manager: { driver: 'memory', apps } }, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(config.apps.map((a) => a.id), ['a1']);
  assert.deepEqual(warnings, []);
  rejects({ app_manager: { apps, array: { apps } } }, '$.app_manager.apps', /twice/);
  rejects({ app_manager: { apps: [{ id: 'a1', key: 'k1' }] } }, '$.app_manager.apps[0].secret', /required/);
});

test('empty lists and strings that Sockudo accepts load, with a warning saying what they select', () => {
  const warnings: string[] = [];
  const config = parseConfig(
    app([
      hook({ event_types: [] }),
      hook({ url: 'https://b.test', filter: { channel_prefix: '', channel_suffix: '', channel_pattern: '' } }),
      hook({ url: 'https://c.test', filter: { channel_namespaces: [] } }),
    ]),
    { onWarning: (m) => warnings.push(m) },
  );
  const [none, everyChannel, noNamespace] = config.apps[0]!.webhooks;
  assert.equal(none!.event_types.size, 0);
  assert.deepEqual(everyChannel!.filter.channel_prefix, '');
  assert.ok(everyChannel!.filter.channel_pattern?.test('presence-anything'));
  assert.deepEqual(noNamespace!.filter.channel_namespaces, []);
  for (const path of ['webhooks[0].event_types', 'filter.channel_prefix', 'filter.channel_suffix', 'filter.channel_pattern', 'filter.channel_namespaces']) {
    assert.ok(warnings.some((w) => w.includes(path)), `a warning for ${path} in ${JSON.stringify(warnings)}`);
  }
});

test('soketi filter spellings map to prefix and suffix', () => {
  const config = parseConfig(app([hook({ filter: { channel_name_starts_with: 'beta-', channel_name_ends_with: '-app' } })]));
  const f = config.apps[0]!.webhooks[0]!.filter;
  assert.equal(f.channel_prefix, 'beta-');
  assert.equal(f.channel_suffix, '-app');
});

test('loadConfig reads HOOKSTREAM_CONFIG and reports unreadable files clearly', async (t) => {
  const dir = await tempDir(t, 'hs-config-');
  const file = join(dir, 'c.json');
  await writeFile(file, JSON.stringify({ kafka: { topic: 'from-env' } }));
  const config = await loadConfig({ env: { HOOKSTREAM_CONFIG: file } });
  assert.equal(config.kafka.topic, 'from-env');
  await writeFile(file, '{ not json');
  await assert.rejects(loadConfig({ path: file }), /not valid JSON/);
  await assert.rejects(loadConfig({ path: join(dir, 'missing.json') }), /cannot read config file/);
  await assert.rejects(loadConfig({ env: {} }), /--config/);
});

test('config.example.json is valid', async () => {
  const config = await loadConfig({ path: new URL('../../../../config.example.json', import.meta.url).pathname, env: {} });
  assert.ok(config.apps.length > 0);
});

test('headers hookstream sets itself are dropped with a warning, not a start-up error', () => {
  const warnings: string[] = [];
  const config = parseConfig(
    app([hook({ headers: { 'Content-Type': 'application/json', 'X-Pusher-Signature': 'x', 'x-hookstream-attempt': '9', Authorization: 'Bearer t' } })]),
    { onWarning: (m) => warnings.push(m) },
  );
  assert.deepEqual(config.apps[0]!.webhooks[0]!.headers, { Authorization: 'Bearer t' });
  for (const name of ['Content-Type', 'X-Pusher-Signature', 'x-hookstream-attempt']) {
    assert.ok(warnings.some((w) => w.includes(`headers.${name}:`) && /ignored/.test(w)), `warning for ${name} in ${JSON.stringify(warnings)}`);
  }
  assert.ok(!warnings.some((w) => w.includes('Bearer t')), 'a warning never shows a header value');
});

test('null means "not set" for optional settings, as in configs Sockudo writes', () => {
  const config = parseConfig({
    kafka: { group_id: null },
    app_manager: {
      driver: 'memory',
      array: {
        apps: [
          {
            id: 'a', key: 'k', secret: 's', max_connections: null,
            webhooks: [
              { url: 'https://example.test/h', lambda: null, lambda_function: null, filter: null, headers: null, id: null, event_types: ['channel_occupied'] },
              { url: null, lambda: { function_name: 'f', region: null, qualifier: null }, event_types: ['member_added'], filter: { channel_prefix: 'private-', channel_pattern: null } },
            ],
          },
        ],
      },
    },
  });
  assert.equal(config.kafka.group_id, 'hookstream');
  const [h, l] = config.apps[0]!.webhooks;
  assert.equal(h!.target.kind, 'http');
  assert.deepEqual(h!.filter, {});
  assert.deepEqual(h!.headers, {});
  assert.deepEqual(l!.target, { kind: 'lambda', function_name: 'f', region: 'us-east-1', invocation_type: 'Event' });
  assert.deepEqual(l!.filter, { channel_prefix: 'private-' });
  // A required value that is null is still missing, and says so.
  rejects(app([hook({ event_types: null })]), '$.app_manager.array.apps[0].webhooks[0].event_types', /is required/);
});

test('a config that is not valid JSON is reported without quoting the text around the error (it may hold a secret)', async (t) => {
  const dir = await tempDir(t, 'hookstream-config-');
  const path = join(dir, 'config.json');
  // An unquoted secret, as a template that forgot the quotes would write it.
  await writeFile(path, '{"app_manager": {"array": {"apps": [{"id": "a", "key": "k", "secret": whsec_9f8e7d}]}}}');
  await assert.rejects(loadConfig({ path }), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, /is not valid JSON: Unexpected token/);
    assert.doesNotMatch(err.message, /whsec|9f8e7d/);
    assert.equal((err as { cause?: unknown }).cause, undefined, 'no cause that would carry the original message');
    return true;
  });
});
