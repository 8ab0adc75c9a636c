import type { LambdaClient, LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { Logger } from '../../observability/logger.js';
import type { Deliverer, DeliveryOutcome, DeliveryRequest, FailureKind } from './types.js';
import { buildBody } from './wire.js';
import { attemptRecorder, describeError, errorCode, redactedSnippet, secretValues } from './failure-text.js';
import { parseRetryAfter } from './http.js';

export interface LambdaDelivererOptions {
  /**
   * Endpoint for every Lambda client, e.g. a local Lambda-compatible server. When unset,
   * the SDK's own resolution applies: `AWS_ENDPOINT_URL_LAMBDA`, then `AWS_ENDPOINT_URL`,
   * then the shared config file's `services` section, then the regional AWS endpoint.
   * @defaultValue undefined
   */
  endpoint?: string;
  /**
   * Credentials for every client. When unset, the SDK's default chain applies (environment,
   * shared files, SSO, container and instance roles).
   * @defaultValue undefined
   */
  credentials?: LambdaClientConfig['credentials'];
  /**
   * Sockets per region client (keep-alive).
   * @defaultValue 50
   */
  maxSockets?: number;
  /** Clock for the payload's `time_ms` (tests pin it). @defaultValue Date.now */
  now?: () => number;
  /** Logs each region client as it is created. @defaultValue no logging */
  logger?: Logger;
}

/**
 * Service errors that say the call can never succeed as configured: the function or
 * qualifier does not exist, or the request is malformed. Everything else the service
 * says (throttling, 5xx, a function being updated, KMS or ENI trouble, access denied
 * until someone fixes a policy) is `lambda_error` and is retried.
 */
const PERMANENT_SERVICE_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'InvalidParameterValueException',
  'InvalidRequestContentException',
  'UnsupportedMediaTypeException',
]);

/**
 * The errors Invoke throws (both HTTP 413) for a payload over its quota: the JSON input
 * quota, and the serialized request entity limit. The same events are too large on every
 * retry, so they are `payload_too_large`, which dead-letters at once under a reason of its
 * own; as `lambda_error` they went through every tier and counted against the circuit.
 */
const PAYLOAD_TOO_LARGE_ERRORS: ReadonlySet<string> = new Set(['RequestTooLargeException', 'SerializedRequestEntityTooLargeException']);

/** What a service error means for the retry policy. */
function classifyServiceError(name: string, statusCode: number | undefined): FailureKind {
  // A 413 under a name this SDK version does not model (a newer quota error, or one from
  // a proxy in front of the endpoint) is still a size refusal.
  if (PAYLOAD_TOO_LARGE_ERRORS.has(name) || statusCode === 413) return 'payload_too_large';
  return PERMANENT_SERVICE_ERRORS.has(name) ? 'invalid_target' : 'lambda_error';
}

/** Longest excerpt of a function's error payload kept in the outcome message. */
const FUNCTION_ERROR_SNIPPET_CHARS = 200;

/** Longest excerpt of a service error's message kept in the outcome message. */
const SERVICE_ERROR_SNIPPET_CHARS = 300;

interface ServiceErrorShape {
  name: string;
  message: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  retryAfterSeconds?: string;
}

function asServiceError(err: unknown): ServiceErrorShape | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as Partial<ServiceErrorShape>;
  // `$fault` is what the SDK sets on errors the service answered with; transport errors
  // get `$metadata` attached too, so it does not tell them apart on its own.
  if (e.$fault !== 'client' && e.$fault !== 'server') return undefined;
  return e as ServiceErrorShape;
}

/**
 * Invokes AWS Lambda functions with the same `{time_ms, events}` body as HTTP targets
 * (Sockudo's Lambda payload). One `LambdaClient` per region, created on first use.
 * The SDK's own retries are off (`maxAttempts: 1`): hookstream's retry tiers retry, and
 * an SDK retry loop inside one attempt would blow through `request_timeout_ms`.
 */
export function createLambdaDeliverer(options: LambdaDelivererOptions = {}): Deliverer {
  const now = options.now ?? Date.now;
  const maxSockets = options.maxSockets ?? 50;
  const clients = new Map<string, LambdaClient>();
  const running = new Set<Promise<DeliveryOutcome>>();
  let closing: Promise<void> | undefined;

  // The AWS SDK is loaded on the first Lambda delivery: an HTTP-only deployment never pays
  // its memory (about 15 MB per thread) or its start-up time.
  let sdk: Promise<typeof import('@aws-sdk/client-lambda')> | undefined;

  async function clientFor(region: string): Promise<{ client: LambdaClient; InvokeCommand: (typeof import('@aws-sdk/client-lambda'))['InvokeCommand'] }> {
    const { LambdaClient, InvokeCommand } = await (sdk ??= import('@aws-sdk/client-lambda'));
    let client = clients.get(region);
    if (client === undefined) {
      const config: LambdaClientConfig = {
        region,
        maxAttempts: 1,
        requestHandler: { httpAgent: { keepAlive: true, maxSockets }, httpsAgent: { keepAlive: true, maxSockets } },
      };
      if (options.endpoint !== undefined) config.endpoint = options.endpoint;
      if (options.credentials !== undefined) config.credentials = options.credentials;
      client = new LambdaClient(config);
      clients.set(region, client);
      options.logger?.debug({ region, custom_endpoint: options.endpoint !== undefined }, 'lambda client created');
    }
    return { client, InvokeCommand };
  }

  async function invoke(req: DeliveryRequest): Promise<DeliveryOutcome> {
    const { elapsed, fail, secrets } = attemptRecorder(req);

    const target = req.webhook.target;
    if (target.kind !== 'lambda') return fail('invalid_target', `webhook ${req.webhook.id} is not a lambda target`);

    // Fresh time_ms per attempt, as for HTTP; Lambda payloads are not signed.
    const payload = Buffer.from(buildBody(req.eventsJson, now()), 'utf8');

    const timeoutMs = req.webhook.request_timeout_ms;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      const { client, InvokeCommand } = await clientFor(target.region);
      const command = new InvokeCommand({
        FunctionName: target.function_name,
        InvocationType: target.invocation_type,
        Payload: payload,
        ...(target.qualifier === undefined ? {} : { Qualifier: target.qualifier }),
      });
      const out = await client.send(command, { abortSignal: deadline.signal });
      const status = out.StatusCode ?? 0;
      if (out.FunctionError !== undefined && out.FunctionError !== '') {
        // A function's error payload is whatever it threw, secrets included (an exception
        // message quoting a config value); masked before it is cut, and only its start is
        // read: it can be megabytes.
        const returned = out.Payload === undefined ? '' : redactedSnippet(out.Payload, secrets(), FUNCTION_ERROR_SNIPPET_CHARS);
        return fail('function_error', `FunctionError ${out.FunctionError}${returned === '' ? '' : `: ${returned}`}`, { statusCode: status });
      }
      if (status >= 200 && status < 300) return { ok: true, statusCode: status, durationMs: elapsed() };
      return fail('lambda_error', `Lambda answered StatusCode ${status}`, { statusCode: status });
    } catch (err) {
      if (deadline.signal.aborted) return fail('timeout', `no Lambda response within ${timeoutMs} ms`);
      const service = asServiceError(err);
      if (service !== undefined) {
        const statusCode = service.$metadata?.httpStatusCode;
        const retryAfterMs = parseRetryAfter(service.retryAfterSeconds ?? service.$response?.headers?.['retry-after'], Date.now());
        const extra = {
          ...(statusCode === undefined ? {} : { statusCode }),
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        };
        const text = redactedSnippet(service.message ?? '', secrets(), SERVICE_ERROR_SNIPPET_CHARS);
        return fail(classifyServiceError(service.name, statusCode), `${service.name}: ${text}`, extra);
      }
      return fail(classifyLambdaTransport(err), describeError(err, secrets()));
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    deliver(req: DeliveryRequest): Promise<DeliveryOutcome> {
      if (closing !== undefined) {
        return Promise.resolve({ ok: false, kind: 'network', message: 'lambda deliverer is closed', durationMs: 0 });
      }
      const p = invoke(req).catch(
        // describeError masks before it cuts to length; every secret of the request, as for any other failure.
        (err: unknown): DeliveryOutcome => ({ ok: false, kind: 'network', message: describeError(err, secretValues(req)), durationMs: 0 }),
      );
      running.add(p);
      void p.then(() => running.delete(p));
      return p;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        // Let running invocations finish (each is bounded by its own timeout), then
        // release the clients' sockets.
        await Promise.allSettled([...running]);
        for (const client of clients.values()) {
          try {
            client.destroy();
          } catch {
            // one client failing to close must not keep the others open
          }
        }
        clients.clear();
      })();
      return closing;
    },
  };
}

/** Errors that did not come from the service: no answer in time, or no connection. */
function classifyLambdaTransport(err: unknown): FailureKind {
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : '';
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'TimeoutError') return 'timeout';
  if (name === 'CredentialsProviderError' || name === 'ProviderError' || name === 'TokenProviderError') return 'lambda_error';
  if (code === 'ERR_INVALID_URL') return 'invalid_target';
  return 'network';
}
