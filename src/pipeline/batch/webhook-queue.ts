import { randomUUID } from 'node:crypto';
import type { AppConfig, BatchingConfig, WebhookConfig } from '../../config/types.js';
import type { Batch, BatchItem } from './types.js';
import { BODY_OVERHEAD_BYTES } from '../deliver/wire.js';


const DEFAULT_STALL_MS = 250;

export interface WebhookQueueOptions {
  app: AppConfig;
  webhook: WebhookConfig;
  batching: BatchingConfig;
  /** A batch is sealed before its body would pass this many bytes. */
  maxBodyBytes: number;
  /** Batches are operator redeliveries (X-Hookstream-Replay: true). @defaultValue false */
  replay?: boolean;
  /** Deliveries of this webhook running at once. */
  concurrency: number;
  /**
   * Events that may wait here (sealed batches, not running ones, not the open window) while
   * the endpoint is stalled: every delivery slot busy and none freed for `stallMs`. Past
   * both, the newest sealed batches are given to `overflow`, so that an endpoint that hangs
   * or crawls cannot fill the service's in-flight budget and stall every other endpoint. A
   * queue that is long only because a backlog is being drained keeps moving, so it is never
   * shed: the global in-flight bound (the consumer waits for room) is what holds it.
   * @defaultValue Infinity
   */
  maxQueuedEvents?: number;
  /** @defaultValue 250 */
  stallMs?: number;
  /** Takes a batch shed by `maxQueuedEvents` (the service defers it to a retry tier). */
  overflow?: (batch: Batch) => void;
  /**
   * Delivers (or hands off) one batch. The returned promise settles when the batch is
   * finished with; it must not reject (failures are the sender's to route).
   */
  send: (batch: Batch) => Promise<void>;
}

/**
 * The window and the send queue of one (app, webhook).
 *
 * Events collect in an open window. The window is sealed into a batch when it reaches
 * `size` events, when one more event would pass the byte cap, or when it is due
 * (`duration` ms after its first event) and a delivery slot is free. While every slot is
 * busy, a due window keeps filling up to `size`, so a slow endpoint gets fewer, larger
 * batches instead of an ever longer queue of small ones. Full windows wait in `#sealed`.
 */
export class WebhookQueue {
  readonly #o: WebhookQueueOptions;
  #window: BatchItem[] = [];
  #windowBytes = BODY_OVERHEAD_BYTES;
  #timer: NodeJS.Timeout | undefined;
  #due = false;
  readonly #sealed: Batch[] = [];
  #running = 0;
  #queuedEvents = 0;
  /** When the latest delivery started: a slot was free then. */
  #lastStartAt = 0;
  #shedTimer: NodeJS.Timeout | undefined;
  /** Start times of the running deliveries, oldest first. */
  readonly #runningSince: number[] = [];
  #idle: (() => void)[] = [];

  constructor(options: WebhookQueueOptions) {
    this.#o = options;
  }

  /** Events waiting here (open window + sealed batches), not counting running deliveries. */
  get queuedEvents(): number {
    return this.#queuedEvents;
  }

  get running(): number {
    return this.#running;
  }

  /** When the latest delivery started (a slot was free then); 0 before the first. */
  get lastStartAt(): number {
    return this.#lastStartAt;
  }

  /** When the longest-running delivery started (undefined when none runs). */
  get oldestRunningSince(): number | undefined {
    return this.#runningSince[0];
  }

  /**
   * Not keeping up: events are waiting, every delivery slot is busy, and no slot has freed
   * up for longer than `stallMs`. A retry record for such an endpoint is better moved to a
   * later tier than queued here.
   */
  get congested(): boolean {
    return this.#queuedEvents > 0 && this.#stalledForMs() > 0;
  }

  /** How long past `stallMs` the endpoint has been stalled (≤ 0: not stalled, or not yet). */
  #stalledForMs(): number {
    if (this.#running < this.#o.concurrency) return -Infinity;
    return Date.now() - this.#lastStartAt - (this.#o.stallMs ?? DEFAULT_STALL_MS);
  }

  add(item: BatchItem): void {
    const { batching, maxBodyBytes } = this.#o;
    // One more event would pass the byte cap: seal what we have first. A single event
    // larger than the cap still goes out alone rather than being stuck forever.
    if (this.#window.length > 0 && this.#windowBytes + 1 + item.bytes > maxBodyBytes) this.#seal();
    this.#window.push(item);
    this.#windowBytes += item.bytes + (this.#window.length > 1 ? 1 : 0);
    this.#queuedEvents++;
    if (!batching.enabled || this.#window.length >= batching.size) {
      this.#seal();
    } else if (this.#window.length === 1) {
      this.#due = false;
      if (batching.duration === 0) this.#due = true;
      else this.#timer = setTimeout(() => this.#onDue(), batching.duration);
    }
    this.#pump();
    this.#shed();
  }

  /** Re-queues an already sealed batch (a retry record, a redelivery): sent as it is. */
  enqueue(batch: Batch): void {
    this.#sealed.push(batch);
    this.#queuedEvents += batch.items.length;
    this.#pump();
    this.#shed();
  }

  /**
   * Over the cap: the newest sealed batches leave first. Only sealed batches leave: the
   * open window goes once it is full like any other, so a congested endpoint's events are
   * deferred in full batches (one Kafka record per `size` events), not one record per
   * arriving event. (Order is not kept across a deferral, as across any retry.)
   */
  #shed(): void {
    const max = this.#o.maxQueuedEvents;
    const overflow = this.#o.overflow;
    if (max === undefined || !overflow) return;
    if (this.#queuedEvents - this.#window.length <= max) return;
    const stalled = this.#stalledForMs();
    if (stalled === -Infinity) return; // a slot is free: the queue is moving
    if (stalled <= 0) {
      const wait = 1 - stalled;
      // Check again when it would count as stalled: by then the consumer may be waiting for
      // room (in-flight bound reached), so no new event would bring us back here. Unref'd:
      // a check due after shutdown has nothing to hold the process for.
      this.#shedTimer ??= setTimeout(() => {
        this.#shedTimer = undefined;
        this.#shed();
      }, wait).unref();
      return;
    }
    while (this.#queuedEvents - this.#window.length > max) {
      const batch = this.#sealed.pop();
      if (!batch) break;
      this.#queuedEvents -= batch.items.length;
      overflow(batch);
    }
    this.#notifyIdle();
  }

  /** Seals the open window now (shutdown): everything queued goes out as soon as slots allow. */
  flush(): void {
    if (this.#window.length > 0) this.#seal();
    this.#pump();
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.#running === 0 && this.#queuedEvents === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops the window timer (the queue is being discarded). */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#shedTimer) clearTimeout(this.#shedTimer);
    this.#shedTimer = undefined;
  }

  /** Removes and returns everything queued but not running (for handing off at shutdown). */
  drain(): Batch[] {
    this.flush();
    const batches = this.#sealed.splice(0);
    for (const b of batches) this.#queuedEvents -= b.items.length;
    this.#notifyIdle();
    return batches;
  }

  #onDue(): void {
    this.#timer = undefined;
    this.#due = true;
    this.#pump();
  }

  #seal(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = false;
    const items = this.#window;
    this.#window = [];
    this.#windowBytes = BODY_OVERHEAD_BYTES;
    const batch: Batch = { deliveryId: randomUUID(), app: this.#o.app, webhook: this.#o.webhook, items, attempts: 0, tier: -1 };
    if (this.#o.replay) batch.replay = true;
    this.#sealed.push(batch);
  }

  #pump(): void {
    while (this.#running < this.#o.concurrency) {
      if (this.#sealed.length === 0) {
        if (this.#due && this.#window.length > 0) this.#seal();
        else break;
      }
      const batch = this.#sealed.shift()!;
      this.#queuedEvents -= batch.items.length;
      this.#running++;
      const since = Date.now();
      this.#lastStartAt = since;
      this.#runningSince.push(since);
      void this.#o.send(batch).finally(() => {
        this.#running--;
        this.#runningSince.splice(this.#runningSince.indexOf(since), 1);
        this.#pump();
        // The slot went to the next batch: if that one hangs too, nothing else may come
        // by to notice (the consumer can be paused), so arm the stall check here as well.
        this.#shed();
        this.#notifyIdle();
      });
    }
  }

  #notifyIdle(): void {
    if (this.#running === 0 && this.#queuedEvents === 0 && this.#idle.length > 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
