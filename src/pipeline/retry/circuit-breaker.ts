/**
 * Endpoint isolation: after `failures` consecutive retryable failures an endpoint's circuit
 * opens, and its batches go to the retry tier whose delay covers the rest of the cooldown
 * without an attempt, so a dead endpoint costs nothing but a Kafka write. After
 * `cooldownMs` one probe is let through (half-open); its result closes or re-opens the
 * circuit.
 *
 * Each attempt carries the kind `allow()` gave it, because results arrive out of order:
 * with several deliveries running, requests started before the circuit opened finish
 * after it. Such a late failure is not counted again (it would push the cooldown out) and
 * is never taken for the probe's result. A late success does close the circuit: the
 * endpoint answered.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** What `allow()` let through: an ordinary attempt, or the one probe of a half-open circuit. */
export type AttemptKind = 'attempt' | 'probe';

export class CircuitBreaker {
  readonly #failures: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #consecutive = 0;
  #openedAt = 0;
  #state: CircuitState = 'closed';
  #probing = false;

  constructor(options: { failures: number; cooldownMs: number; now?: () => number }) {
    this.#failures = options.failures;
    this.#cooldownMs = options.cooldownMs;
    this.#now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#cooldownMs) this.#state = 'half_open';
    return this.#state;
  }

  /** Time left until an open circuit lets a probe through (0 unless open). */
  remainingMs(): number {
    return this.state === 'open' ? Math.max(0, this.#cooldownMs - (this.#now() - this.#openedAt)) : 0;
  }

  /** May an attempt be made now, and of which kind? Half-open lets one probe at a time through. */
  allow(): AttemptKind | undefined {
    const state = this.state;
    if (state === 'closed') return 'attempt';
    if (state === 'open' || this.#probing) return undefined;
    this.#probing = true;
    return 'probe';
  }

  /** The endpoint answered (any attempt): the circuit closes. */
  success(kind: AttemptKind): void {
    if (kind === 'probe') this.#probing = false;
    this.#consecutive = 0;
    this.#state = 'closed';
  }

  /** A retryable failure of an attempt of `kind`. */
  failure(kind: AttemptKind): void {
    if (kind === 'probe') {
      this.#probing = false;
      // Unless another attempt's success closed the circuit meanwhile, the probe decides.
      if (this.#state !== 'closed') {
        this.#open();
        return;
      }
    }
    // Late results of attempts from before the circuit opened change nothing.
    if (this.#state !== 'closed') return;
    if (++this.#consecutive >= this.#failures) this.#open();
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#now();
  }
}
