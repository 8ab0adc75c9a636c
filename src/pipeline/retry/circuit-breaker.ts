/**
 * Endpoint isolation: after `failures` consecutive failed attempts an endpoint's circuit
 * opens, and its batches go straight to the first retry tier without an attempt, so a
 * dead endpoint costs nothing but a Kafka write. After `cooldownMs` one probe is let
 * through (half-open); its result closes or re-opens the circuit.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

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

  /** May an attempt be made now? In half-open state only one probe at a time. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#consecutive = 0;
    this.#probing = false;
    this.#state = 'closed';
  }

  failure(): void {
    this.#consecutive++;
    const wasProbe = this.#probing;
    this.#probing = false;
    if (wasProbe || this.#consecutive >= this.#failures) {
      this.#state = 'open';
      this.#openedAt = this.#now();
    }
  }
}
