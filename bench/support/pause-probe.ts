/**
 * Diagnostic for the benchmark only: wraps kafkajs' `Kafka#consumer` so that the
 * pause/resume calls of the consumers of chosen groups are counted and timed (the service
 * pauses fetching while `delivery.max_in_flight_events` are in flight). Installed once;
 * consumers created before it are not seen.
 */
import { Kafka, type Consumer, type ConsumerConfig } from 'kafkajs';

export interface PauseStats {
  pauses: number;
  pausedMs: number;
}

const watched = new Map<string, { pauses: number; pausedMs: number; since: number | undefined }>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const original = Kafka.prototype.consumer;
  Kafka.prototype.consumer = function (this: Kafka, config: ConsumerConfig): Consumer {
    const consumer = original.call(this, config);
    const pause = consumer.pause.bind(consumer);
    const resume = consumer.resume.bind(consumer);
    consumer.pause = (topics) => {
      const w = watched.get(config.groupId);
      if (w && w.since === undefined) {
        w.pauses++;
        w.since = Date.now();
      }
      pause(topics);
    };
    consumer.resume = (topics) => {
      const w = watched.get(config.groupId);
      if (w && w.since !== undefined) {
        w.pausedMs += Date.now() - w.since;
        w.since = undefined;
      }
      resume(topics);
    };
    return consumer;
  };
}

/** Starts counting for `groupId`; the returned function reads the totals so far. */
export function watchPauses(groupId: string): () => PauseStats {
  install();
  const w = { pauses: 0, pausedMs: 0, since: undefined as number | undefined };
  watched.set(groupId, w);
  return () => ({ pauses: w.pauses, pausedMs: w.pausedMs + (w.since === undefined ? 0 : Date.now() - w.since) });
}
