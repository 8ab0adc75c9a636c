import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import Pusher from 'pusher';
import { VERSION } from '../../../src/version.js';
import { isReservedHeader, sign, signedHeaders } from '../../../src/pipeline/deliver/signing.js';
import { buildBody, eventJson } from '../../../src/pipeline/deliver/wire.js';

const app = { key: 'app-key', secret: 'app-secret-value' };
const pusher = new Pusher({ appId: '1', key: app.key, secret: app.secret, cluster: 'mt1' });

/** Headers as node:http hands them to a receiver: lower-case names. */
function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

const body = buildBody(
  [eventJson({ id: 'e1', app_id: 'a', name: 'member_added', channel: 'presence-x', event: null, data: '{"user_id":"u"}', socket_id: '1.2', user_id: 'u', subscription_count: null, time_ms: 1_700_000_000_000, node_id: null })],
  Date.now(),
);

test('sign is lowercase hex HMAC-SHA256 without prefix', () => {
  const sig = sign(body, app.secret);
  assert.match(sig, /^[0-9a-f]{64}$/);
  assert.equal(sig, createHmac('sha256', app.secret).update(body).digest('hex'));
  assert.equal(sign(Buffer.from(body, 'utf8'), app.secret), sig, 'a string is signed as its UTF-8 bytes');
});

test('the official pusher SDK accepts the body and headers', () => {
  const headers = signedHeaders({ body, app, deliveryId: 'd-1', attempt: 1 });
  const webhook = pusher.webhook({ headers: lower(headers), rawBody: body });
  assert.equal(webhook.isValid(), true);
  assert.equal(webhook.getEvents()[0]!.name, 'member_added');
});

test('the SDK rejects an altered body, a wrong secret and a content type with charset', () => {
  const headers = lower(signedHeaders({ body, app, deliveryId: 'd-1', attempt: 1 }));
  assert.equal(pusher.webhook({ headers, rawBody: body.replace('presence-x', 'presence-y') }).isValid(), false);
  const other = new Pusher({ appId: '1', key: app.key, secret: 'other-secret', cluster: 'mt1' });
  assert.equal(other.webhook({ headers, rawBody: body }).isValid(), false);
  assert.equal(pusher.webhook({ headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, rawBody: body }).isValid(), false);
});

test('signedHeaders sets the exact content type, key, signature, user agent and delivery headers', () => {
  const headers = signedHeaders({ body, app, deliveryId: 'd-42', attempt: 3 });
  assert.equal(headers['Content-Type'], 'application/json');
  assert.equal(headers['X-Pusher-Key'], app.key);
  assert.equal(headers['X-Pusher-Signature'], sign(body, app.secret));
  assert.equal(headers['User-Agent'], `hookstream/${VERSION}`);
  assert.equal(headers['X-Hookstream-Delivery-Id'], 'd-42');
  assert.equal(headers['X-Hookstream-Attempt'], '3');
  assert.equal('X-Hookstream-Replay' in headers, false);
  assert.equal(signedHeaders({ body, app, deliveryId: 'd', attempt: 1, replay: true })['X-Hookstream-Replay'], 'true');
});

test('custom headers are added but cannot replace reserved ones, in any letter case', () => {
  const headers = signedHeaders({
    body,
    app,
    deliveryId: 'd-1',
    attempt: 1,
    custom: {
      Authorization: 'Bearer token-123',
      'content-type': 'text/plain',
      'X-PUSHER-SIGNATURE': 'forged',
      'x-pusher-key': 'other-key',
      'X-Hookstream-Attempt': '99',
      'x-hookstream-replay': 'true',
      Host: 'evil.test',
      'Content-Length': '1',
    },
  });
  const l = lower(headers);
  assert.equal(l.authorization, 'Bearer token-123');
  assert.equal(l['content-type'], 'application/json');
  assert.equal(l['x-pusher-signature'], sign(body, app.secret));
  assert.equal(l['x-pusher-key'], app.key);
  assert.equal(l['x-hookstream-attempt'], '1');
  assert.equal('x-hookstream-replay' in l, false);
  assert.equal('host' in l, false);
  assert.equal('content-length' in l, false);
  // Exactly one entry per header name, whatever the case used.
  assert.equal(Object.keys(headers).length, Object.keys(l).length);
  assert.equal(pusher.webhook({ headers: l, rawBody: body }).isValid(), true);
});

test('a custom User-Agent replaces ours instead of being sent twice', () => {
  const headers = signedHeaders({ body, app, deliveryId: 'd', attempt: 1, custom: { 'user-agent': 'custom/1' } });
  const names = Object.keys(headers).filter((k) => k.toLowerCase() === 'user-agent');
  assert.deepEqual(names, ['user-agent']);
  assert.equal(headers['user-agent'], 'custom/1');
});

test('isReservedHeader is case-insensitive', () => {
  for (const name of ['Content-Type', 'X-Pusher-Signature', 'x-pusher-key', 'X-HOOKSTREAM-ANYTHING', 'Transfer-Encoding']) assert.equal(isReservedHeader(name), true, name);
  for (const name of ['Authorization', 'X-Source', 'User-Agent']) assert.equal(isReservedHeader(name), false, name);
});
