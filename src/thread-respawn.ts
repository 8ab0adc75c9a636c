/**
 * When to start a replacement for a worker thread that exited (the delivery threads and the
 * hand-off thread). A thread that crashes once after running fine is replaced at once: its
 * slot should be back before the next batch needs it. A thread that cannot start (a module
 * that fails to load, a native library missing on this machine) dies again within
 * milliseconds of every start; replaced at once each time, that is a tight loop of thread
 * starts and error lines that takes a core and buries the log. So each further exit of a
 * thread that did not stay up for `stableMs` waits longer before the next start: 100 ms,
 * doubling, up to 10 s.
 */

export interface RespawnPolicy {
  /** Delay before the second start in a row of a thread that keeps exiting. */
  initialMs: number;
  /** The longest delay between two starts. */
  maxMs: number;
  /** A thread that was up at least this long had started fine: its exit begins a new streak. */
  stableMs: number;
}

export const RESPAWN_POLICY: Readonly<RespawnPolicy> = { initialMs: 100, maxMs: 10_000, stableMs: 10_000 };

/** The exits in a row of threads that did not stay up for `stableMs`, the last one included. */
export type RespawnStreak = number;

/**
 * The pure decision: given the streak before this exit (0 for none) and how long the thread
 * that just exited was up, the new streak and the delay before its replacement starts.
 * The first exit of a streak is replaced at once, the n-th (n ≥ 2) after
 * `min(maxMs, initialMs * 2^(n-2))`.
 */
export function nextRespawn(
  streak: RespawnStreak,
  uptimeMs: number,
  policy: Readonly<RespawnPolicy> = RESPAWN_POLICY,
): { streak: RespawnStreak; delayMs: number } {
  const next = uptimeMs >= policy.stableMs ? 1 : Math.max(0, streak) + 1;
  if (next <= 1) return { streak: next, delayMs: 0 };
  // 2 ** 30 is far past any maxMs; the cap keeps the power finite for a long streak.
  const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(next - 2, 30));
  return { streak: next, delayMs };
}

/**
 * The respawn state of one thread slot: its streak and the pending start, if any. The work
 * that was on the exited thread is failed by its owner at once, before this is asked: the
 * delay holds back only the new thread.
 */
export class Respawner {
  readonly #policy: Readonly<RespawnPolicy>;
  #streak: RespawnStreak = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(policy: Readonly<RespawnPolicy> = RESPAWN_POLICY) {
    this.#policy = policy;
  }

  /** Whether a replacement is waiting for its delay to pass. */
  get waiting(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Runs `start` after the delay due for a thread that was up `uptimeMs` (at once, in this
   * call, when there is none) and returns that delay. A start still waiting is dropped.
   */
  schedule(uptimeMs: number, start: () => void): number {
    this.cancel();
    const { streak, delayMs } = nextRespawn(this.#streak, uptimeMs, this.#policy);
    this.#streak = streak;
    if (delayMs === 0) {
      start();
      return 0;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      start();
    }, delayMs);
    return delayMs;
  }

  /** Drops a waiting start (on shutdown). Idempotent. */
  cancel(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
