/**
 * Main-thread handles for the benchmark's HTTP endpoints: the counting receiver (a worker
 * thread, see receiver-worker.ts) and the two misbehaving endpoints of the isolation case.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface ReceiverStats {
  requests: number;
  /** Events received, duplicates included. */
  events: number;
  /** Distinct events (backlog ids de-duplicated). */
  unique: number;
  duplicates: number;
  /** Date.now() of the first and the last request's arrival. */
  firstAt: number;
  lastAt: number;
}

export class CountingReceiver {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (reply: Record<string, unknown>) => void>();
  #next = 1;
  port = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: Record<string, unknown> & { id: number }) => {
      const resolve = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      resolve?.(reply);
    });
  }

  static async start(): Promise<CountingReceiver> {
    const worker = new Worker(new URL('./receiver-worker.js', import.meta.url));
    const receiver = new CountingReceiver(worker);
    const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
      receiver.#pending.set(0, resolve);
      worker.once('error', reject);
    });
    receiver.port = (await ready).port as number;
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  #call(type: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage({ id, type, ...extra });
    });
  }

  async stats(): Promise<ReceiverStats> {
    return (await this.#call('stats')) as unknown as ReceiverStats;
  }

  async reset(): Promise<void> {
    await this.#call('reset');
  }

  /** Keep event-to-receipt latencies of events whose time_ms is in [from, to). */
  async recordLatency(from: number, to: number): Promise<void> {
    await this.#call('latency', { from, to });
  }

  async latencies(): Promise<Float64Array> {
    return (await this.#call('latencies')).samples as Float64Array;
  }

  /**
   * Resolves with the arrival time (Date.now() in the receiver) of the request that brought
   * the n-th distinct event, or rejects after `timeoutMs`.
   */
  async waitForUnique(n: number, timeoutMs: number): Promise<ReceiverStats & { at: number }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void this.stats().then((s) => reject(new Error(`receiver got ${s.unique} of ${n} events within ${timeoutMs} ms`)));
      }, timeoutMs);
    });
    try {
      return (await Promise.race([this.#call('expect', { n }), timeout])) as unknown as ReceiverStats & { at: number };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.#call('close');
    await this.#worker.terminate();
  }
}

/** A plain node:http server on 127.0.0.1 that tracks its sockets so close() is immediate. */
export interface TestEndpoint {
  readonly port: number;
  /** Requests that arrived (whether answered or not). */
  readonly requests: number;
  /** TCP connections accepted. */
  readonly connections: number;
  url(path: string): string;
  close(): Promise<void>;
}

/** Accepts connections and requests and never answers: every request hangs until the client gives up. */
export function startHangingEndpoint(): Promise<TestEndpoint> {
  return endpoint(() => {
    // Deliberately no response.
  });
}

/** Answers every request with 500 as soon as its body has arrived. */
export function startFailingEndpoint(status = 500): Promise<TestEndpoint> {
  return endpoint((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end('error');
    });
  });
}

function endpoint(handler: Parameters<typeof createServer>[1] & object): Promise<TestEndpoint> {
  let requests = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  // The hanging endpoint must not time requests out on its side either.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        get requests() {
          return requests;
        },
        get connections() {
          return connections;
        },
        url: (path: string) => `http://127.0.0.1:${port}${path}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
