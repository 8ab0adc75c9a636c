import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/io.js';

const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: '' } });

test('config check prints what the service would do and every warning, never a secret, and connects to nothing', async (t) => {
  const file = join(await tempDir(t, 'hs-config-check-'), 'config.json');
  await writeFile(
    file,
    JSON.stringify({
      port: 6001,
      kafka: { brokers: ['broker-that-does-not-exist:9092'] },
      app_manager: {
        array: {
          apps: [
            {
              id: 'app-1',
              key: 'key-1',
              secret: 'APP-SECRET-123',
              webhooks: [
                { id: 'hook', url: 'https://user:URL-PASS-456@hooks.example.test/in?token=QUERY-TOKEN-789', event_types: ['member_added'], filter: { channel_type: 'presence', channel_pattern: '^presence-(?P<ns>[a-z]+):' }, headers: { Authorization: 'Bearer HEADER-TOKEN-000' } },
                { id: 'silent', url: 'https://hooks.example.test/none', event_types: [] },
                { id: 'fn', lambda: { function_name: 'on-event', region: 'eu-west-1', qualifier: 'live' }, event_types: ['client_event'] },
              ],
            },
          ],
        },
      },
    }),
  );
  const r = run('config', 'check', '--config', file);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /kafka: broker-that-does-not-exist:9092; events hookstream\.events/);
  assert.match(out, /retry tiers: hookstream\.events\.retry\.1s, .*hookstream\.events\.retry\.16s; dead letters: hookstream\.events\.dlq/);
  assert.match(out, /hook: https:\/\/hooks\.example\.test\/in \(credentials and query not shown\), headers Authorization; member_added; channels: type presence, pattern \/\^presence-\(\?P<ns>\[a-z\]\+\):\//);
  assert.match(out, /silent: https:\/\/hooks\.example\.test\/none; no events/);
  assert.match(out, /fn: lambda on-event:live in eu-west-1 \(Event\); client_event/);
  assert.match(out, /^warning: \$\.port: /m);
  assert.match(out, /^warning: .*webhooks\[1\]\.event_types: empty/m);
  assert.match(out, /^config is valid \(2 warnings\)$/m);
  for (const secret of ['APP-SECRET-123', 'URL-PASS-456', 'QUERY-TOKEN-789', 'HEADER-TOKEN-000']) {
    assert.ok(!out.includes(secret) && !r.stderr.includes(secret), `${secret} printed`);
  }
});

test('config check names the JSON path and rule of an invalid config and exits 1; a wrong subcommand exits 2', async (t) => {
  const file = join(await tempDir(t, 'hs-config-check-'), 'config.json');
  await writeFile(file, JSON.stringify({ app_manager: { array: { apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'http://127.0.0.1:0/h', event_types: ['x'] }] }] } } }));
  const bad = run('config', 'check', '--config', file);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^hookstream config: \$\.app_manager\.array\.apps\[0\]\.webhooks\[0\]\.url: port 0/);
  const wrong = run('config', 'lint');
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /expected the subcommand "check", got "lint"/);
});

test('config check shows the Kafka TLS and SASL settings without the password, and refuses a TLS file it cannot read', async (t) => {
  const dir = await tempDir(t, 'hs-config-check-');
  const ca = join(dir, 'ca.pem');
  await writeFile(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  const app = { id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'https://hooks.example.test/h', event_types: ['x'] }] };
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify({ kafka: { ssl: { ca_file: ca }, sasl: { mechanism: 'scram-sha-512', username: 'svc' } }, app_manager: { array: { apps: [app] } } }));
  const r = spawnSync(process.execPath, [main, 'config', 'check', '--config', file], { encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: '', KAFKA_SASL_PASSWORD: 'SASL-PASS-111' } });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes(`kafka security: TLS (CA ${ca}); SASL scram-sha-512 as svc (password set)`), r.stdout);
  assert.ok(!r.stdout.includes('SASL-PASS-111') && !r.stderr.includes('SASL-PASS-111'), 'the SASL password is printed');

  await writeFile(file, JSON.stringify({ kafka: { ssl: { ca_file: join(dir, 'missing.pem') } }, app_manager: { array: { apps: [app] } } }));
  const missing = run('config', 'check', '--config', file);
  assert.equal(missing.status, 1, missing.stdout);
  assert.match(missing.stderr, /\$\.kafka\.ssl\.ca_file: cannot read .*missing\.pem/);
});
