/**
 * The delivery thread: runs the ordinary HTTP/Lambda deliverer (`createDeliverer`) for a
 * `ThreadedDeliverer` on the main thread, so that building and signing bodies and the HTTP
 * client's work use a core of their own while the main thread consumes, routes and batches.
 * Messages are described in `threaded.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AppConfig } from '../../config/types.js';
import { threadLogger } from '../../observability/thread-log.js';
import { createDeliverer } from './index.js';
import type { DeliveryOutcome, DeliveryWebhook } from './types.js';
import type { FromWorker, ToWorker, WorkerInit } from './threaded.js';

const port = parentPort;
if (!port) throw new Error('deliver/worker.js runs as a worker thread of a ThreadedDeliverer');

const init = workerData as WorkerInit;
const post = (message: FromWorker): void => port.postMessage(message);
// Log lines go to the main thread's logger, so they land where the service logs (and
// are redacted there like every other line).
const logger = threadLogger(init.logLevel, (line) => post({ type: 'log', line }));
const deliverer = createDeliverer({ http: init.http, lambda: init.lambda, logger });
logger.info('delivery thread ready');
const targets = new Map<number, { app: Pick<AppConfig, 'id' | 'key' | 'secret'>; webhook: DeliveryWebhook }>();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'target':
      targets.set(message.ref, { app: message.app, webhook: message.webhook });
      return;
    case 'deliver': {
      const target = targets.get(message.ref);
      if (!target) {
        post({ type: 'outcome', id: message.id, outcome: { ok: false, kind: 'network', message: 'delivery thread: unknown target', durationMs: 0 } });
        return;
      }
      deliverer
        .deliver({
          deliveryId: message.deliveryId,
          attempt: message.attempt,
          app: target.app,
          webhook: target.webhook,
          // The events arrive joined with commas: one string is one copy between threads,
          // and the body built from a one-element list is the same bytes.
          eventsJson: [message.events],
          ...(message.replay ? { replay: true } : {}),
        })
        .then(
          (outcome) => post({ type: 'outcome', id: message.id, outcome }),
          (err: unknown) => {
            const outcome: DeliveryOutcome = { ok: false, kind: 'network', message: `deliverer threw: ${String(err)}`, durationMs: 0 };
            post({ type: 'outcome', id: message.id, outcome });
          },
        );
      return;
    }
    case 'close':
      void deliverer.close().then(() => post({ type: 'closed' }));
      return;
    case 'destroy':
      void (deliverer.destroy?.() ?? deliverer.close()).then(() => post({ type: 'closed' }));
      return;
  }
});
