/**
 * Per-partition bookkeeping of what may be committed. Kafka commits a single offset per
 * partition ("everything below this is done"), while deliveries finish out of order (one
 * endpoint is slow, another fast). So each taken record is an entry with a count of
 * unfinished work; the commit point is the first entry that still has work, and it only
 * moves forward once everything before it is finished. Offsets are JS numbers: exact up to
 * 2^53, far beyond any partition's offsets.
 */
export interface OffsetEntry {
  readonly offset: number;
  /** Unfinished deliveries (or handoffs) that still hold this record. */
  pending: number;
}

export class PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  /** Entries not yet passed by the commit point, in offset order, from `#head`. */
  #entries: OffsetEntry[] = [];
  #head = 0;
  /** The next offset the consumer should accept: one past the last record taken. */
  #next: number;
  #lastCommitted: number;
  /** Set when the partition is revoked: its work may finish, but nothing is committed. */
  #detached = false;
  #onDone: (() => void) | undefined;

  constructor(topic: string, partition: number, committedOffset: number, onDone?: () => void) {
    this.topic = topic;
    this.partition = partition;
    this.#next = committedOffset;
    this.#lastCommitted = committedOffset;
    this.#onDone = onDone;
  }

  /** Offset after the last record taken; a record below it is a re-fetch of one in flight. */
  get nextOffset(): number {
    return this.#next;
  }

  get detached(): boolean {
    return this.#detached;
  }

  /**
   * Registers a taken record held by `pending` units of work (0 when it was filtered out or
   * otherwise finished on the spot). Offsets must increase.
   */
  take(offset: number, pending: number): OffsetEntry {
    if (offset < this.#next) throw new Error(`offset ${offset} taken twice on ${this.topic}[${this.partition}] (next is ${this.#next})`);
    const entry: OffsetEntry = { offset, pending };
    this.#next = offset + 1;
    // A finished record at the head needs no entry: the commit point passes it at once.
    if (pending === 0 && this.#head === this.#entries.length) {
      return entry;
    }
    this.#entries.push(entry);
    return entry;
  }

  /** Adds work to a record still held (a batch split, a handoff that follows a delivery). */
  hold(entry: OffsetEntry, n = 1): void {
    entry.pending += n;
  }

  /** One unit of work on this record is finished (delivered, handed off, or dropped). */
  release(entry: OffsetEntry): void {
    if (entry.pending <= 0) throw new Error(`offset ${entry.offset} released more often than held`);
    entry.pending -= 1;
    if (entry.pending === 0) this.#onDone?.();
  }

  /**
   * The offset to commit now (the next one to read, per Kafka's convention), or null when
   * the commit point has not moved since the last `markCommitted`.
   */
  committable(): number | null {
    if (this.#detached) return null;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.pending === 0) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    const point = this.#head < this.#entries.length ? this.#entries[this.#head]!.offset : this.#next;
    return point > this.#lastCommitted ? point : null;
  }

  markCommitted(offset: number): void {
    if (offset > this.#lastCommitted) this.#lastCommitted = offset;
  }

  get lastCommitted(): number {
    return this.#lastCommitted;
  }

  /** The partition was revoked: stop committing for it; running work finishes unobserved. */
  detach(): void {
    this.#detached = true;
  }
}
