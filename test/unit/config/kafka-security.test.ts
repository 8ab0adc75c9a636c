import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';
import { kafkaConnection } from '../../../src/kafka/client.js';

const parse = (kafka: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  const warnings: string[] = [];
  const config = parseConfig({ kafka, app_manager: { array: { apps: [] } } }, { env, onWarning: (m) => warnings.push(m) });
  return { kafka: config.kafka, warnings };
};

test('kafka.ssl: absent or false is plain TCP, true is TLS with the system CAs and verified certificates', () => {
  assert.equal(parse({}).kafka.ssl, undefined);
  assert.equal(parse({ ssl: false }).kafka.ssl, undefined);
  assert.deepEqual(parse({ ssl: true }).kafka.ssl, { reject_unauthorized: true });
  assert.deepEqual(kafkaConnection(parse({ ssl: true }).kafka), { ssl: { rejectUnauthorized: true } });
  assert.deepEqual(kafkaConnection(parse({}).kafka), {});
});

test('kafka.ssl: a client certificate needs its key, unknown keys are refused', () => {
  assert.throws(() => parse({ ssl: { cert_file: '/c.pem' } }), (e: unknown) => e instanceof ConfigError && e.path === '$.kafka.ssl.key_file');
  assert.throws(() => parse({ ssl: { key_file: '/k.pem' } }), (e: unknown) => e instanceof ConfigError && e.path === '$.kafka.ssl.cert_file');
  assert.throws(() => parse({ ssl: { ca: 'x' } }), (e: unknown) => e instanceof ConfigError && e.path === '$.kafka.ssl.ca');
  assert.throws(() => parse({ ssl: 'yes' }), (e: unknown) => e instanceof ConfigError && e.path === '$.kafka.ssl');
});

test('kafka.sasl: fields from the file, each overridden or supplied by KAFKA_SASL_*; mechanism names are case-insensitive', () => {
  assert.deepEqual(parse({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' }, ssl: true }).kafka.sasl, { mechanism: 'scram-sha-256', username: 'u', password: 'p' });
  const fromEnv = parse({ sasl: { mechanism: 'plain', username: 'file-user' }, ssl: true }, { KAFKA_SASL_USERNAME: 'env-user', KAFKA_SASL_PASSWORD: 'env-pass' });
  assert.deepEqual(fromEnv.kafka.sasl, { mechanism: 'plain', username: 'env-user', password: 'env-pass' });
  const onlyEnv = parse({}, { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
  assert.deepEqual(onlyEnv.kafka.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  assert.deepEqual(kafkaConnection(onlyEnv.kafka), { sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
});

test('kafka.sasl: a missing field or an unknown mechanism is an error naming the key and its variable, never echoing the password', () => {
  const rejects = (kafka: Record<string, unknown>, path: RegExp, env: NodeJS.ProcessEnv = {}) =>
    assert.throws(
      () => parse(kafka, env),
      (e: unknown) => e instanceof ConfigError && path.test(e.message) && !e.message.includes('TOP-SECRET'),
    );
  rejects({ sasl: { username: 'u', password: 'TOP-SECRET' } }, /^\$\.kafka\.sasl\.mechanism \(or KAFKA_SASL_MECHANISM\): is required/);
  rejects({ sasl: { mechanism: 'plain', password: 'TOP-SECRET' } }, /^\$\.kafka\.sasl\.username \(or KAFKA_SASL_USERNAME\): is required/);
  rejects({ sasl: { mechanism: 'plain', username: 'u' } }, /^\$\.kafka\.sasl\.password \(or KAFKA_SASL_PASSWORD\): is required/);
  rejects({ sasl: { mechanism: 'gssapi', username: 'u', password: 'TOP-SECRET' } }, /mechanism .*must be one of "plain", "scram-sha-256", "scram-sha-512"/);
  rejects({ sasl: { mechanism: 'plain', username: 'u', password: 'TOP-SECRET', extra: 1 } }, /^\$\.kafka\.sasl\.extra: unknown key/);
});

test('kafka.sasl: PLAIN without TLS loads with a warning that the password travels in clear text; SCRAM or TLS does not warn', () => {
  const warned = parse({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } }).warnings;
  assert.ok(warned.some((w) => w.startsWith('$.kafka.sasl:') && w.includes('clear text')), warned.join('\n'));
  assert.deepEqual(parse({ sasl: { mechanism: 'plain', username: 'u', password: 'p' }, ssl: true }).warnings, []);
  assert.deepEqual(parse({ sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } }).warnings, []);
});
