import { createHmac } from 'node:crypto';
import { VERSION } from '../../version.js';

/**
 * HMAC-SHA256 of the exact body bytes keyed with the app secret, as lowercase hex with no
 * `sha256=` prefix: what Pusher, Sockudo and soketi send, and what the official SDKs
 * compare against (case-sensitively). A string body is signed as its UTF-8 bytes, which
 * are the bytes that go on the wire.
 */
export function sign(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The exact content type: the Node SDK compares it with `===`, so no `; charset=utf-8`. */
export const CONTENT_TYPE = 'application/json';

export const USER_AGENT = `hookstream/${VERSION}`;

/**
 * Header names (lower case) that a webhook's own `headers` can never set: the body and
 * signature depend on them, or they describe the transport. Config loading already rejects
 * them; they are dropped here as well so that no other path (replay tools, tests, a future
 * config source) can produce a request whose signature headers were replaced.
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'host',
  'x-pusher-key',
  'x-pusher-signature',
  'transfer-encoding',
  'connection',
]);

/** True when a webhook's custom header `name` is not allowed to be sent (case-insensitive). */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || lower.startsWith('x-hookstream-');
}

export interface SignedHeadersInput {
  /** The exact body that will be sent. */
  body: string | Buffer;
  app: { key: string; secret: string };
  deliveryId: string;
  attempt: number;
  /** Adds `X-Hookstream-Replay: true` when set. @defaultValue false */
  replay?: boolean;
  /** The webhook's own headers; reserved names are dropped. @defaultValue {} */
  custom?: Readonly<Record<string, string>>;
}

/**
 * The full header set of one attempt. Custom headers come first and may replace
 * `User-Agent`; they can never replace the content type, the signature headers or the
 * `X-Hookstream-*` headers. Names are de-duplicated case-insensitively, so a custom
 * `user-agent` replaces ours instead of being sent next to it.
 */
export function signedHeaders(input: SignedHeadersInput): Record<string, string> {
  const byLower = new Map<string, [name: string, value: string]>();
  byLower.set('user-agent', ['User-Agent', USER_AGENT]);
  if (input.custom !== undefined) {
    for (const [name, value] of Object.entries(input.custom)) {
      if (isReservedHeader(name)) continue;
      byLower.set(name.toLowerCase(), [name, value]);
    }
  }
  byLower.set('content-type', ['Content-Type', CONTENT_TYPE]);
  byLower.set('x-pusher-key', ['X-Pusher-Key', input.app.key]);
  byLower.set('x-pusher-signature', ['X-Pusher-Signature', sign(input.body, input.app.secret)]);
  byLower.set('x-hookstream-delivery-id', ['X-Hookstream-Delivery-Id', input.deliveryId]);
  byLower.set('x-hookstream-attempt', ['X-Hookstream-Attempt', String(input.attempt)]);
  if (input.replay === true) byLower.set('x-hookstream-replay', ['X-Hookstream-Replay', 'true']);
  const headers: Record<string, string> = {};
  for (const [name, value] of byLower.values()) headers[name] = value;
  return headers;
}
