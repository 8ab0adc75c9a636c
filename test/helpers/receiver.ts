/**
 * A real webhook receiver for tests: a node:http server on 127.0.0.1, port 0, that records
 * every request and checks each one with the official `pusher` SDK exactly as an
 * application's handler would (`pusher.webhook({ headers, rawBody }).isValid()`). No mocks:
 * what passes here passes in a receiving application.
 *
 *     const receiver = await startReceiver({ apps: { key: 'k', secret: 's' } });
 *     t.after(() => receiver.close());
 *     // ... point a webhook at receiver.url('/hook') ...
 *     await receiver.waitFor((r) => r.events().length >= 3, 5_000);
 *     assert.equal(receiver.invalidCount, 0);
 *
 * The status (and delay) can be switched at run time with `setStatus` / `setDelay`, e.g.
 * answer 503 until a test flips it to 200.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { startLocalServer } from './local-server.js';
import Pusher from 'pusher';

export interface ReceiverApp {
  key: string;
  secret: string;
}

/** One event object as a receiver parses it (fields absent when not sent). */
export interface ReceivedEvent {
  name: string;
  channel?: string;
  event?: string;
  data?: string;
  socket_id?: string;
  user_id?: string;
  subscription_count?: number;
  time_ms?: number;
  id?: string;
  [field: string]: unknown;
}

export interface ReceivedRequest {
  /** 1-based arrival order. */
  n: number;
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Lower-case header names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** Header names and values exactly as sent, in order (`rawHeaders` pairs). */
  rawHeaders: string[];
  rawBody: Buffer;
  /** `Date.now()` when the request line and headers arrived. */
  receivedAt: number;
  /** The client's port: equal for two requests when a keep-alive socket was reused. */
  remotePort: number;
  /** Whether the official SDK accepts it (content type, key, signature, JSON body). */
  valid: boolean;
  /** The parsed body, or undefined when it is not JSON. */
  body: { time_ms?: number; events?: ReceivedEvent[] } | undefined;
  /** The status this receiver answered with. */
  status: number;
}

/** A status, or a function of the request (already recorded, body included) and its 1-based number. */
export type StatusSpec = number | ((req: ReceivedRequest, n: number) => number);

export interface ReceiverOptions {
  /** Response status. @defaultValue 200 */
  status?: StatusSpec;
  /** Wait this long after the body arrived before answering. @defaultValue 0 */
  delayMs?: number;
  /** Apps whose key/secret verify requests (matched on `X-Pusher-Key`). @defaultValue [] (every request invalid) */
  apps?: ReceiverApp | readonly ReceiverApp[];
  /** Extra response headers, e.g. `{ 'Retry-After': '2' }`. @defaultValue {} */
  responseHeaders?: Record<string, string>;
  /** Response body. @defaultValue 'ok' */
  responseBody?: string;
}

export interface Receiver {
  /** Every request so far, in arrival order. */
  readonly requests: readonly ReceivedRequest[];
  /** Requests the official SDK rejected. */
  readonly invalidCount: number;
  readonly port: number;
  /** `http://127.0.0.1:<port><path>`. @defaultValue path '/' */
  url(path?: string): string;
  /** Every event of every request with a JSON body, flattened in arrival order (retries included). */
  events(): ReceivedEvent[];
  /** Events of the requests that the SDK accepted and that were answered with a 2xx. */
  acceptedEvents(): ReceivedEvent[];
  /** Resolves when `predicate(this)` holds (checked now and after each request); rejects after `timeoutMs`. */
  waitFor(predicate: (receiver: Receiver) => boolean, timeoutMs?: number): Promise<void>;
  setStatus(status: StatusSpec): void;
  setDelay(delayMs: number): void;
  setResponseHeaders(headers: Record<string, string>): void;
  /** Closes the server and every open connection (answers still pending are dropped). Idempotent. */
  close(): Promise<void>;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  let status: StatusSpec = options.status ?? 200;
  let delayMs = options.delayMs ?? 0;
  let responseHeaders = { ...(options.responseHeaders ?? {}) };
  const responseBody = options.responseBody ?? 'ok';
  const apps: readonly ReceiverApp[] = options.apps === undefined ? [] : Array.isArray(options.apps) ? options.apps : [options.apps as ReceiverApp];
  const verifiers = new Map(apps.map((app) => [app.key, new Pusher({ appId: 'receiver', key: app.key, secret: app.secret, cluster: 'mt1' })]));

  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let invalidCount = 0;

  function verify(headers: IncomingHttpHeaders, rawBody: Buffer): boolean {
    const key = headers['x-pusher-key'];
    const pusher = typeof key === 'string' ? verifiers.get(key) : undefined;
    if (pusher === undefined) return false;
    return pusher.webhook({ headers, rawBody: rawBody.toString('utf8') }).isValid();
  }

  function parse(rawBody: Buffer): ReceivedRequest['body'] {
    try {
      const value: unknown = JSON.parse(rawBody.toString('utf8'));
      return value !== null && typeof value === 'object' ? (value as ReceivedRequest['body']) : undefined;
    } catch {
      return undefined;
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const recorded: ReceivedRequest = {
        n: requests.length + 1,
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        rawBody,
        receivedAt,
        remotePort: req.socket.remotePort ?? 0,
        valid: verify(req.headers, rawBody),
        body: parse(rawBody),
        status: 0,
      };
      recorded.status = typeof status === 'function' ? status(recorded, recorded.n) : status;
      requests.push(recorded);
      if (!recorded.valid) invalidCount++;
      const answer = (): void => {
        res.writeHead(recorded.status, { 'Content-Type': 'text/plain', ...responseHeaders });
        res.end(responseBody);
      };
      local.later(delayMs, answer);
      for (const wake of [...waiters]) wake();
    });
  }

  // onRequest only runs once the server listens, after `local` is initialized.
  const local = await startLocalServer(onRequest);
  const port = local.port;

  const eventsOf = (list: readonly ReceivedRequest[]): ReceivedEvent[] => list.flatMap((r) => (Array.isArray(r.body?.events) ? r.body.events : []));

  const receiver: Receiver = {
    get requests() {
      return requests;
    },
    get invalidCount() {
      return invalidCount;
    },
    port,
    url: (path = '/') => `http://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`,
    events: () => eventsOf(requests),
    acceptedEvents: () => eventsOf(requests.filter((r) => r.valid && r.status >= 200 && r.status < 300)),
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise<void>((resolve, reject) => {
        if (predicate(receiver)) return resolve();
        const check = (): void => {
          if (!predicate(receiver)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${requests.length} requests, ${receiver.events().length} events, ${invalidCount} invalid)`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    setStatus(next) {
      status = next;
    },
    setDelay(next) {
      delayMs = next;
    },
    setResponseHeaders(next) {
      responseHeaders = { ...next };
    },
    close() {
      return local.close();
    },
  };
  return receiver;
}
