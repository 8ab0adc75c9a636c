/**
 * Acceptance: AWS Lambda targets, against the Lambda-compatible endpoint of
 * test/helpers/lambda-server.ts, reached the way the AWS SDK is pointed anywhere
 * (AWS_ENDPOINT_URL_LAMBDA, credentials and region from the environment).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startLambdaServer, type LambdaInvocation } from '../../helpers/lambda-server.js';
import { createServiceTopics, metricValue, startService, testConfig, waitUntil } from '../../helpers/service.js';
import { sleep, stamp, wireEvent, type Stamped } from './support.js';

test('Lambda webhooks: function, qualifier, invocation type and payload as configured; FunctionError is a failed delivery', async (t) => {
  const lambda = await startLambdaServer({
    functions: {
      'hooks-async': {},
      'hooks-sync': { qualifiers: ['live'], response: '{"statusCode":200,"body":"ok"}' },
      'legacy-hooks': {},
      'hooks-broken': { functionError: 'Unhandled' },
    },
  });
  t.after(() => lambda.close());
  // Before the service exists: the AWS SDK reads these when the deliverer makes its client.
  const restoreEnv = lambda.applyEnv('us-east-1');
  t.after(restoreEnv);

  const raw = testConfig({
    apps: [
      {
        id: 'lambda-app',
        key: 'lk',
        secret: 'ls',
        webhooks: [
          { id: 'l-event', lambda: { function_name: 'hooks-async', region: 'eu-west-1', invocation_type: 'Event' }, event_types: ['channel_occupied'] },
          {
            id: 'l-sync',
            lambda: { function_name: 'hooks-sync', qualifier: 'live', invocation_type: 'RequestResponse' },
            event_types: ['member_added'],
          },
          // Sockudo's legacy form: asynchronous, us-east-1.
          { id: 'l-legacy', lambda_function: 'legacy-hooks', event_types: ['channel_vacated'] },
          { id: 'l-broken', lambda: { function_name: 'hooks-broken', invocation_type: 'RequestResponse' }, event_types: ['client_event'] },
        ],
      },
    ],
    retry: { delays_ms: [300, 600] },
  });
  const config = await createServiceTopics(t, raw);
  const service = await startService(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());

  const inputs: PublishEvent[] = [];
  for (let i = 0; i < 5; i++) inputs.push({ app_id: 'lambda-app', name: 'channel_occupied', channel: `room-${i}` });
  for (let i = 0; i < 4; i++) inputs.push({ app_id: 'lambda-app', name: 'member_added', channel: 'presence-x', user_id: `u${i}`, data: '{"a":1}' });
  for (let i = 0; i < 3; i++) inputs.push({ app_id: 'lambda-app', name: 'channel_vacated', channel: `room-${i}` });
  for (let i = 0; i < 2; i++) inputs.push({ app_id: 'lambda-app', name: 'client_event', channel: 'private-y', event: 'client-x', data: '' });
  inputs.push({ app_id: 'lambda-app', name: 'cache_miss', channel: 'room-1' }); // selected by no webhook
  const published = stamp(inputs);
  await producer.publishMany(published);

  const of = (fn: string): LambdaInvocation[] => lambda.invocations.filter((i) => i.functionName === fn);
  const eventsOf = (fn: string): unknown[] => of(fn).flatMap((i) => (JSON.parse(i.payload.toString('utf8')) as { events: unknown[] }).events);
  const expect = (name: string): Stamped[] => published.filter((e) => e.name === name);

  // The broken function: the first attempt and both retry tiers, then the dead-letter topic.
  await lambda.waitFor(
    () =>
      eventsOf('hooks-async').length >= 5 &&
      eventsOf('hooks-sync').length >= 4 &&
      eventsOf('legacy-hooks').length >= 3 &&
      of('hooks-broken').length >= 3,
    20_000,
  );
  await waitUntil(() => service.inFlightEvents === 0, 10_000, 'the broken delivery dead-lettered');
  await sleep(300);

  const cases = [
    { fn: 'hooks-async', name: 'channel_occupied', type: 'Event', qualifier: undefined, region: 'eu-west-1' },
    { fn: 'hooks-sync', name: 'member_added', type: 'RequestResponse', qualifier: 'live', region: 'us-east-1' },
    { fn: 'legacy-hooks', name: 'channel_vacated', type: 'Event', qualifier: undefined, region: 'us-east-1' },
  ];
  for (const c of cases) {
    const calls = of(c.fn);
    assert.ok(calls.length >= 1);
    for (const call of calls) {
      assert.equal(call.invocationType, c.type, `${c.fn}: invocation type`);
      assert.equal(call.qualifier, c.qualifier, `${c.fn}: qualifier`);
      // SigV4 names the region in the credential scope: the client is the configured region's.
      assert.match(String(call.headers.authorization), new RegExp(`/${c.region}/lambda/aws4_request`), `${c.fn}: region`);
      const payload = JSON.parse(call.payload.toString('utf8')) as { time_ms: number; events: unknown[] };
      assert.deepEqual(Object.keys(payload).sort(), ['events', 'time_ms'], `${c.fn}: the {time_ms, events} body`);
      assert.ok(Math.abs(payload.time_ms - call.receivedAt) < 5_000, `${c.fn}: time_ms is the send time`);
    }
    assert.deepEqual(
      eventsOf(c.fn),
      expect(c.name).map(wireEvent),
      `${c.fn}: exactly the ${c.name} events, in order, as published`,
    );
  }

  const broken = of('hooks-broken');
  assert.equal(broken.length, 3, 'the first attempt plus one per retry tier, no more');
  for (const call of broken) {
    assert.equal(call.invocationType, 'RequestResponse');
    assert.deepEqual((JSON.parse(call.payload.toString('utf8')) as { events: unknown[] }).events, expect('client_event').map(wireEvent));
  }
  // Each retry is a fresh attempt: a new payload time_ms not before the previous one.
  const times = broken.map((c) => (JSON.parse(c.payload.toString('utf8')) as { time_ms: number }).time_ms);
  assert.ok(times[1]! >= times[0]! + 250 && times[2]! >= times[1]! + 550, `retry tiers wait their delays (${times.join(', ')})`);

  const text = await service.registry.metrics();
  const successCalls = cases.reduce((n, c) => n + of(c.fn).length, 0);
  const lambdaOk = metricValue(text, 'hookstream_webhook_deliveries_total', { target: 'lambda', outcome: 'success' });
  const lambdaAll = metricValue(text, 'hookstream_webhook_deliveries_total', { target: 'lambda' });
  const functionErrors = metricValue(text, 'hookstream_webhook_deliveries_total', { target: 'lambda', outcome: 'function_error' });
  t.diagnostic(`lambda invocations ${lambda.invocations.length}; deliveries success ${lambdaOk}, function_error ${functionErrors}, all ${lambdaAll}`);
  assert.equal(lambdaOk, successCalls, 'successful invocations');
  assert.equal(functionErrors, broken.length, 'each FunctionError is a failed delivery, counted under its kind');
  assert.equal(lambdaAll, lambda.invocations.length, 'every invocation is one delivery attempt');
  assert.equal(metricValue(text, 'hookstream_webhook_events_delivered_total', { target: 'lambda' }), 12, 'only events of successful invocations count as delivered');
  assert.equal(metricValue(text, 'hookstream_webhook_retries_total'), 2);
  assert.equal(metricValue(text, 'hookstream_webhook_dead_lettered_total', { reason: 'retries_exhausted' }), 1);
});
