import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parseConfig } from '../../../src/config/index.js';
import { createKafka, kafkaConnection } from '../../../src/kafka/client.js';
import { findJava, freePort, start, stop } from '../../../src/kafka/local/index.js';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { pino } from 'pino';
import { HookstreamService } from '../../../src/pipeline/service.js';
import { createProducer } from '../../../src/producer/index.js';
import { capture, tempDir } from '../../helpers/io.js';
import { uniqueName } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { testLogger, waitUntil } from '../../helpers/service.js';

/**
 * Managed Kafka (Confluent Cloud, MSK, Aiven) takes only TLS connections with SASL
 * credentials. This file starts a broker of its own from the same Maven jars as the test
 * broker, with a SASL_SSL listener: a self-signed certificate made with the JDK's keytool,
 * PLAIN user `alice` and SCRAM-SHA-256 user `bob`. Every hookstream client (service,
 * hand-off producers, producer library, CLI) must connect through it with `kafka.ssl` and
 * `kafka.sasl`, and a wrong password or an untrusted certificate must be a clear error
 * without the password in it.
 */
const ALICE = 'alice-secret-7f3a';
const BOB = 'bob-secret-19c2';

interface SecuredBroker {
  /** host:port of the SASL_SSL listener. */
  secured: string;
  /** PEM of the broker's self-signed certificate. */
  caFile: string;
  dir: string;
}

let broker: Promise<SecuredBroker> | undefined;

/** One broker for the whole file, started by the first test that needs it. */
function securedBroker(): Promise<SecuredBroker> {
  broker ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookstream-secured-kafka-'));
    // keytool sits beside the java the local broker runs on (JAVA_HOME's, else the PATH's).
    const java = findJava();
    const tool = isAbsolute(java) ? join(dirname(java), 'keytool') : 'keytool';
    const keystore = join(dir, 'broker.p12');
    const caFile = join(dir, 'ca.pem');
    const pass = 'keystore-pass';
    execFileSync(tool, ['-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '2', '-dname', 'CN=127.0.0.1', '-ext', 'SAN=ip:127.0.0.1,dns:localhost', '-keystore', keystore, '-storetype', 'PKCS12', '-storepass', pass, '-keypass', pass], { stdio: 'pipe' });
    execFileSync(tool, ['-exportcert', '-alias', 'broker', '-keystore', keystore, '-storetype', 'PKCS12', '-storepass', pass, '-rfc', '-file', caFile], { stdio: 'pipe' });
    const port = await freePort();
    const securedPort = await freePort();
    await start({
      dir: join(dir, 'kafka'),
      port,
      extraListeners: [{ name: 'SASL_SSL', port: securedPort }],
      extraProperties: {
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="${ALICE}";`,
        'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': keystore,
        'ssl.keystore.password': pass,
        'ssl.key.password': pass,
      },
      scramUsers: [{ mechanism: 'SCRAM-SHA-256', username: 'bob', password: BOB }],
    });
    return { secured: `127.0.0.1:${securedPort}`, caFile, dir };
  })();
  return broker;
}

test.after(async () => {
  const b = await broker?.catch(() => undefined);
  if (!b) return;
  await stop({ dir: join(b.dir, 'kafka') });
  await rm(b.dir, { recursive: true, force: true });
});

function rawConfig(b: SecuredBroker, receiverUrl: string, sasl: Record<string, unknown>, ssl: unknown = { ca_file: b.caFile }): Record<string, unknown> {
  return {
    app_manager: { driver: 'memory', array: { apps: [{ id: 'app-1', key: 'key-1', secret: 'secret-1', webhooks: [{ url: receiverUrl, event_types: ['channel_occupied'] }] }] } },
    kafka: { brokers: [b.secured], client_id: 'hookstream-secured-test', group_id: uniqueName('group'), topic: uniqueName('events'), partitions: 2, ssl, sasl },
    retry: { delays_ms: [1000] },
    metrics: { enabled: false, port: 0 },
    delivery: { shutdown_grace_ms: 2000 },
    webhooks: { batching: { enabled: false } },
  };
}

for (const threads of [0, 1]) {
  test(`over TLS with SASL PLAIN (worker_threads ${threads}), the producer library publishes, the service delivers, hands a failed batch to a retry tier and delivers it from there`, { timeout: 180_000 }, async (t) => {
    const b = await securedBroker();
    // The first request fails: the batch goes to the retry tier through the hand-off
    // producers (on the hand-off thread with worker_threads 1) and comes back from it.
    const receiver = await startReceiver({ apps: { key: 'key-1', secret: 'secret-1' }, status: (_req, n) => (n === 1 ? 500 : 200) });
    t.after(() => receiver.close());
    const raw = rawConfig(b, receiver.url('/hook'), { mechanism: 'plain', username: 'alice', password: ALICE });
    raw.delivery = { ...(raw.delivery as object), worker_threads: threads };
    const config = parseConfig(raw);
    const connection = kafkaConnection(config.kafka);
    const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'secured-admin', connection, logger: testLogger() }).admin();
    await admin.connect();
    await ensureTopics(admin, config);
    await admin.disconnect();

    // Everything the service and kafkajs log, down to debug, must not hold the password.
    const logs = capture();
    const service = new HookstreamService({ config, logger: pino({ level: 'debug' }, logs.stream), commitIntervalMs: 200 });
    t.after(() => service.close());
    await service.start();
    await waitUntil(() => service.ready, 60_000, 'service joined its groups over SASL_SSL');

    const producer = createProducer({ brokers: config.kafka.brokers, topic: config.kafka.topic, nodeId: 'node-1', connection, logger: testLogger() });
    t.after(() => producer.close());
    await producer.publish({ name: 'channel_occupied', app_id: 'app-1', channel: 'presence-room' });
    await producer.flush();
    await receiver.waitFor((r) => r.acceptedEvents().length >= 1, 30_000);
    assert.deepEqual(
      receiver.acceptedEvents().map((e) => [e.name, e.channel]),
      [['channel_occupied', 'presence-room']],
    );
    assert.equal(receiver.requests.length, 2, 'one failed attempt, one from the retry tier');
    assert.equal(receiver.invalidCount, 0);
    await service.close();
    assert.match(logs.text(), /SASL PLAIN authentication successful/, 'the debug log shows the SASL handshake');
    assert.ok(!logs.text().includes(ALICE), 'the SASL password is in the log');
  });
}

/** Runs the CLI with `args`; resolves with its exit code and output. KAFKA_BROKERS (the test broker's) must not override the config's secured listener. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = new URL('../../../src/cli/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, KAFKA_BROKERS: '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the CLI connects with SCRAM-SHA-256 and the password from KAFKA_SASL_PASSWORD; a wrong password or an untrusted certificate is a clear error without the password', { timeout: 240_000 }, async (t) => {
  const b = await securedBroker();
  const dir = await tempDir(t, 'hookstream-secured-cli-');
  // The password is not in the file: it comes from the environment.
  const raw = rawConfig(b, 'http://127.0.0.1:9/hook', { mechanism: 'scram-sha-256', username: 'bob' });
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify(raw));

  const ok = await cli(['topics', 'create', '--config', path], { KAFKA_SASL_PASSWORD: BOB });
  assert.equal(ok.code, 0, `topics create over SCRAM: ${ok.stderr}`);
  const topic = (raw.kafka as { topic: string }).topic;
  assert.match(ok.stdout, new RegExp(`${topic.replace(/\./g, '\\.')}\\.dlq`), ok.stdout);

  const wrong = 'not-bobs-password-5e1d';
  const refused = await cli(['lag', '--config', path], { KAFKA_SASL_PASSWORD: wrong });
  assert.equal(refused.code, 1, `a wrong password: exit code; stderr: ${refused.stderr}`);
  assert.match(refused.stderr, /SASL|[Aa]uthentication/, refused.stderr);
  assert.ok(!`${refused.stdout}${refused.stderr}`.includes(wrong), 'the wrong password is not printed');

  // Without ca_file the self-signed broker certificate is not trusted.
  const untrustedPath = join(dir, 'untrusted.json');
  await writeFile(untrustedPath, JSON.stringify(rawConfig(b, 'http://127.0.0.1:9/hook', { mechanism: 'scram-sha-256', username: 'bob' }, true)));
  const untrusted = await cli(['lag', '--config', untrustedPath], { KAFKA_SASL_PASSWORD: BOB });
  assert.equal(untrusted.code, 1, `an untrusted certificate: exit code; stderr: ${untrusted.stderr}`);
  assert.match(untrusted.stderr, /certificate/i, untrusted.stderr);
  assert.ok(!`${untrusted.stdout}${untrusted.stderr}`.includes(BOB), 'the password is not printed');
});
