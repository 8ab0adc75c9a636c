import type { Logger } from '../../observability/logger.js';
import type { Deliverer, DeliveryOutcome, DeliveryRequest } from './types.js';
import { createHttpDeliverer, type HttpDelivererOptions } from './http.js';
import { createLambdaDeliverer, type LambdaDelivererOptions } from './lambda.js';

export type { Deliverer, DeliveryOutcome, DeliveryRequest, FailureKind } from './types.js';
export { createHttpDeliverer, parseRetryAfter, type HttpDeliverer, type HttpDelivererOptions } from './http.js';
export { createLambdaDeliverer, type LambdaDelivererOptions } from './lambda.js';
export { eventJson, buildBody, bodyBytes, eventBytes, BODY_OVERHEAD_BYTES } from './wire.js';
export { sign, signedHeaders, isReservedHeader, CONTENT_TYPE, USER_AGENT, type SignedHeadersInput } from './signing.js';

export interface DelivererOptions {
  /** Options of the HTTP deliverer. @defaultValue {} */
  http?: HttpDelivererOptions;
  /** Options of the Lambda deliverer. @defaultValue {} */
  lambda?: LambdaDelivererOptions;
  /** Where the deliverers log (the Lambda side logs each region client it creates); overrides `lambda.logger`. @defaultValue no logging */
  logger?: Logger;
}

/**
 * One deliverer for every webhook: routes each request by `webhook.target.kind`. The
 * Lambda side creates no AWS client until a Lambda webhook is first delivered to, so an
 * HTTP-only deployment never touches the AWS credential chain.
 */
export function createDeliverer(options: DelivererOptions = {}): Deliverer {
  const http = createHttpDeliverer(options.http);
  const lambda = createLambdaDeliverer(options.logger === undefined ? options.lambda : { ...options.lambda, logger: options.logger });
  let closing: Promise<void> | undefined;
  return {
    deliver(request: DeliveryRequest): Promise<DeliveryOutcome> {
      return request.webhook.target.kind === 'lambda' ? lambda.deliver(request) : http.deliver(request);
    },
    close(): Promise<void> {
      // Both close even if one fails; allSettled never rejects.
      closing ??= Promise.allSettled([http.close(), lambda.close()]).then(() => undefined);
      return closing;
    },
    destroy(): Promise<void> {
      // Lambda clients hold no long-running work worth aborting beyond what close() ends.
      return Promise.allSettled([http.destroy(), lambda.close()]).then(() => undefined);
    },
  };
}
