import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { AppConfig } from '../../config/types.js';
import type { Logger } from '../../observability/logger.js';
import { relayLogLine } from '../../observability/thread-log.js';
import { Respawner } from '../../thread-respawn.js';
import type { HttpDelivererOptions } from './http.js';
import type { LambdaDelivererOptions } from './lambda.js';
import type { Deliverer, DeliveryOutcome, DeliveryRequest, DeliveryWebhook } from './types.js';

/** What a delivery thread starts with (structured-cloneable: no functions). */
export interface WorkerInit {
  http?: Omit<HttpDelivererOptions, 'now'>;
  lambda?: Omit<LambdaDelivererOptions, 'now' | 'logger' | 'credentials'>;
  logLevel: string;
}

/** Main thread → delivery thread. */
export type ToWorker =
  | { type: 'target'; ref: number; app: Pick<AppConfig, 'id' | 'key' | 'secret'>; webhook: DeliveryWebhook }
  | { type: 'deliver'; id: number; ref: number; deliveryId: string; attempt: number; replay: boolean; events: string }
  | { type: 'close' }
  | { type: 'destroy' };

/** Delivery thread → main thread. */
export type FromWorker = { type: 'outcome'; id: number; outcome: DeliveryOutcome } | { type: 'log'; line: string } | { type: 'closed' };

export interface ThreadedDelivererOptions {
  /** Delivery threads; each webhook is always served by the same one (its keep-alive pool). @defaultValue 1 */
  threads?: number;
  http?: WorkerInit['http'];
  lambda?: WorkerInit['lambda'];
  /** Receives the threads' log lines. */
  logger: Logger;
  /**
   * The delivery thread's script. Tests pass one that fails at start, to check that such
   * a thread is not restarted in a tight loop. @internal @defaultValue `./worker.js`
   */
  workerUrl?: URL;
}

interface Thread {
  worker: Worker;
  /** Target refs this thread has been told about. */
  known: Set<number>;
  pending: Map<number, (outcome: DeliveryOutcome) => void>;
  closed: (() => void) | undefined;
  /** `performance.now()` when it was started: how long it was up decides its replacement's delay. */
  startedAt: number;
  /** Set on exit; the slot keeps the exited thread until its replacement starts. */
  exited: boolean;
}

/**
 * A Deliverer that does the delivering on worker threads (`deliver/worker.ts`): the main
 * thread sends each batch's events as one JSON string and gets the outcome back. Body
 * assembly, HMAC signing and the HTTP client's work (undici, sockets) are a fifth of a
 * busy service thread's time, and with them elsewhere the main thread keeps up with a
 * faster consumer. A thread that dies fails its running deliveries (they are retried like
 * any network failure) and is replaced; one that keeps dying, after a growing delay.
 */
export class ThreadedDeliverer implements Deliverer {
  readonly #o: ThreadedDelivererOptions;
  readonly #threads: Thread[] = [];
  /** One per slot of `#threads`. */
  readonly #respawners: Respawner[] = [];
  readonly #refs = new WeakMap<DeliveryWebhook, number>();
  #nextRef = 0;
  #nextId = 0;
  #closing: Promise<void> | undefined;

  constructor(options: ThreadedDelivererOptions) {
    this.#o = options;
    const count = Math.max(1, options.threads ?? 1);
    for (let i = 0; i < count; i++) {
      this.#threads.push(this.#spawn());
      this.#respawners.push(new Respawner());
    }
  }

  deliver(request: DeliveryRequest): Promise<DeliveryOutcome> {
    if (this.#closing) return Promise.resolve({ ok: false, kind: 'network', message: 'deliverer is closed', durationMs: 0 });
    let ref = this.#refs.get(request.webhook);
    if (ref === undefined) {
      ref = this.#nextRef++;
      this.#refs.set(request.webhook, ref);
    }
    const index = ref % this.#threads.length;
    const thread = this.#threads[index]!;
    // Its replacement waits out a restart delay: fail now (retried like any network
    // failure) rather than post to a thread that will never answer.
    if (thread.exited) return Promise.resolve({ ok: false, kind: 'network', message: 'delivery thread is restarting', durationMs: 0 });
    if (!thread.known.has(ref)) {
      const { id, key, secret } = request.app;
      const { id: webhookId, target, headers, request_timeout_ms } = request.webhook;
      this.#post(thread, { type: 'target', ref, app: { id, key, secret }, webhook: { id: webhookId, target, headers, request_timeout_ms } });
      thread.known.add(ref);
    }
    const id = this.#nextId++;
    return new Promise<DeliveryOutcome>((resolve) => {
      thread.pending.set(id, resolve);
      this.#post(thread, {
        type: 'deliver',
        id,
        ref,
        deliveryId: request.deliveryId,
        attempt: request.attempt,
        replay: request.replay === true,
        events: request.eventsJson.join(','),
      });
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown('close');
    return this.#closing;
  }

  destroy(): Promise<void> {
    // Also after close() began: the threads abort what runs, so the close finishes now.
    for (const thread of this.#threads) if (!thread.exited) this.#post(thread, { type: 'destroy' });
    this.#closing ??= this.#shutdown('destroy');
    return this.#closing;
  }

  async #shutdown(how: 'close' | 'destroy'): Promise<void> {
    // A slot waiting to restart has nothing to close, and must not start a thread now.
    for (const respawner of this.#respawners) respawner.cancel();
    await Promise.all(
      this.#threads.map(async (thread) => {
        if (thread.exited) return;
        const closed = new Promise<void>((resolve) => (thread.closed = resolve));
        this.#post(thread, { type: how });
        await closed;
        await thread.worker.terminate();
      }),
    );
  }

  /** Ends one delivery thread the way a crash would. For tests of the recovery path. @internal */
  async terminateThread(index: number): Promise<void> {
    await this.#threads[index]?.worker.terminate();
  }

  #post(thread: Thread, message: ToWorker): void {
    thread.worker.postMessage(message);
  }

  #spawn(): Thread {
    const init: WorkerInit = {
      logLevel: this.#o.logger.level,
      ...(this.#o.http ? { http: this.#o.http } : {}),
      ...(this.#o.lambda ? { lambda: this.#o.lambda } : {}),
    };
    const worker = new Worker(this.#o.workerUrl ?? new URL('./worker.js', import.meta.url), { workerData: init });
    const thread: Thread = { worker, known: new Set(), pending: new Map(), closed: undefined, startedAt: performance.now(), exited: false };
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'outcome': {
          const resolve = thread.pending.get(message.id);
          thread.pending.delete(message.id);
          resolve?.(message.outcome);
          return;
        }
        case 'log':
          relayLogLine(this.#o.logger, message.line, 'delivery');
          return;
        case 'closed':
          thread.closed?.();
          return;
      }
    });
    worker.on('error', (err) => this.#o.logger.error({ err: err.message }, 'delivery thread failed'));
    worker.on('exit', (code) => {
      // Whatever ran there has no answer coming: fail it now (the events are retried), and
      // unless we are shutting down, put a new thread in its place: at once after a thread
      // that ran, after a growing delay when threads keep dying (see thread-respawn.ts).
      thread.exited = true;
      for (const resolve of thread.pending.values()) {
        resolve({ ok: false, kind: 'network', message: `delivery thread exited (code ${code})`, durationMs: 0 });
      }
      thread.pending.clear();
      thread.closed?.();
      if (this.#closing) return;
      const index = this.#threads.indexOf(thread);
      if (index < 0) return;
      const delayMs = this.#respawners[index]!.schedule(performance.now() - thread.startedAt, () => {
        if (!this.#closing) this.#threads[index] = this.#spawn();
      });
      this.#o.logger.error({ code, restart_delay_ms: delayMs }, 'delivery thread exited; starting a new one');
    });
    return thread;
  }
}
