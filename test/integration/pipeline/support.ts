/**
 * Shared pieces of the pipeline acceptance tests (test/integration/pipeline/*.test.ts):
 * the wire form of an event written out from the compatibility table (not taken from
 * src/), a publisher at a fixed rate, a logger that keeps its lines, small statistics.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../../src/observability/logger.js';
import type { Producer, PublishEvent } from '../../../src/producer/index.js';
import type { Receiver } from '../../helpers/receiver.js';

/** A published event whose id and time_ms the test chose (so it knows them). */
export type Stamped = PublishEvent & { id: string; time_ms: number };

/** Gives each event a fresh UUID and, unless it has one, the current time. */
export function stamp(events: readonly PublishEvent[]): Stamped[] {
  return events.map((e) => ({ ...e, id: randomUUID(), time_ms: e.time_ms ?? Date.now() }));
}

/**
 * The event object a receiver must get for a published event: name, the event kind's
 * fields that are set, the event's own time_ms and its id; never app_id or node_id, never a
 * null field.
 */
export function wireEvent(e: Stamped): Record<string, unknown> {
  const out: Record<string, unknown> = { name: e.name };
  for (const field of ['channel', 'event', 'data', 'socket_id', 'user_id', 'subscription_count'] as const) {
    if (e[field] !== null && e[field] !== undefined) out[field] = e[field];
  }
  out.time_ms = e.time_ms;
  out.id = e.id;
  return out;
}

/** Ids of every event a receiver accepted (valid signature, 2xx), duplicates included. */
export function acceptedIds(receiver: Receiver): string[] {
  return receiver.acceptedEvents().map((e) => String(e.id));
}

/** How many ids occur more than once (each extra copy counts). */
export function duplicateCount(ids: readonly string[]): number {
  return ids.length - new Set(ids).size;
}

/** Ids of `expected` that `received` lacks. */
export function missingIds(expected: Iterable<string>, received: Iterable<string>): string[] {
  const got = new Set(received);
  return [...expected].filter((id) => !got.has(id));
}

/**
 * Publishes `events` in chunks of `chunk` at `perSecond` events per second, on an absolute
 * schedule (a slow publish is caught up, never drifts); each event's time_ms is the moment
 * its chunk is handed to the producer. Stops early, before a chunk, once `stop()` returns
 * true. Resolves with the published events once all are acknowledged.
 */
export async function publishAtRate(
  producer: Producer,
  events: readonly PublishEvent[],
  options: { perSecond: number; chunk: number; stop?: () => boolean },
): Promise<{ published: Stamped[]; startedAt: number; finishedAt: number }> {
  const published: Stamped[] = [];
  const intervalMs = (1000 * options.chunk) / options.perSecond;
  const startedAt = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0, k = 0; i < events.length; i += options.chunk, k++) {
    const due = startedAt + k * intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    if (options.stop?.() === true) break;
    const now = Date.now();
    const chunk = stamp(events.slice(i, i + options.chunk).map((e) => ({ ...e, time_ms: now })));
    published.push(...chunk);
    // Not awaited one by one: the producer keeps order, and a slow ack must not slow the rate.
    pending.push(producer.publishMany(chunk));
  }
  await Promise.all(pending);
  return { published, startedAt, finishedAt: Date.now() };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A service logger whose JSON lines are kept in memory (for counting group joins). */
export function memoryLogger(level = 'info'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      partial += chunk.toString('utf8');
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a JSON line: ignore
        }
      }
      callback();
    },
  });
  return { logger: pino({ level }, sink), lines: () => lines };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Lines of a service log file (JSON lines) that have message `msg`. */
export function logLinesWith(text: string, msg: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(msg)) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.msg === msg) out.push(parsed);
    } catch {
      // a partial line at the end of a file still being written
    }
  }
  return out;
}
