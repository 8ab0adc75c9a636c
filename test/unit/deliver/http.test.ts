import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebhookConfig } from '../../../src/config/types.js';
import { createHttpDeliverer, parseRetryAfter, type HttpDelivererOptions } from '../../../src/pipeline/deliver/http.js';
import type { DeliveryOutcome, DeliveryRequest } from '../../../src/pipeline/deliver/types.js';
import { VERSION } from '../../../src/version.js';
import { startReceiver } from '../../helpers/receiver.js';

const app = { id: 'app-1', key: 'app-key', secret: 'app-secret-0123456789' };
const EVENTS = ['{"name":"channel_occupied","channel":"chat","time_ms":1700000000000,"id":"e1"}'];

function webhook(url: string, extra: Partial<WebhookConfig> = {}): WebhookConfig {
  return { id: 'wh-1', target: { kind: 'http', url }, event_types: new Set(['channel_occupied']), filter: {}, headers: {}, request_timeout_ms: 2_000, ...extra };
}

function request(url: string, extra: Partial<DeliveryRequest> = {}, hook: Partial<WebhookConfig> = {}): DeliveryRequest {
  return { deliveryId: 'dlv-1', attempt: 1, app, webhook: webhook(url, hook), eventsJson: EVENTS, ...extra };
}

function deliverer(t: TestContext, options: HttpDelivererOptions = {}) {
  const d = createHttpDeliverer(options);
  t.after(() => d.destroy());
  return d;
}

type Failed = Extract<DeliveryOutcome, { ok: false }>;
function failed(outcome: DeliveryOutcome): Failed {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as Failed;
}

/** A raw node:http server on port 0 with a custom handler; closed (connections too) after the test. */
async function rawServer(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits: () => hits };
}

test('200: a signed POST that the official pusher SDK accepts, with every hookstream header', async (t) => {
  const receiver = await startReceiver({ apps: app });
  t.after(() => receiver.close());
  const d = deliverer(t);
  const outcome = await d.deliver(request(receiver.url('/hook?x=1'), { attempt: 2 }, { headers: { Authorization: 'Bearer abc-token', 'X-Source': 'test' } }));
  assert.equal(outcome.ok, true);
  assert.equal(outcome.statusCode, 200);
  assert.equal(receiver.requests.length, 1);
  const req = receiver.requests[0]!;
  assert.equal(req.valid, true, 'pusher.webhook().isValid()');
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/hook?x=1');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers['user-agent'], `hookstream/${VERSION}`);
  assert.equal(req.headers['x-hookstream-delivery-id'], 'dlv-1');
  assert.equal(req.headers['x-hookstream-attempt'], '2');
  assert.equal(req.headers['x-hookstream-replay'], undefined);
  assert.equal(req.headers.authorization, 'Bearer abc-token');
  assert.equal(req.headers['x-source'], 'test');
  assert.deepEqual(receiver.events().map((e) => e.id), ['e1']);
  const sent = req.body!.time_ms!;
  assert.ok(Math.abs(sent - Date.now()) < 5_000, 'top-level time_ms is the send time');
});

test('every attempt carries a fresh time_ms and a fresh signature; replay sets X-Hookstream-Replay', async (t) => {
  const receiver = await startReceiver({ apps: app });
  t.after(() => receiver.close());
  let clock = 1_800_000_000_000;
  const d = deliverer(t, { now: () => (clock += 1_000) });
  await d.deliver(request(receiver.url()));
  await d.deliver(request(receiver.url(), { attempt: 2, replay: true }));
  const [a, b] = receiver.requests;
  assert.equal(a!.body!.time_ms, 1_800_000_001_000);
  assert.equal(b!.body!.time_ms, 1_800_000_002_000);
  assert.notEqual(a!.headers['x-pusher-signature'], b!.headers['x-pusher-signature']);
  assert.equal(a!.valid && b!.valid, true);
  assert.equal(b!.headers['x-hookstream-replay'], 'true');
});

test('204 is success', async (t) => {
  const receiver = await startReceiver({ apps: app, status: 204 });
  t.after(() => receiver.close());
  const outcome = await deliverer(t).deliver(request(receiver.url()));
  assert.deepEqual({ ok: outcome.ok, statusCode: outcome.statusCode }, { ok: true, statusCode: 204 });
});

test('500 and 410 are http_status failures carrying the status and a body excerpt', async (t) => {
  const receiver = await startReceiver({ apps: app, status: 500, responseBody: 'database is down' });
  t.after(() => receiver.close());
  const d = deliverer(t);
  const five = failed(await d.deliver(request(receiver.url())));
  assert.equal(five.kind, 'http_status');
  assert.equal(five.statusCode, 500);
  assert.match(five.message, /HTTP 500: database is down/);
  assert.equal(five.retryAfterMs, undefined);
  receiver.setStatus(410);
  const gone = failed(await d.deliver(request(receiver.url())));
  assert.equal(gone.kind, 'http_status');
  assert.equal(gone.statusCode, 410);
});

test('a 301 is a failure and the redirect target receives nothing', async (t) => {
  const target = await startReceiver({ apps: app });
  t.after(() => target.close());
  const redirector = await startReceiver({ apps: app, status: 301, responseHeaders: { Location: target.url('/moved') } });
  t.after(() => redirector.close());
  const outcome = failed(await deliverer(t).deliver(request(redirector.url())));
  assert.equal(outcome.kind, 'http_status');
  assert.equal(outcome.statusCode, 301);
  assert.match(outcome.message, /redirects are not followed/);
  assert.doesNotMatch(outcome.message, /moved/, 'Location is not echoed');
  assert.equal(redirector.requests.length, 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(target.requests.length, 0);
});

test('Retry-After in seconds and as an HTTP date becomes retryAfterMs', async (t) => {
  const receiver = await startReceiver({ apps: app, status: 429, responseHeaders: { 'Retry-After': '7' } });
  t.after(() => receiver.close());
  const d = deliverer(t);
  const seconds = failed(await d.deliver(request(receiver.url())));
  assert.equal(seconds.statusCode, 429);
  assert.equal(seconds.retryAfterMs, 7_000);

  receiver.setStatus(503);
  receiver.setResponseHeaders({ 'Retry-After': new Date(Date.now() + 120_000).toUTCString() });
  const date = failed(await d.deliver(request(receiver.url())));
  assert.equal(date.statusCode, 503);
  assert.ok(date.retryAfterMs !== undefined && date.retryAfterMs > 117_000 && date.retryAfterMs <= 120_000, `got ${date.retryAfterMs}`);
});

test('parseRetryAfter: seconds, dates, past dates, garbage', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter(['5', '9'], now), 5_000);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter('', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('1.5', now), undefined);
});

/**
 * The deadlines below are 1 s: long enough that a slow machine's lateness (allowed up to
 * 0.9 s) stays under the deadline itself, so a deadline applied twice (per phase, or
 * restarted) still fails the checks.
 */
const DEADLINE_MS = 1000;
const withinDeadline = (took: number): boolean => took >= DEADLINE_MS - 10 && took < DEADLINE_MS * 1.9;

test('a server that never answers times out within request_timeout_ms', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t, () => {
    /* never answer */
  });
  const started = Date.now();
  const outcome = failed(await deliverer(t).deliver(request(server.url, {}, { request_timeout_ms: DEADLINE_MS })));
  const took = Date.now() - started;
  assert.equal(outcome.kind, 'timeout');
  assert.ok(withinDeadline(took), `took ${took} ms`);
  assert.match(outcome.message, new RegExp(`${DEADLINE_MS} ms`));
});

test('a 2xx whose body trickles (a byte every 50 ms) is delivered, and the deadline still ends the exchange', { timeout: 10_000 }, async (t) => {
  let closed = false;
  const server = await rawServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    const timer = setInterval(() => res.write('.'), 50);
    res.on('close', () => {
      closed = true;
      clearInterval(timer);
    });
  });
  const started = Date.now();
  // bodyTimeout alone would never fire here: each byte resets it. The deadline does, and
  // the socket is dropped; the status had already said the events were accepted.
  const outcome = await deliverer(t).deliver(request(server.url, {}, { request_timeout_ms: DEADLINE_MS }));
  const took = Date.now() - started;
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  assert.ok(withinDeadline(took), `took ${took} ms`);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(closed, 'the trickling response was cut off, not read forever');
});

test('an error status whose body stalls is classified by its status, not as a timeout (410 stays permanent, 429 keeps Retry-After)', { timeout: 5_000 }, async (t) => {
  for (const [status, headers] of [[410, {}], [429, { 'Retry-After': '7' }]] as const) {
    const server = await rawServer(t, (req, res) => {
      req.resume();
      // Headers now, then a body that never ends.
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
      res.write('gone');
    });
    const started = Date.now();
    const outcome = await deliverer(t).deliver(request(server.url, {}, { request_timeout_ms: 300 }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.kind, 'http_status', JSON.stringify(outcome));
    assert.equal(outcome.statusCode, status);
    if (status === 429) assert.equal(outcome.retryAfterMs, 7000);
    assert.ok(Date.now() - started < 2000, 'the deadline still ends the exchange');
  }
});

test('a server that trickles its status line and headers times out', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t, (_req, res) => {
    // Never a complete head: a header value dribbles in a byte at a time.
    const socket = res.socket!;
    socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
    const timer = setInterval(() => socket.write('a'), 50);
    socket.on('close', () => clearInterval(timer));
  });
  const started = Date.now();
  const outcome = failed(await deliverer(t).deliver(request(server.url, {}, { request_timeout_ms: DEADLINE_MS })));
  const took = Date.now() - started;
  assert.equal(outcome.kind, 'timeout');
  assert.ok(withinDeadline(took), `took ${took} ms`);
});

test('connection refused is a network failure', async (t) => {
  // Take a free port, then release it: nothing listens there any more.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const outcome = failed(await deliverer(t).deliver(request(`http://127.0.0.1:${port}/hook`)));
  assert.equal(outcome.kind, 'network');
  assert.match(outcome.message, /ECONNREFUSED/);
});

test('a server that resets the connection is a network failure', async (t) => {
  const server = await rawServer(t, (req) => req.socket.destroy());
  const outcome = failed(await deliverer(t).deliver(request(server.url)));
  assert.equal(outcome.kind, 'network');
});

test('a garbage (binary) body is still classified by status, and the message stays printable', async (t) => {
  const server = await rawServer(t, (_req, res) => {
    res.writeHead(502, { 'Content-Type': 'application/octet-stream' });
    res.end(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xc3, 0x28, 0x41, 0x0a, 0x0d]));
  });
  const outcome = failed(await deliverer(t).deliver(request(server.url)));
  assert.equal(outcome.kind, 'http_status');
  assert.equal(outcome.statusCode, 502);
  assert.doesNotMatch(outcome.message, /[\u0000-\u001f\u007f\ufffd]/);
});

test('a huge error body is not read to the end and the message stays short', async (t) => {
  const server = await rawServer(t, (_req, res) => {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('x'.repeat(4 * 1024 * 1024));
  });
  const outcome = failed(await deliverer(t).deliver(request(server.url)));
  assert.equal(outcome.statusCode, 500);
  assert.ok(outcome.message.length < 300, `message length ${outcome.message.length}`);
});

test('the message never contains the secret or a header value, even when the receiver echoes them', async (t) => {
  const server = await rawServer(t, (req, res) => {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(`bad auth ${String(req.headers.authorization)} secret=${app.secret}`);
  });
  const outcome = failed(await deliverer(t).deliver(request(server.url, {}, { headers: { Authorization: 'Bearer super-secret-token' } })));
  assert.equal(outcome.statusCode, 400);
  assert.doesNotMatch(outcome.message, /super-secret-token/);
  assert.doesNotMatch(outcome.message, new RegExp(app.secret));
  assert.match(outcome.message, /\[redacted\]/);
});

test('echoed credentials are masked in every form: a bare token, URL credentials as Basic, query tokens, a secret across the cut', async (t) => {
  const server = await rawServer(t, (req, res) => {
    const auth = String(req.headers.authorization);
    const bare = auth.replace(/^\S+ /, '');
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    // The token without its scheme, the whole header, what Basic decodes to, the URL with
    // its query, and the app secret straddling the 200-character cut of the excerpt.
    const head = `token ${bare} auth=${auth} basic=${Buffer.from(bare, 'base64').toString('utf8')} url=${req.url} `;
    res.end(head + 'x'.repeat(Math.max(0, 195 - head.length)) + app.secret);
  });
  const base = new URL(server.url);
  const withCreds = `http://tok-user-123:pass-word-456@${base.host}${base.pathname}?token=qtok-987654&v=1`;
  const cases: [string, Partial<WebhookConfig>, RegExp[]][] = [
    [server.url, { headers: { Authorization: 'Bearer tok-c0ffee-123' } }, [/tok-c0ffee-123/]],
    [withCreds, {}, [/tok-user-123/, /pass-word-456/, /qtok-987654/, new RegExp(Buffer.from('tok-user-123:pass-word-456').toString('base64'))]],
  ];
  for (const [url, hook, leaks] of cases) {
    const outcome = failed(await deliverer(t).deliver(request(url, {}, hook)));
    assert.equal(outcome.statusCode, 500);
    for (const leak of [...leaks, /app-sec/, /0123456789/]) assert.doesNotMatch(outcome.message, leak, `${leak} in ${outcome.message}`);
    assert.match(outcome.message, /\[redacted\]/);
  }
});

/**
 * undici waits one event-loop turn before it hands a freed keep-alive socket to the next
 * request (to notice servers that close despite keep-alive), so strictly back-to-back
 * requests alternate between two sockets; with a turn in between, one socket serves all.
 */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('sequential deliveries reuse one keep-alive socket', async (t) => {
  const receiver = await startReceiver({ apps: app });
  t.after(() => receiver.close());
  const d = deliverer(t);
  for (let i = 0; i < 4; i++) {
    assert.equal((await d.deliver(request(receiver.url()))).ok, true);
    await nextTurn();
  }
  const ports = new Set(receiver.requests.map((r) => r.remotePort));
  assert.equal(ports.size, 1, `client ports: ${[...ports].join(',')}`);
  // Back to back: still pooled, never a socket per request.
  for (let i = 0; i < 8; i++) assert.equal((await d.deliver(request(receiver.url()))).ok, true);
  assert.ok(new Set(receiver.requests.map((r) => r.remotePort)).size <= 2);
});

test('after an error response the socket is still reused (the body was drained)', async (t) => {
  const receiver = await startReceiver({ apps: app, status: 500, responseBody: 'nope '.repeat(1000) });
  t.after(() => receiver.close());
  const d = deliverer(t);
  await d.deliver(request(receiver.url()));
  await nextTurn();
  receiver.setStatus(200);
  await d.deliver(request(receiver.url()));
  assert.equal(new Set(receiver.requests.map((r) => r.remotePort)).size, 1);
});

test('credentials in the URL become basic auth and are not sent in the URL', async (t) => {
  const receiver = await startReceiver({ apps: app });
  t.after(() => receiver.close());
  const url = receiver.url('/hook').replace('http://', 'http://us%40er:p%3Ass@');
  assert.equal((await deliverer(t).deliver(request(url))).ok, true);
  const req = receiver.requests[0]!;
  assert.equal(req.headers.authorization, 'Basic ' + Buffer.from('us@er:p:ss').toString('base64'));
  assert.equal(req.path, '/hook');
});

test('an unusable target is invalid_target', async (t) => {
  const d = deliverer(t);
  assert.equal(failed(await d.deliver(request('not a url'))).kind, 'invalid_target');
  assert.equal(failed(await d.deliver(request('ftp://example.test/x'))).kind, 'invalid_target');
  assert.equal(failed(await d.deliver(request('http://user:%zz@127.0.0.1:1/'))).kind, 'invalid_target');
  const lambdaHook: WebhookConfig = { ...webhook('http://x'), target: { kind: 'lambda', function_name: 'f', region: 'us-east-1', invocation_type: 'Event' } };
  assert.equal(failed(await d.deliver({ ...request('http://x'), webhook: lambdaHook })).kind, 'invalid_target');
});

test('close() lets a running request finish, is idempotent, and later deliveries fail without sending', { timeout: 5_000 }, async (t) => {
  const receiver = await startReceiver({ apps: app, delayMs: 200 });
  t.after(() => receiver.close());
  const d = createHttpDeliverer();
  const running = d.deliver(request(receiver.url()));
  await receiver.waitFor((r) => r.requests.length === 1, 2_000);
  const first = d.close();
  assert.equal(d.close(), first, 'close() returns the same promise');
  const outcome = await running;
  assert.equal(outcome.ok, true);
  await first;
  const after = failed(await d.deliver(request(receiver.url())));
  assert.equal(after.kind, 'network');
  assert.equal(receiver.requests.length, 1);
  await d.destroy();
});

test('destroy() aborts a running request', { timeout: 5_000 }, async (t) => {
  const receiver = await startReceiver({ apps: app, delayMs: 5_000 });
  t.after(() => receiver.close());
  const d = createHttpDeliverer();
  const running = d.deliver(request(receiver.url(), {}, { request_timeout_ms: 10_000 }));
  await receiver.waitFor((r) => r.requests.length === 1, 2_000);
  const started = Date.now();
  await d.destroy();
  const outcome = failed(await running);
  assert.ok(Date.now() - started < 1_000);
  assert.equal(outcome.kind, 'network');
  await d.destroy();
  await d.close();
});

test('no hidden socket cap per origin: 24 deliveries to one host run at once', async (t) => {
  // The server answers nobody until all 24 requests are open at the same time. With a
  // per-origin socket cap below 24 (undici queues the rest), every request times out.
  const waiting: ServerResponse[] = [];
  const server = await rawServer(t, (req, res) => {
    req.resume();
    waiting.push(res);
    if (waiting.length === 24) for (const r of waiting) r.writeHead(200).end('ok');
  });
  const d = deliverer(t);
  const outcomes = await Promise.all(
    Array.from({ length: 24 }, (_, i) => d.deliver(request(server.url, { deliveryId: `dlv-${i}` }, { id: `wh-${i % 3}`, request_timeout_ms: 3_000 }))),
  );
  assert.deepEqual(outcomes.map((o) => o.ok), Array(24).fill(true));
  assert.equal(server.hits(), 24);
});

test('a 2xx whose body breaks off is a delivery, not a failure: the receiver has accepted the events', async (t) => {
  const server = await rawServer(t, (req, res) => {
    req.resume();
    // Promise more than is sent, then cut the connection mid-body.
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const d = deliverer(t);
  const outcome = await d.deliver(request(server.url));
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  assert.equal(outcome.statusCode, 200);
  assert.equal(server.hits(), 1);
});
