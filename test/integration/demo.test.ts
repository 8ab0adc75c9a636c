/**
 * `hookstream demo` against the test broker (KAFKA_BROKERS, set by the runner, so the demo
 * starts no broker): it must deliver, with every signature accepted, and clean up its topics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Pusher from 'pusher';
import { run } from '../../src/cli/demo.js';
import { ClusterSimulator, LatencyHistogram, runDemo, verifyWebhook } from '../../src/ops/demo.js';
import { sign } from '../../src/pipeline/deliver/signing.js';
import { validateEvent } from '../../src/producer/validate.js';
import { tempDir } from '../helpers/io.js';
import { brokers, withAdmin } from '../helpers/kafka.js';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

test("the demo's signature check decides as the pusher SDK does", () => {
  const secrets = new Map([['k1', 's1']]);
  const pusher = new Pusher({ appId: 'demo', key: 'k1', secret: 's1', cluster: 'mt1' });
  const body = JSON.stringify({ time_ms: 1, events: [{ name: 'channel_occupied', channel: 'c' }] });
  const good = { 'content-type': 'application/json', 'x-pusher-key': 'k1', 'x-pusher-signature': sign(body, 's1') };
  const cases: Array<[string, Record<string, string>, string]> = [
    ['valid', good, body],
    ['changed body', good, body.replace('"c"', '"d"')],
    ['upper-case signature', { ...good, 'x-pusher-signature': good['x-pusher-signature'].toUpperCase() }, body],
    ['charset in content type', { ...good, 'content-type': 'application/json; charset=utf-8' }, body],
    ['unknown key', { ...good, 'x-pusher-key': 'k2' }, body],
    ['wrong secret', { ...good, 'x-pusher-signature': sign(body, 's2') }, body],
    ['no signature', { 'content-type': 'application/json', 'x-pusher-key': 'k1' }, body],
    ['not JSON', { ...good, 'x-pusher-signature': sign('nope', 's1') }, 'nope'],
  ];
  for (const [name, headers, raw] of cases) {
    let sdk: boolean;
    try {
      sdk = pusher.webhook({ headers, rawBody: raw }).isValid();
    } catch {
      sdk = false; // the SDK throws on a missing signature; an application answers 401 either way
    }
    assert.equal(verifyWebhook(headers, Buffer.from(raw), secrets).ok, sdk, name);
  }
  assert.equal(verifyWebhook(good, Buffer.from(body), secrets).ok, true);
});

test('the simulated socket servers publish only events the contract accepts', () => {
  const simulator = new ClusterSimulator(['a', 'b'], 3);
  const events = simulator.next(5_000);
  const names = new Set<string>();
  for (const { node, event } of events) {
    assert.ok(node >= 0 && node < 3);
    names.add(validateEvent(event, { id: () => 'x', timeMs: () => 1, nodeId: 'n' }).name);
  }
  for (const name of ['connection_established', 'connection_terminated', 'channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'subscription_count']) {
    assert.ok(names.has(name), `no ${name} in 5000 events`);
  }
  const h = new LatencyHistogram();
  [5, 1, 3, 2, 4].forEach((v) => h.record(v));
  assert.equal(h.quantile(0.5), 3);
  assert.equal(h.quantile(0.99), 5);
});

test('hookstream demo delivers through the test broker, every signature valid, and removes its topics', async (t) => {
  const out = collect();
  const logFile = join(await tempDir(t, 'hookstream-demo-'), 'demo.log');
  const summary = await runDemo({ durationS: 12, rate: 150, failRate: 0.2, out: out.stream, live: false, logFile });

  assert.equal(summary.brokerStarted, false, 'KAFKA_BROKERS is set: the demo must not start a broker');
  assert.equal(summary.brokers, brokers().join(','));
  assert.equal(summary.invalidSignatures, 0, `invalid signatures (log ${logFile})`);
  assert.equal(summary.publishFailed, 0);
  assert.ok(summary.published >= 150 * 8, `published ${summary.published}`);
  assert.ok(summary.delivered >= summary.published * 0.8, `delivered ${summary.delivered} of ${summary.published} published (log ${logFile})`);
  assert.ok(summary.firstDeliveryAfterS !== null && summary.firstDeliveryAfterS < 30, `first delivery after ${summary.firstDeliveryAfterS} s`);
  assert.ok(summary.failedOnPurpose > 0 && summary.retries > 0, `503s ${summary.failedOnPurpose}, retries ${summary.retries}`);
  assert.ok(summary.p50Ms !== null && summary.p99Ms !== null && summary.p50Ms <= summary.p99Ms);
  // Every request the receivers saw was an attempt the service counted, and the other way round.
  assert.equal(summary.requests, summary.batches);

  const lines = out.text().split('\n').filter((l) => l.startsWith('demo t='));
  assert.ok(lines.length >= 10, `one line per second expected, got ${lines.length}:\n${out.text()}`);
  assert.match(lines.at(-1)!, /invalid_signatures=0/);

  const topics = await withAdmin((admin) => admin.listTopics());
  assert.deepEqual(topics.filter((t) => t.startsWith(summary.topic)), [], 'the demo deletes its topics');
});

test('hookstream demo --duration: the CLI prints a summary line and exits 0', async (t) => {
  const stdout = collect();
  const stderr = collect();
  const log = join(await tempDir(t, 'hookstream-demo-cli-'), 'demo.log');
  const code = await run(['--duration', '4', '--rate', '60', '--log', log], { stdout: stdout.stream, stderr: stderr.stream });
  assert.equal(code, 0, `${stdout.text()}\n${stderr.text()}`);
  const summary = /^summary (.*)$/m.exec(stdout.text());
  assert.ok(summary, stdout.text());
  const fields = Object.fromEntries(summary[1]!.split(' ').map((kv) => kv.split('=') as [string, string]));
  assert.equal(fields.invalid_signatures, '0');
  assert.equal(fields.broker_started, 'false');
  assert.ok(Number(fields.delivered) > 0, summary[0]);
});

test('hookstream demo refuses bad options', async () => {
  const io = { stdout: collect().stream, stderr: collect().stream };
  // Thrown as usage mistakes: main says them and exits 2.
  await assert.rejects(run(['--duration', 'soon'], io), { code: 'HS_USAGE', message: /--duration must be a number/ });
  await assert.rejects(run(['--fail-rate', '1.5'], io), { code: 'HS_USAGE' });
  await assert.rejects(run(['--brokers', 'nohost'], io), { code: 'HS_USAGE' });
  await assert.rejects(run(['--bogus'], io), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  assert.equal(await run(['--help'], io), 0);
});
