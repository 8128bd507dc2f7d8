import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../../src/platform/logging/index.js';

export type LegacyErrorCode = 'BAD_REQUEST' | 'CUSTOMER_NOT_FOUND' | 'ORDER_NOT_FOUND' | 'NOT_FOUND' | 'INTERNAL_ERROR';

/**
 * The legacy system's own error body. Deliberately not our problem+json: the proxy has to
 * translate it, as it would for the real CRM.
 */
export interface LegacyError {
  errorCode: LegacyErrorCode;
  errorMessage: string;
}

export function sendLegacyError(res: Response, status: number, errorCode: LegacyErrorCode, errorMessage: string): void {
  const body: LegacyError = { errorCode, errorMessage };
  res.status(status).json(body);
}

/** One line for all of a zod error's issues, as an old system would put it in its message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/**
 * Keeps the simulator's failures (a malformed JSON body, a bug) in its own shape instead of
 * letting them reach the platform's problem+json handler.
 */
export function legacyErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendLegacyError(res, status, 'BAD_REQUEST', error instanceof Error ? error.message : 'Bad request');
    }
    logger.error({ err: error }, 'legacy CRM simulator failed');
    sendLegacyError(res, 500, 'INTERNAL_ERROR', 'An unexpected error occurred.');
  };
}

/** The parsed value, or undefined after answering 400 in the legacy shape. */
export function parseOrReject<S extends z.ZodType>(schema: S, value: unknown, res: Response): z.output<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  sendLegacyError(res, 400, 'BAD_REQUEST', describeIssues(result.error));
  return undefined;
}
