#!/usr/bin/env node
/**
 * A tiny webhook receiver for hookstream (and Pusher, Sockudo, soketi): plain node:http,
 * no framework. It checks every request the way your application should, logs the events
 * of the valid ones as JSON lines and answers 200; an invalid request gets 401.
 *
 * Verification: with the official `pusher` SDK when it can be imported (`npm install
 * pusher` next to this file, or run it from a checkout of hookstream), else with
 * node:crypto exactly as the SDK does it: Content-Type exactly `application/json`, a JSON
 * body, a known `X-Pusher-Key`, and `X-Pusher-Signature` equal to the lowercase hex
 * HMAC-SHA256 of the raw body keyed with the app secret, compared in constant time.
 * VERIFY=hmac forces the node:crypto path, VERIFY=pusher requires the SDK.
 *
 *   RECEIVER_APPS=demo-key:demo-secret PORT=3000 node examples/receiver/server.mjs
 *
 * Environment:
 *   PORT           port to listen on (default 3000; 0 picks a free one)
 *   HOST           interface (default 0.0.0.0)
 *   RECEIVER_APPS  key:secret[,key:secret...] of the apps whose webhooks it accepts
 *                  (default demo-key:demo-secret, the app of config.example.json)
 *   VERIFY         pusher | hmac | auto (default auto)
 *   QUIET          1: do not log each event
 *
 * GET /healthz answers 200 (used by docker-compose.yml). On start it prints one line,
 * `{"listening":"http://HOST:PORT","verify":"pusher"|"hmac"}`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const apps = new Map(
  (process.env.RECEIVER_APPS ?? 'demo-key:demo-secret')
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '')
    .map((pair) => {
      const colon = pair.indexOf(':');
      if (colon <= 0) throw new Error(`RECEIVER_APPS: expected key:secret, got "${pair}"`);
      return [pair.slice(0, colon), pair.slice(colon + 1)];
    }),
);
const mode = process.env.VERIFY ?? 'auto';
if (!['auto', 'pusher', 'hmac'].includes(mode)) throw new Error(`VERIFY must be pusher, hmac or auto, got "${mode}"`);
const quiet = process.env.QUIET === '1';

/** The SDK's constructor, or undefined when it is not installed (or VERIFY=hmac). */
async function loadPusher() {
  if (mode === 'hmac') return undefined;
  try {
    return (await import('pusher')).default;
  } catch (err) {
    if (mode === 'pusher') throw new Error(`VERIFY=pusher but the pusher package cannot be imported: ${err.message}`);
    return undefined;
  }
}

const Pusher = await loadPusher();
const sdk = Pusher && new Map([...apps].map(([key, secret]) => [key, new Pusher({ appId: 'receiver', key, secret, cluster: 'mt1' })]));

/** True when the request is a webhook of one of `apps`, signed with its secret. */
function isValid(headers, rawBody) {
  const key = headers['x-pusher-key'];
  if (sdk) {
    const pusher = sdk.get(key);
    return pusher !== undefined && pusher.webhook({ headers, rawBody: rawBody.toString('utf8') }).isValid();
  }
  if (headers['content-type'] !== 'application/json') return false;
  try {
    JSON.parse(rawBody.toString('utf8'));
  } catch {
    return false;
  }
  const secret = apps.get(key);
  const signature = headers['x-pusher-signature'];
  if (secret === undefined || typeof signature !== 'string') return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'POST' }).end('POST webhooks here\n');
      return;
    }
    const rawBody = Buffer.concat(chunks);
    if (!isValid(req.headers, rawBody)) {
      console.log(JSON.stringify({ path: req.url, valid: false, key: req.headers['x-pusher-key'] ?? null }));
      res.writeHead(401, { 'content-type': 'text/plain' }).end('invalid signature\n');
      return;
    }
    const body = JSON.parse(rawBody.toString('utf8'));
    if (!quiet) {
      for (const event of body.events ?? []) {
        // X-Hookstream-Delivery-Id is the same on every attempt of a batch; event ids de-duplicate.
        console.log(JSON.stringify({ path: req.url, delivery: req.headers['x-hookstream-delivery-id'] ?? null, event }));
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0', () => {
  const { address, port } = server.address();
  console.log(JSON.stringify({ listening: `http://${address}:${port}`, verify: sdk ? 'pusher' : 'hmac', apps: [...apps.keys()] }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
