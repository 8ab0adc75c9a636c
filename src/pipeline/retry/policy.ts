import type { DeliveryOutcome } from '../deliver/types.js';

/**
 * The retry decision: one pure function of a failed attempt's outcome, the tier it was
 * on and the tier delays (`retry.delays_ms`). No clock, no I/O, no message parsing: it
 * reads the outcome's `kind`, `statusCode` and `retryAfterMs` only.
 */

export type FailedOutcome = Extract<DeliveryOutcome, { ok: false }>;

/**
 * `tier` is the retry tier the batch waits on; `progress` is the retry progress its record
 * carries (its `tier` field): the tier it would wait on had no `Retry-After` asked for
 * longer. They differ only after a `Retry-After` jump, which changes how long a retry
 * waits but does not use up the retries it skipped.
 */
export type RetryDecision = { action: 'retry'; tier: number; delayMs: number; progress: number } | { action: 'dead_letter'; reason: string };

/**
 * HTTP statuses below 500 that mean "try again later" rather than "never": Request
 * Timeout, Conflict, Too Early, Too Many Requests. The same list as Sockudo's, so a
 * receiver that relied on Sockudo's retries gets them here too.
 */
const RETRYABLE_4XX: ReadonlySet<number> = new Set([408, 409, 425, 429]);

/** Statuses whose `Retry-After` is honoured (RFC 9110 defines it for 429 and 503). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * Whether trying the same delivery again may succeed.
 *
 * - `network`, `timeout`, `lambda_error`: transient by nature.
 * - `function_error`: the Lambda function ran and threw. That is often transient (a
 *   database it calls was down), and hookstream cannot tell a bug from a blip, so it is
 *   retried; a function that always throws ends in the dead-letter topic after the last
 *   tier, from where it can be replayed once fixed.
 * - `http_status`: 5xx and 408/409/425/429 are retried; any other status (3xx since
 *   redirects are not followed, other 4xx) is permanent.
 * - `invalid_target`: permanent (bad URL, unknown function).
 * - `payload_too_large`: permanent. Lambda refused the payload's size, and a retry sends
 *   the same events again (only `time_ms` changes), so it would be refused on every tier.
 *   It has a kind of its own rather than `invalid_target` because the target is fine:
 *   the fix is a smaller `delivery.max_body_bytes`, not a different function.
 */
export function isRetryable(outcome: FailedOutcome): boolean {
  switch (outcome.kind) {
    case 'network':
    case 'timeout':
    case 'lambda_error':
    case 'function_error':
      return true;
    case 'invalid_target':
    case 'payload_too_large':
      return false;
    case 'http_status': {
      const s = outcome.statusCode;
      if (s === undefined) return false;
      return (s >= 500 && s <= 599) || RETRYABLE_4XX.has(s);
    }
  }
}

/** The stable dead-letter reason of a permanent failure: `http_404`, `redirect_301`, `invalid_target`, `payload_too_large`, ... */
function permanentReason(outcome: FailedOutcome): string {
  if (outcome.kind !== 'http_status') return outcome.kind;
  const s = outcome.statusCode;
  if (s === undefined) return 'http_unknown';
  return s >= 300 && s <= 399 ? `redirect_${s}` : `http_${s}`;
}

/**
 * What to do after a failed attempt.
 *
 * @param outcome - the failed attempt
 * @param currentTier - `-1` when the first attempt failed, `i` when the attempt was made
 *   from retry tier `i`
 * @param delaysMs - the delay of each tier, ascending (`retry.delays_ms`)
 * @returns retry on tier `currentTier + 1` after its delay, or a later tier when the
 *   receiver's `Retry-After` (on 429 or 503) asks for longer: the first tier whose delay
 *   is at least `retryAfterMs`, capped at the last tier. Either way the retry progress
 *   becomes `currentTier + 1`: a throttled batch still gets every retry (1 + the number of
 *   tiers attempts in all), each waiting as long as the receiver asked, up to the last
 *   tier's delay. Permanent failures dead-letter
 *   at once with their cause (`http_410`, `redirect_301`, `invalid_target`,
 *   `payload_too_large`); a retryable
 *   failure with no tier left dead-letters as `retries_exhausted`.
 */
export function decideRetry(outcome: FailedOutcome, currentTier: number, delaysMs: readonly number[]): RetryDecision {
  if (!isRetryable(outcome)) return { action: 'dead_letter', reason: permanentReason(outcome) };
  const last = delaysMs.length - 1;
  const next = Math.max(0, Math.trunc(currentTier) + 1);
  if (next > last) return { action: 'dead_letter', reason: 'retries_exhausted' };

  let tier = next;
  const retryAfter = outcome.retryAfterMs;
  if (
    retryAfter !== undefined &&
    outcome.statusCode !== undefined &&
    RETRY_AFTER_STATUSES.has(outcome.statusCode) &&
    retryAfter > delaysMs[next]
  ) {
    tier = last;
    for (let t = next + 1; t <= last; t++) {
      if (delaysMs[t] >= retryAfter) {
        tier = t;
        break;
      }
    }
  }
  return { action: 'retry', tier, delayMs: delaysMs[tier], progress: next };
}
