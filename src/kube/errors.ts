/** Normalises the Kubernetes client's errors into one shape with the API server's own message. */
// The class alone, not the package index: the index loads every generated API (~80 MiB RSS, ~0.7 s), which the
// operator does not need. It is the same class the package exports, so `instanceof` holds for its errors too.
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';

export interface KubeStatusError {
  /** HTTP status from the API server (0 when the server was not reached). */
  status: number;
  /** `reason` of the returned Status object, e.g. `Invalid`, `NotFound`, `Conflict`, `AlreadyExists`, `Expired`. */
  reason: string;
  message: string;
}

/** The fields of a metav1.Status this layer reads. */
export interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/**
 * An error for a non-2xx answer (or an in-stream watch ERROR), built as the library's own `ApiException` so that every
 * caller handles errors of the raw transport and of @kubernetes/client-node the same way.
 */
export function statusError(code: number, body: unknown, headers: Record<string, string> = {}): ApiException<unknown> {
  const status = body && typeof body === 'object' ? (body as StatusBody) : undefined;
  const text = status?.message ?? (typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${code}`);
  return new ApiException(code, text, body, headers);
}

export function describeKubeError(error: unknown): KubeStatusError {
  if (error instanceof ApiException) {
    let body: unknown = error.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // keep the raw text
      }
    }
    const status = body as StatusBody | string | undefined;
    if (status && typeof status === 'object') {
      return { status: error.code, reason: status.reason ?? '', message: status.message ?? error.message };
    }
    return { status: error.code, reason: '', message: typeof status === 'string' ? status : error.message };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { status: 0, reason: 'Aborted', message: error.message };
  }
  return { status: 0, reason: 'Unreachable', message: error instanceof Error ? error.message : String(error) };
}

export function isNotFound(error: unknown): boolean {
  return describeKubeError(error).status === 404;
}

/** 409: a resourceVersion precondition failed (Conflict) or the name is taken (AlreadyExists). */
export function isConflict(error: unknown): boolean {
  return describeKubeError(error).status === 409;
}

export function isAlreadyExists(error: unknown): boolean {
  const e = describeKubeError(error);
  return e.status === 409 && e.reason === 'AlreadyExists';
}

/**
 * 410 Gone: the resourceVersion a watch or a paginated list continued from has been compacted away. The only way on
 * is a fresh list.
 */
export function isGone(error: unknown): boolean {
  return describeKubeError(error).status === 410;
}

/** One line for logs: `409 Conflict: <the API server's message>`, or the message of any other error. */
export function formatKubeError(error: unknown): string {
  const e = describeKubeError(error);
  return e.status ? `${e.status}${e.reason ? ` ${e.reason}` : ''}: ${e.message}` : e.message;
}
