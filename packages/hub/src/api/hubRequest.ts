import { AaclipError } from '@aaclip/core';
import type { HubEnvironment } from '../environment/hubEnvironment.js';

/** The hub could not be reached at all (refused, reset, timed out, no such host): a cache may stand in. */
export class HubUnreachableError extends AaclipError {
  constructor(url: string, cause: unknown) {
    super(`cannot reach the hub (${describeNetworkError(cause)})`, url, { code: 'unavailable', cause });
  }
}

/** A short reason for a failed fetch: undici puts the system error (ECONNREFUSED…) in `cause`. */
export function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  if (err instanceof Error) return err.name === 'AbortError' || err.name === 'TimeoutError' ? 'timed out' : err.message.split('\n')[0]!;
  return String(err);
}

/** Headers for a request to `url`: the token goes to the hub's own origin only, never to a redirect elsewhere. */
export function hubHeaders(env: HubEnvironment, url: string, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'aaclip-hub/0.1', ...extra };
  if (env.token && new URL(url).origin === new URL(env.endpoint).origin) headers.authorization = `Bearer ${env.token}`;
  return headers;
}

/** The statuses worth another try: the server was busy or failed, not the request. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** One line for a failed hub answer, saying what to do where there is something to do. */
export function statusProblem(status: number, what: string, env: HubEnvironment): string {
  if (status === 401 || status === 403) {
    return env.token
      ? `${what}: access denied (HTTP ${status}); is the repo gated or private, and does the token (HF_TOKEN) have access to it?`
      : `${what}: access denied (HTTP ${status}); a gated or private repo needs a token: set HF_TOKEN`;
  }
  if (status === 404) return `${what}: not found on ${env.endpoint} (HTTP 404); check the repo id and the revision`;
  return `${what}: the hub answered HTTP ${status}`;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** GET a JSON document from the hub (following redirects within http(s)); network failures are HubUnreachableError. */
export async function getHubJson(env: HubEnvironment, url: string, what: string): Promise<{ body: unknown; headers: Headers }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: hubHeaders(env, url, { accept: 'application/json' }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new HubUnreachableError(url, err);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new AaclipError(statusProblem(response.status, what, env), url, { code: response.status === 404 ? 'not-found' : isRetryableStatus(response.status) ? 'unavailable' : 'bad-input' });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (err) {
    if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError' || err.name === 'TypeError')) throw new HubUnreachableError(url, err);
    throw new AaclipError(`${what}: the hub's answer is not JSON`, url);
  }
  return { body, headers: response.headers };
}
