import type { Deliverer, DeliveryOutcome, DeliveryRequest } from './types.js';

/**
 * A Deliverer built on first use. The service runs its deliveries on a delivery thread by
 * default; loading the in-process deliverer (undici, and the AWS SDK once Lambda is used)
 * only when it is chosen keeps those modules out of the main thread's memory.
 */
export function lazyDeliverer(load: () => Promise<Deliverer>): Deliverer {
  let loaded: Promise<Deliverer> | undefined;
  return {
    async deliver(request: DeliveryRequest): Promise<DeliveryOutcome> {
      return (await (loaded ??= load())).deliver(request);
    },
    async close(): Promise<void> {
      if (loaded) await (await loaded).close();
    },
    async destroy(): Promise<void> {
      if (!loaded) return;
      const deliverer = await loaded;
      await (deliverer.destroy?.() ?? deliverer.close());
    },
  };
}
