// The one place that turns an error into the envelope of rules.md §3. Anything outside the
// closed set is logged and answered 500 without details.
import { AppError, DeploymentDefectError } from '../errors.ts';
import { logger } from '../log.ts';

export interface JsonResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function envelope(code: string, message: string, requestId: string, fields?: { path: string; message: string }[]) {
  return { error: { code, message, requestId, ...(fields ? { fields } : {}) } };
}

export function errorResponse(error: unknown, requestId: string): JsonResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (error instanceof AppError) {
    if (error.details?.retryAfterSeconds) headers['retry-after'] = String(error.details.retryAfterSeconds);
    // A deployment defect was logged where AWS refused the call (shared/defects.ts).
    if (error.status >= 500 && !(error instanceof DeploymentDefectError)) logger.warn('request failed', { code: error.code, requestId });
    return {
      statusCode: error.status,
      headers,
      body: JSON.stringify(envelope(error.code, error.message, requestId, error.details?.fields)),
    };
  }
  logger.error('unexpected error', { error: error as Error, requestId });
  return { statusCode: 500, headers, body: JSON.stringify(envelope('INTERNAL', 'Internal error.', requestId)) };
}
