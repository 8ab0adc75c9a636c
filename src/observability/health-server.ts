import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { errorMessage } from '../errors.js';

export interface HealthServerOptions {
  /** Interface to bind. @defaultValue '0.0.0.0' */
  host?: string;
  /** Port to bind; 0 picks a free one (tests). */
  port: number;
  /** The registry served on `/metrics`. */
  registry: Registry;
  /**
   * Readiness for `/readyz`: true once the consumer has joined its group and can deliver.
   * A throw or rejection counts as not ready.
   */
  isReady: () => boolean | Promise<boolean>;
  logger: Logger;
}

export interface HealthServer {
  /** The bound port (the chosen one when `port` was 0). */
  readonly port: number;
  readonly host: string;
  /** Stops accepting connections, lets running responses finish. Idempotent. */
  close(): Promise<void>;
}

/**
 * The operations endpoint: `GET /metrics` (Prometheus text format), `GET /healthz`
 * (liveness: the process answers) and `GET /readyz` (readiness: 200 or 503). Plain
 * node:http, so scraping does not depend on anything the pipeline uses.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? '0.0.0.0';
  const { registry, isReady, logger } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
    if (!known) return send(res, 404, 'not found');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed');
    }
    if (path === '/healthz') return send(res, 200, 'ok');
    if (path === '/readyz') {
      let ready = false;
      try {
        ready = (await isReady()) === true;
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, 'readiness check failed');
      }
      return send(res, ready ? 200 : 503, ready ? 'ready' : 'not ready');
    }
    const text = await registry.metrics();
    return send(res, 200, text, registry.contentType);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err: errorMessage(err), path: req.url }, 'health server request failed');
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  });
  // Scrapers keep connections alive; a short keep-alive keeps close() from waiting long.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err: errorMessage(err) }, 'health server error'));
  const port = (server.address() as AddressInfo).port;
  logger.info({ host, port }, 'health server listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() waits for idle keep-alive sockets on older Node versions; drop them.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
