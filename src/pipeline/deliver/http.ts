import { Agent, request, type Dispatcher } from 'undici';
import type { Deliverer, DeliveryOutcome, DeliveryRequest, FailureKind } from './types.js';
import { buildBody } from './wire.js';
import { signedHeaders } from './signing.js';
import { attemptRecorder, describeError, errorCode, redact, secretValues, snippet } from './failure-text.js';

export interface HttpDelivererOptions {
  /**
   * A cap on sockets per origin (scheme + host + port). By default there is none: each
   * webhook already runs at most `delivery.concurrency_per_endpoint` deliveries, and a
   * second, hidden cap per origin would make the webhooks that share a host (or one
   * webhook with a higher concurrency) queue in undici, where the wait counts against
   * `request_timeout_ms` and ends in false timeouts and retries.
   * @defaultValue no cap
   */
  connectionsPerOrigin?: number;
  /**
   * Upper bound for establishing a TCP/TLS connection. The webhook's
   * `request_timeout_ms` still bounds the whole exchange, connecting included.
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
  /**
   * How long an idle keep-alive socket is kept (undici lowers it when the server
   * announces a shorter `Keep-Alive: timeout`).
   * @defaultValue 4000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Bytes of a failed response's body kept for the outcome message.
   * @defaultValue 1024
   */
  maxErrorBodyBytes?: number;
  /**
   * A response body longer than this is not read to its end: the socket is destroyed
   * instead of being drained for reuse.
   * @defaultValue 65536
   */
  maxDrainBytes?: number;
  /** Clock for the body's `time_ms` (tests pin it). @defaultValue Date.now */
  now?: () => number;
}

export interface HttpDeliverer extends Deliverer {
  /** Aborts running requests and closes every socket. Idempotent. */
  destroy(): Promise<void>;
}

/** Marks the abort that our own overall deadline caused, as opposed to any other abort. */
class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no complete response within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Delivers batches as signed HTTP POSTs through one undici `Agent`, which keeps a
 * keep-alive pool per origin. Redirects are never followed (undici's `request` does not
 * follow them without a redirect interceptor, and none is installed): a 3xx is a failure.
 */
export function createHttpDeliverer(options: HttpDelivererOptions = {}): HttpDeliverer {
  const maxErrorBodyBytes = options.maxErrorBodyBytes ?? 1024;
  const maxDrainBytes = options.maxDrainBytes ?? 64 * 1024;
  const now = options.now ?? Date.now;
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? null,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  });
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;

  async function attempt(req: DeliveryRequest): Promise<DeliveryOutcome> {
    const { elapsed, fail, secrets } = attemptRecorder(req);

    const target = req.webhook.target;
    if (target.kind !== 'http') return fail('invalid_target', `webhook ${req.webhook.id} is not an http target`);
    if (closing !== undefined || destroying !== undefined) return fail('network', 'http deliverer is closed');

    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      return fail('invalid_target', 'webhook url is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('invalid_target', `unsupported URL scheme ${url.protocol}`);

    const custom: Record<string, string> = { ...req.webhook.headers };
    if (url.username !== '' || url.password !== '') {
      // Credentials in the URL mean HTTP basic auth (as curl and Sockudo's reqwest do);
      // they are sent as a header and never as part of the URL.
      let user: string;
      let pass: string;
      try {
        user = decodeURIComponent(url.username);
        pass = decodeURIComponent(url.password);
      } catch {
        return fail('invalid_target', 'webhook url has malformed credentials');
      }
      if (!Object.keys(custom).some((k) => k.toLowerCase() === 'authorization')) {
        custom.Authorization = 'Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
      }
      url.username = '';
      url.password = '';
    }

    // A fresh time_ms and signature on every attempt: SDKs reject stale time_ms. Encoded to
    // UTF-8 once, here: signing a string and sending a string would each encode it again.
    const body = Buffer.from(buildBody(req.eventsJson, now()), 'utf8');
    const headers = signedHeaders({
      body,
      app: req.app,
      deliveryId: req.deliveryId,
      attempt: req.attempt,
      replay: req.replay === true,
      custom,
    });

    const timeoutMs = req.webhook.request_timeout_ms;
    // headersTimeout/bodyTimeout are idle timers (undici resets bodyTimeout on every
    // chunk), so a receiver that trickles a byte at a time would defeat them; this
    // deadline bounds the whole exchange, connecting and queueing included.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DeadlineExceeded(timeoutMs)), timeoutMs);
    let res: Dispatcher.ResponseData | undefined;
    try {
      res = await request(url, {
        dispatcher: agent,
        method: 'POST',
        headers,
        body,
        signal: deadline.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        // The status is the receiver's answer: the webhook is delivered. Its body is only
        // read to reuse the socket; one that breaks off or trickles past the deadline costs
        // the socket, never a second delivery of events the receiver has accepted.
        try {
          await drain(res.body, maxDrainBytes);
        } catch {
          if (!res.body.destroyed) res.body.destroy();
        }
        return { ok: true, statusCode: status, durationMs: elapsed() };
      }
      // The status is the answer here too: a 410 whose body stalls or breaks off is still a
      // 410 (permanent), and a 429's Retry-After still counts. The body is only an excerpt
      // for the message; if it does not come, the socket is dropped and the status stands.
      let head: Buffer | undefined;
      try {
        head = await readHead(res.body, maxErrorBodyBytes, maxDrainBytes);
      } catch {
        if (!res.body.destroyed) res.body.destroy();
      }
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], Date.now());
      let message = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
      // Masked before it is cut to length: a secret across the cut would otherwise survive in part.
      const text = head === undefined ? '(body not received: it broke off or was too slow)' : snippet(redact(head.toString('utf8'), secrets()));
      if (text !== '') message += `: ${text}`;
      return fail('http_status', message, retryAfterMs === undefined ? { statusCode: status } : { statusCode: status, retryAfterMs });
    } catch (err) {
      if (res !== undefined && !res.body.destroyed) res.body.destroy();
      if (deadline.signal.aborted) return fail('timeout', `no complete response within ${timeoutMs} ms`);
      return fail(classify(err), describeError(err, secrets()));
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    deliver(req: DeliveryRequest): Promise<DeliveryOutcome> {
      // A deliverer reports failures as outcomes and never rejects; anything unforeseen
      // becomes a retryable failure rather than an exception in the pipeline.
      return attempt(req).catch(
        (err: unknown): DeliveryOutcome => ({ ok: false, kind: 'network', message: describeError(err, secretValues(req)), durationMs: 0 }),
      );
    },
    close(): Promise<void> {
      closing ??= (destroying ?? agent.close()).catch(() => undefined);
      return closing;
    },
    destroy(): Promise<void> {
      destroying ??= agent.destroy().catch(() => undefined);
      return destroying;
    },
  };
}

/**
 * Maps an undici/Node error to a failure kind by its stable `code`, never its message.
 * Unknown errors count as `network`, which is retried: a dead letter for an error we did
 * not foresee would be the worse guess.
 */
export function classify(err: unknown): FailureKind {
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : '';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
    case 'ERR_INVALID_URL':
    case 'ERR_INVALID_ARG_TYPE':
    case 'ERR_INVALID_ARG_VALUE':
      return 'invalid_target';
    default:
      break;
  }
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
  return 'network';
}

/** Reads and drops a body, keeping the socket reusable; a huge body is destroyed instead. */
async function drain(body: Dispatcher.ResponseData['body'], limit: number): Promise<void> {
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen += chunk.length;
    // Leaving the loop destroys the stream and with it the socket: cheaper than reading
    // megabytes that nobody looks at.
    if (seen > limit) break;
  }
}

/** Keeps the first `keep` bytes of a body and drains the rest (up to `limit`). */
async function readHead(body: Dispatcher.ResponseData['body'], keep: number, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (kept < keep) {
      const part = chunk.subarray(0, keep - kept);
      parts.push(part);
      kept += part.length;
    }
    if (seen > limit) break;
  }
  return Buffer.concat(parts);
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP-date (RFC 9110
 * 10.2.3). Unparseable values are ignored; a date in the past means 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse accepts far more than HTTP-dates (e.g. "5"); require a weekday or
  // month name so that garbage is not taken for a date.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
