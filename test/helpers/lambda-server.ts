/**
 * A Lambda-compatible endpoint for tests: a node:http server on 127.0.0.1, port 0, that
 * implements the Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`) the
 * way AWS answers it, and records every invocation. The real `@aws-sdk/client-lambda`
 * talks to it when `AWS_ENDPOINT_URL_LAMBDA` points here (the SDK reads that variable,
 * then `AWS_ENDPOINT_URL`); it does not check request signatures, so dummy credentials do.
 *
 *     const lambda = await startLambdaServer({ functions: { 'my-fn': {} } });
 *     t.after(() => lambda.close());
 *     const restore = lambda.applyEnv(); // AWS_ENDPOINT_URL_LAMBDA, dummy keys, AWS_REGION
 *     t.after(restore);
 *     // ... create the deliverer after applyEnv(): the SDK reads the endpoint when a client is created ...
 *
 * Answers, as AWS does:
 * - unknown function, or a qualifier not in `qualifiers`: 404 `ResourceNotFoundException`
 * - `Event`: 202, empty body (a function error would only happen later, so none is reported)
 * - `RequestResponse`: 200 with the function's `response`; with `functionError` set, 200
 *   plus `X-Amz-Function-Error: <value>` and an `{errorMessage, errorType}` payload (or `errorPayload`)
 * - `DryRun`: 204
 * - `serviceError` set: that status with `x-amzn-ErrorType` (and `Retry-After` if given)
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { startLocalServer } from './local-server.js';

export interface LambdaFunctionBehaviour {
  /** Payload returned to `RequestResponse` invocations. @defaultValue '{"statusCode":200}' */
  response?: string;
  /** Makes `RequestResponse` invocations report this `FunctionError` (e.g. 'Unhandled'). @defaultValue undefined */
  functionError?: string;
  /** The payload returned with `functionError`, as a function's thrown error would be. @defaultValue an `{errorMessage, errorType, stackTrace}` object */
  errorPayload?: string | Buffer;
  /** Answer with a service error instead of running the function. @defaultValue undefined */
  serviceError?: { status: number; type: string; message?: string; retryAfterSeconds?: number };
  /** Wait this long before answering. @defaultValue 0 */
  delayMs?: number;
  /** Qualifiers (versions, aliases) that exist; others are 404. @defaultValue any qualifier exists */
  qualifiers?: readonly string[];
}

export interface LambdaInvocation {
  /** 1-based arrival order. */
  n: number;
  /** The function name as resolved (an ARN's name part), '' for a malformed path. */
  functionName: string;
  /** The `Qualifier` query parameter, or undefined. */
  qualifier: string | undefined;
  /** `X-Amz-Invocation-Type`; the API's default is RequestResponse. */
  invocationType: string;
  payload: Buffer;
  headers: IncomingHttpHeaders;
  receivedAt: number;
  /** The HTTP status answered. */
  status: number;
}

export interface LambdaServer {
  /** The endpoint for the SDK: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly invocations: readonly LambdaInvocation[];
  /** Events of every invocation whose payload is a `{time_ms, events}` body, flattened. */
  events(): unknown[];
  setFunction(name: string, behaviour?: LambdaFunctionBehaviour): void;
  removeFunction(name: string): void;
  /** The environment that points the AWS SDK here (endpoint, dummy credentials, region). */
  env(region?: string): Record<string, string>;
  /** Sets `env()` on process.env; returns a function restoring the previous values. */
  applyEnv(region?: string): () => void;
  /** Resolves when `predicate(this)` holds (checked now and after each invocation); rejects after `timeoutMs`. */
  waitFor(predicate: (server: LambdaServer) => boolean, timeoutMs?: number): Promise<void>;
  /** Closes the server and every connection. Idempotent. */
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startLambdaServer(options: { functions?: Record<string, LambdaFunctionBehaviour> } = {}): Promise<LambdaServer> {
  const functions = new Map<string, LambdaFunctionBehaviour>(Object.entries(options.functions ?? {}));
  const invocations: LambdaInvocation[] = [];
  const waiters = new Set<() => void>();

  function resolveName(raw: string): string {
    // Full ARN: arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    const arn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(raw);
    return arn ? arn[1]! : raw;
  }

  function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': `req-${invocations.length}`, ...headers });
    res.end(body);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = req.method === 'POST' ? INVOKE_PATH.exec(url.pathname) : null;
      const functionName = match ? resolveName(decodeURIComponent(match[1]!)) : '';
      const qualifier = url.searchParams.get('Qualifier') ?? undefined;
      const typeHeader = req.headers['x-amz-invocation-type'];
      const invocationType = typeof typeHeader === 'string' && typeHeader !== '' ? typeHeader : 'RequestResponse';
      const inv: LambdaInvocation = {
        n: invocations.length + 1,
        functionName,
        qualifier,
        invocationType,
        payload: Buffer.concat(chunks),
        headers: req.headers,
        receivedAt,
        status: 0,
      };
      const behaviour = functions.get(functionName);

      let answer: () => void;
      if (!match) {
        inv.status = 404;
        answer = () => sendJson(res, 404, { 'x-amzn-ErrorType': 'UnknownOperationException' }, '{"Type":"User","Message":"Unknown operation"}');
      } else if (behaviour === undefined || (qualifier !== undefined && behaviour.qualifiers !== undefined && !behaviour.qualifiers.includes(qualifier))) {
        inv.status = 404;
        const arn = `arn:aws:lambda:us-east-1:000000000000:function:${functionName}${qualifier === undefined ? '' : `:${qualifier}`}`;
        answer = () =>
          sendJson(res, 404, { 'x-amzn-ErrorType': 'ResourceNotFoundException' }, JSON.stringify({ Type: 'User', Message: `Function not found: ${arn}` }));
      } else if (behaviour.serviceError !== undefined) {
        const e = behaviour.serviceError;
        inv.status = e.status;
        const headers: Record<string, string> = { 'x-amzn-ErrorType': e.type };
        if (e.retryAfterSeconds !== undefined) headers['Retry-After'] = String(e.retryAfterSeconds);
        answer = () => sendJson(res, e.status, headers, JSON.stringify({ Type: e.status >= 500 ? 'Service' : 'User', message: e.message ?? e.type }));
      } else if (invocationType === 'Event') {
        inv.status = 202;
        answer = () => sendJson(res, 202, {}, '');
      } else if (invocationType === 'DryRun') {
        inv.status = 204;
        answer = () => sendJson(res, 204, {}, '');
      } else if (behaviour.functionError !== undefined) {
        inv.status = 200;
        const body = behaviour.errorPayload ?? JSON.stringify({ errorMessage: 'function failed on purpose', errorType: 'Error', stackTrace: ['at handler (index.js:1:1)'] });
        answer = () => sendJson(res, 200, { 'X-Amz-Function-Error': behaviour.functionError!, 'X-Amz-Executed-Version': '$LATEST' }, body);
      } else {
        inv.status = 200;
        answer = () => sendJson(res, 200, { 'X-Amz-Executed-Version': '$LATEST' }, behaviour.response ?? '{"statusCode":200}');
      }

      invocations.push(inv);
      const delay = behaviour?.delayMs ?? 0;
      local.later(delay, answer);
      for (const wake of [...waiters]) wake();
    });
  }

  // onRequest only runs once the server listens, after `local` is initialized.
  const local = await startLocalServer(onRequest);
  const port = local.port;
  const url = `http://127.0.0.1:${port}`;

  const api: LambdaServer = {
    url,
    port,
    get invocations() {
      return invocations;
    },
    events() {
      return invocations.flatMap((inv) => {
        try {
          const body = JSON.parse(inv.payload.toString('utf8')) as { events?: unknown };
          return Array.isArray(body.events) ? (body.events as unknown[]) : [];
        } catch {
          return [];
        }
      });
    },
    setFunction(name, behaviour = {}) {
      functions.set(name, behaviour);
    },
    removeFunction(name) {
      functions.delete(name);
    },
    env(region = 'us-east-1') {
      return {
        AWS_ENDPOINT_URL_LAMBDA: url,
        AWS_ACCESS_KEY_ID: 'test-access-key',
        AWS_SECRET_ACCESS_KEY: 'test-secret-key',
        AWS_REGION: region,
      };
    },
    applyEnv(region) {
      const values = api.env(region);
      const previous = new Map(Object.keys(values).map((k) => [k, process.env[k]]));
      Object.assign(process.env, values);
      return () => {
        for (const [k, v] of previous) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      };
    },
    waitFor(predicate, timeoutMs = 5_000) {
      return new Promise<void>((resolve, reject) => {
        if (predicate(api)) return resolve();
        const check = (): void => {
          if (!predicate(api)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`lambda server: condition not met within ${timeoutMs} ms (${invocations.length} invocations)`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      return local.close();
    },
  };
  return api;
}
