import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookConfig } from '../../../src/config/types.js';
import { createDeliverer } from '../../../src/pipeline/deliver/index.js';
import { createLambdaDeliverer, type LambdaDelivererOptions } from '../../../src/pipeline/deliver/lambda.js';
import type { DeliveryOutcome, DeliveryRequest } from '../../../src/pipeline/deliver/types.js';
import { startLambdaServer, type LambdaFunctionBehaviour, type LambdaServer } from '../../helpers/lambda-server.js';
import { startReceiver } from '../../helpers/receiver.js';

const app = { id: 'app-1', key: 'app-key', secret: 'app-secret-0123456789' };
const EVENTS = ['{"name":"member_added","channel":"presence-x","user_id":"u1","time_ms":1700000000000,"id":"e1"}', '{"name":"member_removed","channel":"presence-x","user_id":"u1","time_ms":1700000000500,"id":"e2"}'];

function lambdaHook(functionName: string, extra: Partial<{ invocation_type: 'Event' | 'RequestResponse'; qualifier: string; region: string }> = {}, timeoutMs = 2_000): WebhookConfig {
  return {
    id: 'wh-lambda',
    target: { kind: 'lambda', function_name: functionName, region: extra.region ?? 'us-east-1', invocation_type: extra.invocation_type ?? 'Event', ...(extra.qualifier === undefined ? {} : { qualifier: extra.qualifier }) },
    event_types: new Set(['member_added']),
    filter: {},
    headers: {},
    request_timeout_ms: timeoutMs,
  };
}

function request(webhook: WebhookConfig): DeliveryRequest {
  return { deliveryId: 'dlv-1', attempt: 1, app, webhook, eventsJson: EVENTS };
}

type Failed = Extract<DeliveryOutcome, { ok: false }>;
function failed(outcome: DeliveryOutcome): Failed {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as Failed;
}

/**
 * A Lambda server with the SDK pointed at it through AWS_ENDPOINT_URL_LAMBDA, as the
 * integration tests do; the deliverer is created after the environment is set because
 * the SDK resolves its endpoint per client.
 */
async function setup(t: TestContext, functions: Record<string, LambdaFunctionBehaviour>, options: LambdaDelivererOptions = {}): Promise<{ server: LambdaServer; deliverer: ReturnType<typeof createLambdaDeliverer> }> {
  const server = await startLambdaServer({ functions });
  t.after(() => server.close());
  const restore = server.applyEnv();
  t.after(restore);
  const deliverer = createLambdaDeliverer(options);
  t.after(() => deliverer.close());
  return { server, deliverer };
}

test('Event invocation: function name, invocation type and the {time_ms, events} payload', async (t) => {
  const { server, deliverer } = await setup(t, { 'hook-fn': {} });
  const outcome = await deliverer.deliver(request(lambdaHook('hook-fn')));
  assert.deepEqual({ ok: outcome.ok, statusCode: outcome.statusCode }, { ok: true, statusCode: 202 });
  assert.equal(server.invocations.length, 1);
  const inv = server.invocations[0]!;
  assert.equal(inv.functionName, 'hook-fn');
  assert.equal(inv.qualifier, undefined);
  assert.equal(inv.invocationType, 'Event');
  const payload = JSON.parse(inv.payload.toString('utf8')) as { time_ms: number; events: Array<{ id: string }> };
  assert.deepEqual(Object.keys(payload), ['time_ms', 'events']);
  assert.ok(Math.abs(payload.time_ms - Date.now()) < 5_000);
  assert.equal(inv.payload.toString('utf8'), `{"time_ms":${payload.time_ms},"events":[${EVENTS.join(',')}]}`, 'the same body bytes as HTTP');
});

test('RequestResponse with a qualifier; each attempt has a fresh time_ms', async (t) => {
  let clock = 1_800_000_000_000;
  const { server, deliverer } = await setup(t, { 'hook-fn': { qualifiers: ['PROD'] } }, { now: () => (clock += 1_000) });
  const hook = lambdaHook('hook-fn', { invocation_type: 'RequestResponse', qualifier: 'PROD' });
  assert.equal((await deliverer.deliver(request(hook))).statusCode, 200);
  assert.equal((await deliverer.deliver(request(hook))).ok, true);
  const [a, b] = server.invocations;
  assert.equal(a!.qualifier, 'PROD');
  assert.equal(a!.invocationType, 'RequestResponse');
  assert.equal((JSON.parse(a!.payload.toString()) as { time_ms: number }).time_ms, 1_800_000_001_000);
  assert.equal((JSON.parse(b!.payload.toString()) as { time_ms: number }).time_ms, 1_800_000_002_000);
});

test('a FunctionError is a failed delivery (function_error) naming the error and payload start', async (t) => {
  const { deliverer } = await setup(t, { broken: { functionError: 'Unhandled' } });
  const outcome = failed(await deliverer.deliver(request(lambdaHook('broken', { invocation_type: 'RequestResponse' }))));
  assert.equal(outcome.kind, 'function_error');
  assert.match(outcome.message, /^FunctionError Unhandled: .*function failed on purpose/);
  assert.ok(outcome.message.length < 260);
});

test('a FunctionError payload and a service error message are masked before they are cut: no part of a secret across the cut is left', async (t) => {
  // The excerpt keeps 200 characters of the payload: `{"errorMessage":"` (17) and 177
  // more put the app secret's first 6 characters in front of the cut.
  const errorPayload = `{"errorMessage":"${'e'.repeat(177)}${app.secret}","errorType":"Error"}`;
  const { deliverer } = await setup(t, {
    broken: { functionError: 'Unhandled', errorPayload },
    // Service error excerpts keep 300 characters.
    refused: { serviceError: { status: 400, type: 'InvalidRequestContentException', message: `${'m'.repeat(294)}${app.secret} trailing` } },
  });
  const fn = failed(await deliverer.deliver(request(lambdaHook('broken', { invocation_type: 'RequestResponse' }))));
  assert.equal(fn.kind, 'function_error');
  assert.match(fn.message, /^FunctionError Unhandled: \{"errorMessage":"e{177}\[redac/);
  const service = failed(await deliverer.deliver(request(lambdaHook('refused'))));
  assert.equal(service.kind, 'invalid_target');
  assert.match(service.message, /^InvalidRequestContentException: m{294}\[redac/);
  for (const message of [fn.message, service.message]) {
    assert.ok(!message.includes(app.secret.slice(0, 4)), `no beginning of the secret in ${message.slice(-40)}`);
  }
});

test('only the start of a multi-MB FunctionError payload is read for the message', async (t) => {
  // 5 MB of whitespace collapses to one space: a payload decoded whole would put the text
  // after it into the excerpt.
  const errorPayload = Buffer.from(`function-start ${' '.repeat(5 * 1024 * 1024)}after-the-padding ${app.secret}`);
  const { deliverer } = await setup(t, { huge: { functionError: 'Unhandled', errorPayload } });
  const outcome = failed(await deliverer.deliver(request(lambdaHook('huge', { invocation_type: 'RequestResponse' }))));
  assert.equal(outcome.kind, 'function_error');
  assert.equal(outcome.message, 'FunctionError Unhandled: function-start…');
});

test('an unknown function or qualifier is invalid_target', async (t) => {
  const { server, deliverer } = await setup(t, { known: { qualifiers: ['PROD'] } });
  const unknown = failed(await deliverer.deliver(request(lambdaHook('missing'))));
  assert.equal(unknown.kind, 'invalid_target');
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.message, /ResourceNotFoundException/);
  const badQualifier = failed(await deliverer.deliver(request(lambdaHook('known', { qualifier: 'STAGING' }))));
  assert.equal(badQualifier.kind, 'invalid_target');
  assert.equal(server.invocations.length, 2);
});

test('a payload over the Invoke quota (413) is payload_too_large, not retried by the SDK, whatever the error name', async (t) => {
  // The two 413 errors Invoke models, and one it does not (a proxy, or a newer service error).
  const functions: Record<string, LambdaFunctionBehaviour> = {
    'too-large-json': { serviceError: { status: 413, type: 'RequestTooLargeException', message: 'Request must be smaller than 262144 bytes for the InvokeAsync operation' } },
    'too-large-entity': { serviceError: { status: 413, type: 'SerializedRequestEntityTooLargeException', message: 'Request must be smaller than 1048576 bytes' } },
    'too-large-unmodelled': { serviceError: { status: 413, type: 'PayloadTooLargeException', message: 'too large' } },
  };
  const { server, deliverer } = await setup(t, functions);
  for (const name of Object.keys(functions)) {
    const outcome = failed(await deliverer.deliver(request(lambdaHook(name))));
    assert.equal(outcome.kind, 'payload_too_large', name);
    assert.equal(outcome.statusCode, 413, name);
    assert.match(outcome.message, new RegExp(`^${functions[name]!.serviceError!.type}: `), name);
  }
  assert.equal(server.invocations.length, 3, 'one invocation each: maxAttempts 1');
});

test('throttling is lambda_error with status 429 and Retry-After, and the SDK does not retry it', async (t) => {
  const { server, deliverer } = await setup(t, {
    throttled: { serviceError: { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded', retryAfterSeconds: 3 } },
  });
  const outcome = failed(await deliverer.deliver(request(lambdaHook('throttled'))));
  assert.equal(outcome.kind, 'lambda_error');
  assert.equal(outcome.statusCode, 429);
  assert.equal(outcome.retryAfterMs, 3_000);
  assert.match(outcome.message, /TooManyRequestsException: Rate exceeded/);
  assert.equal(server.invocations.length, 1, 'maxAttempts: 1, hookstream retries');
});

test('a 5xx service error is lambda_error (with Retry-After when sent), not retried by the SDK', async (t) => {
  const { server, deliverer } = await setup(t, { flaky: { serviceError: { status: 500, type: 'ServiceException', message: 'internal' } } });
  const outcome = failed(await deliverer.deliver(request(lambdaHook('flaky'))));
  assert.equal(outcome.kind, 'lambda_error');
  assert.equal(outcome.statusCode, 500);
  assert.equal(outcome.retryAfterMs, undefined);
  assert.equal(server.invocations.length, 1);
  // A Retry-After on an error without a retryAfterSeconds member is read from the raw response.
  server.setFunction('busy', { serviceError: { status: 503, type: 'ServiceException', message: 'busy', retryAfterSeconds: 4 } });
  const busy = failed(await deliverer.deliver(request(lambdaHook('busy'))));
  assert.deepEqual([busy.kind, busy.statusCode, busy.retryAfterMs], ['lambda_error', 503, 4_000]);
});

test('a slow function times out after request_timeout_ms', { timeout: 5_000 }, async (t) => {
  const { deliverer } = await setup(t, { slow: { delayMs: 3_000 } });
  const started = Date.now();
  const outcome = failed(await deliverer.deliver(request(lambdaHook('slow', {}, 300))));
  const took = Date.now() - started;
  assert.equal(outcome.kind, 'timeout');
  assert.ok(took >= 290 && took < 1_000, `took ${took} ms`);
});

test('an unreachable endpoint is a network failure; an explicit endpoint option overrides the environment', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const { server } = await setup(t, { f: {} });
  const deliverer = createLambdaDeliverer({ endpoint: `http://127.0.0.1:${port}` });
  t.after(() => deliverer.close());
  const outcome = failed(await deliverer.deliver(request(lambdaHook('f'))));
  assert.equal(outcome.kind, 'network');
  assert.equal(server.invocations.length, 0);
});

test('one client per region, each honouring the endpoint', async (t) => {
  const { server, deliverer } = await setup(t, { f: {} });
  assert.equal((await deliverer.deliver(request(lambdaHook('f', { region: 'eu-west-1' })))).ok, true);
  assert.equal((await deliverer.deliver(request(lambdaHook('f', { region: 'us-west-2' })))).ok, true);
  assert.equal(server.invocations.length, 2);
  assert.match(String(server.invocations[0]!.headers.authorization), /eu-west-1\/lambda\/aws4_request/);
  assert.match(String(server.invocations[1]!.headers.authorization), /us-west-2\/lambda\/aws4_request/);
});

test('close() waits for running invocations, is idempotent, and later deliveries fail without invoking', async (t) => {
  const { server, deliverer } = await setup(t, { slowish: { delayMs: 200 } });
  const running = deliverer.deliver(request(lambdaHook('slowish')));
  await server.waitFor((s) => s.invocations.length === 1, 2_000);
  const closing = deliverer.close();
  assert.equal(deliverer.close(), closing);
  assert.equal((await running).ok, true);
  await closing;
  assert.equal(failed(await deliverer.deliver(request(lambdaHook('slowish')))).kind, 'network');
  assert.equal(server.invocations.length, 1);
});

test('createDeliverer routes by target kind', async (t) => {
  const server = await startLambdaServer({ functions: { f: {} } });
  t.after(() => server.close());
  const receiver = await startReceiver({ apps: app });
  t.after(() => receiver.close());
  const deliverer = createDeliverer({ lambda: { endpoint: server.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } } });
  t.after(() => deliverer.close());
  const httpHook: WebhookConfig = { ...lambdaHook('f'), id: 'wh-http', target: { kind: 'http', url: receiver.url('/hook') } };
  assert.equal((await deliverer.deliver(request(httpHook))).ok, true);
  assert.equal((await deliverer.deliver(request(lambdaHook('f')))).ok, true);
  assert.equal(receiver.requests.length, 1);
  assert.equal(receiver.requests[0]!.valid, true);
  assert.equal(server.invocations.length, 1);
  assert.equal(server.events().length, 2);
});
