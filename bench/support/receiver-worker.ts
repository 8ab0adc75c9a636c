/**
 * The benchmark's webhook receiver, run in a worker thread so that counting never shares
 * an event loop with the service under test. It answers 200 as soon as a body has arrived
 * and tallies the events without parsing JSON: it scans the body bytes for each event's
 * `,"time_ms":` and `,"id":"` (inside a JSON string every quote is escaped, so these
 * patterns only occur as event fields). Ids of the form `00000000-0000-4000-8000-<index>`
 * (backlog events) are de-duplicated with a bitmap; others count as unique.
 *
 * Protocol (parentPort): requests carry `{ id, type, ... }` and get `{ id, ... }` back.
 *   stats                      → counters
 *   reset                      → counters and latency samples cleared
 *   expect { n }               → answered once `unique >= n`, with the arrival time
 *   latency { from, to }       → from now on, keep arrival - time_ms of events with time_ms in [from, to)
 *   latencies                  → the kept samples (ms), transferred
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parentPort } from 'node:worker_threads';

if (!parentPort) throw new Error('receiver-worker must run in a worker thread');
const port = parentPort;

const TIME = Buffer.from(',"time_ms":');
const ID = Buffer.from(',"id":"');
const BENCH_ID_PREFIX = Buffer.from('00000000-0000-4000-8000-');
const ID_DIGITS = 12;

let requests = 0;
let events = 0;
let unique = 0;
let duplicates = 0;
let firstAt = 0;
let lastAt = 0;
let seen = new Uint8Array(1 << 16);
let latFrom = Infinity;
let latTo = -Infinity;
let lat = new Float64Array(1 << 16);
let latN = 0;
let expect: { id: number; n: number } | undefined;

function digits(buf: Buffer, at: number, max: number): number {
  let n = 0;
  for (let i = at; i < at + max && i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

function markSeen(index: number): boolean {
  if (index >= seen.length) {
    let size = seen.length;
    while (size <= index) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(seen);
    seen = grown;
  }
  if (seen[index] === 1) return false;
  seen[index] = 1;
  return true;
}

function keepLatency(ms: number): void {
  if (latN === lat.length) {
    const grown = new Float64Array(lat.length * 2);
    grown.set(lat);
    lat = grown;
  }
  lat[latN++] = ms;
}

function tally(body: Buffer, arrivedAt: number): void {
  requests++;
  if (firstAt === 0) firstAt = arrivedAt;
  lastAt = arrivedAt;
  let pos = 0;
  for (;;) {
    const t = body.indexOf(TIME, pos);
    if (t < 0) break;
    const timeMs = digits(body, t + TIME.length, 16);
    events++;
    if (timeMs >= latFrom && timeMs < latTo) keepLatency(arrivedAt - timeMs);
    const i = body.indexOf(ID, t);
    pos = t + TIME.length;
    if (i < 0) {
      unique++;
      continue;
    }
    const idAt = i + ID.length;
    pos = idAt;
    if (body.compare(BENCH_ID_PREFIX, 0, BENCH_ID_PREFIX.length, idAt, idAt + BENCH_ID_PREFIX.length) === 0) {
      if (markSeen(digits(body, idAt + BENCH_ID_PREFIX.length, ID_DIGITS))) unique++;
      else duplicates++;
    } else {
      unique++;
    }
  }
  if (expect && unique >= expect.n) {
    port.postMessage({ id: expect.id, at: arrivedAt, ...stats() });
    expect = undefined;
  }
}

function stats(): Record<string, number> {
  return { requests, events, unique, duplicates, firstAt, lastAt };
}

const sockets = new Set<Socket>();
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const arrivedAt = Date.now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
    tally(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), arrivedAt);
  });
});
server.keepAliveTimeout = 30_000;
server.on('connection', (s: Socket) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});

port.on('message', (msg: { id: number; type: string; n?: number; from?: number; to?: number }) => {
  switch (msg.type) {
    case 'stats':
      port.postMessage({ id: msg.id, ...stats() });
      break;
    case 'reset':
      requests = events = unique = duplicates = firstAt = lastAt = 0;
      seen = new Uint8Array(1 << 16);
      latN = 0;
      latFrom = Infinity;
      latTo = -Infinity;
      expect = undefined;
      port.postMessage({ id: msg.id });
      break;
    case 'expect':
      expect = { id: msg.id, n: msg.n ?? 0 };
      if (unique >= expect.n) {
        port.postMessage({ id: msg.id, at: lastAt, ...stats() });
        expect = undefined;
      }
      break;
    case 'latency':
      latFrom = msg.from ?? Infinity;
      latTo = msg.to ?? -Infinity;
      port.postMessage({ id: msg.id });
      break;
    case 'latencies': {
      const out = lat.slice(0, latN);
      port.postMessage({ id: msg.id, samples: out }, [out.buffer]);
      break;
    }
    case 'close':
      for (const s of sockets) s.destroy();
      server.close(() => port.postMessage({ id: msg.id }));
      break;
    default:
      port.postMessage({ id: msg.id, error: `unknown request ${msg.type}` });
  }
});

server.listen(0, '127.0.0.1', () => {
  port.postMessage({ id: 0, port: (server.address() as AddressInfo).port });
});
