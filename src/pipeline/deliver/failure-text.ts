import { performance } from 'node:perf_hooks';
import type { AppConfig, WebhookConfig } from '../../config/types.js';
import type { DeliveryOutcome, DeliveryRequest, FailureKind } from './types.js';
/**
 * Building the short `message` of a failed outcome. Messages go to logs and dead-letter
 * records, so they must never carry the app secret or a webhook header value (an
 * `Authorization` token, say) — not even when a receiver echoes them back in its error
 * body — and must stay short whatever a receiver sends.
 */

/** Values shorter than this are not redacted: masking every "1" would garble messages, and such values are not secrets. */
const MIN_REDACT_LENGTH = 4;

/**
 * Replaces every occurrence of each secret value in `text` with `[redacted]`, longest
 * first, so that a secret containing another (a Basic header and the token inside it) is
 * masked whole.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= MIN_REDACT_LENGTH && out.includes(s)) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** Longest response-body excerpt kept in a message, in characters. */
export const MAX_SNIPPET_CHARS = 200;

/** Printable, single-line, bounded text from response bytes (which may be binary garbage). */
export function snippet(bytes: Buffer | Uint8Array | string, maxChars: number = MAX_SNIPPET_CHARS): string {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const clean = printable(text);
  return clean.length > maxChars ? clean.slice(0, maxChars) + '…' : clean;
}

/** Control characters and replacement characters as spaces, runs of whitespace as one. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Bytes (or UTF-16 units of a string) of an answer that `redactedSnippet` looks at. A
 * Lambda function's error payload can be 6 MB; decoding and scanning all of it for an
 * excerpt of a few hundred characters is wasted work on the failure path, which is
 * exactly the path a failing endpoint keeps busy.
 */
export const SNIPPET_SCAN_BYTES = 4096;

/**
 * `snippet` of text that may hold secrets, masked before it is cut to length (masking
 * after the cut would leave the part of a secret in front of the cut), reading no more
 * than the first `scanBytes` of it. The scanned prefix is longer than the excerpt, so a
 * secret across the excerpt's end is whole in it and masked. A secret across the end of
 * the scanned prefix is not whole there and cannot be recognised; the prefix loses as many
 * trailing characters as the longest secret has, which drops any such beginning (it can
 * only reach the excerpt when whitespace collapsing pulled the end of the prefix in).
 */
export function redactedSnippet(
  input: Uint8Array | string,
  secrets: readonly string[],
  maxChars: number = MAX_SNIPPET_CHARS,
  scanBytes: number = SNIPPET_SCAN_BYTES,
): string {
  const scan = Math.max(scanBytes, maxChars);
  let text: string;
  let partial: boolean;
  if (typeof input === 'string') {
    partial = input.length > scan;
    text = partial ? input.slice(0, scan) : input;
  } else {
    partial = input.byteLength > scan;
    // `stream: true` holds back a character cut in two at the end instead of decoding it to U+FFFD.
    text = new TextDecoder('utf-8').decode(partial ? input.subarray(0, scan) : input, { stream: partial });
  }
  let masked = redact(text, secrets);
  if (partial) {
    // What is left of a secret the prefix cut off is raw text at the very end of `masked`
    // (masking only changed text before it), and shorter than the longest secret.
    const longest = secrets.reduce((n, secret) => Math.max(n, secret.length), 0);
    masked = masked.slice(0, Math.max(0, masked.length - longest));
  }
  const clean = printable(masked);
  if (clean.length > maxChars) return clean.slice(0, maxChars) + '…';
  return partial && clean !== '' ? clean + '…' : clean;
}

/** The stable `code` of an error, looking into AggregateError (happy eyeballs) and `cause`. */
export function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      current = errors[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * `CODE: message` of an error, its first nested error's message when its own is empty.
 * `secrets` are masked before the message is cut to length, so that no part of one is left.
 */
export function describeError(err: unknown, secrets: readonly string[] = []): string {
  const code = errorCode(err);
  let message = err instanceof Error ? err.message : String(err);
  if (message === '' && err instanceof AggregateError && err.errors.length > 0) {
    const first: unknown = err.errors[0];
    message = first instanceof Error ? first.message : String(first);
  }
  const name = err instanceof Error ? err.name : 'Error';
  const text = snippet(redact(message, secrets), 300) || name;
  return code !== undefined && !text.includes(code) ? `${code}: ${text}` : text;
}

/** The values that must never appear in an outcome message, a log line or a Kafka record. */
export function secretValues(req: DeliveryRequest): string[] {
  return webhookSecrets(req.app, req.webhook);
}

/**
 * Every value of an app and webhook that is or holds a credential: the app secret; each
 * header value, and for `<scheme> <credentials>` values (an Authorization header) the
 * credentials alone, since a receiver may echo the token without its "Bearer "; for Basic
 * credentials also what they decode to; the user and password of the URL and the Basic
 * header hookstream makes of them; and the URL's query values (`?token=...`).
 */
export function webhookSecrets(app: Pick<AppConfig, 'secret'>, webhook: Pick<WebhookConfig, 'headers' | 'target'>): string[] {
  const out = [app.secret];
  const credential = (value: string): void => {
    out.push(value);
    const scheme = /^(\S+)\s+(\S.*)$/.exec(value);
    if (!scheme) return;
    out.push(scheme[2]!);
    if (scheme[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(scheme[2]!, 'base64').toString('utf8');
      out.push(decoded, ...decoded.split(':'));
    }
  };
  for (const value of Object.values(webhook.headers)) credential(value);
  if (webhook.target.kind === 'http') {
    let url: URL | undefined;
    try {
      url = new URL(webhook.target.url);
    } catch {
      // Config loading validated the URL; nothing to collect from one that is not.
    }
    if (url) {
      const decode = (raw: string): string => {
        try {
          return decodeURIComponent(raw);
        } catch {
          return raw;
        }
      };
      if (url.username !== '' || url.password !== '') {
        const user = decode(url.username);
        const pass = decode(url.password);
        out.push(url.username, user, url.password, pass);
        // The header the HTTP deliverer sends for URL credentials.
        credential('Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64'));
      }
      for (const [, value] of url.searchParams) out.push(value, encodeURIComponent(value));
    }
  }
  return out.filter((s) => s.length >= MIN_REDACT_LENGTH);
}

/**
 * The timing and failure helpers of one attempt: `elapsed()` since the start, and `fail()`
 * building a failed outcome whose message is redacted of the request's `secrets`.
 */
export function attemptRecorder(req: DeliveryRequest): {
  /** The request's secrets, collected on first use: only a failure needs them. */
  secrets: () => string[];
  elapsed: () => number;
  fail: (kind: FailureKind, message: string, extra?: { statusCode?: number; retryAfterMs?: number }) => DeliveryOutcome;
} {
  const started = performance.now();
  let collected: string[] | undefined;
  const secrets = (): string[] => (collected ??= secretValues(req));
  const elapsed = (): number => performance.now() - started;
  return {
    secrets,
    elapsed,
    fail: (kind, message, extra = {}) => ({ ok: false, kind, ...extra, message: redact(message, secrets()), durationMs: elapsed() }),
  };
}
