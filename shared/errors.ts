// The closed set of error codes and the one code -> HTTP status map (rules.md §3).
// Domain code throws AppError subclasses; shared/http/respond.ts turns them into the envelope.

export const ERROR_STATUS = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SSO_USER: 403,
  PERMISSION_NOT_HELD: 403,
  TOKEN_PRIVATE: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The codes answered with `status`, in the map's order. */
export const codesFor = (status: number): ErrorCode[] => ERROR_CODES.filter((c) => ERROR_STATUS[c] === status);

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: { fields?: FieldIssue[]; retryAfterSeconds?: number },
  ) {
    super(message);
    this.name = `${code}Error`;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class ValidationError extends AppError {
  constructor(message: string, fields?: FieldIssue[]) {
    super('VALIDATION', message, fields ? { fields } : undefined);
  }
}
export class UnauthenticatedError extends AppError {
  constructor(message = 'A valid bearer token is required.') {
    super('UNAUTHENTICATED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'You may not do this.') {
    super('FORBIDDEN', message);
  }
}
export class SsoUserError extends AppError {
  constructor() {
    super('SSO_USER', 'Users who sign in with SSO have no API tokens (rules.md §1.9).');
  }
}
export class PermissionNotHeldError extends AppError {
  constructor(readonly permissions: string[]) {
    super('PERMISSION_NOT_HELD', `The token would carry permissions its owner or the caller does not hold: ${permissions.join(', ')}.`);
  }
}
export class TokenPrivateError extends AppError {
  constructor() {
    super('TOKEN_PRIVATE', "Only the owner can view or renew a private token's value.");
  }
}
export class NotFoundError extends AppError {
  constructor(what = 'Token') {
    super('NOT_FOUND', `${what} not found.`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`);
  }
}
export class UnavailableError extends AppError {
  constructor(message = 'The token store is unavailable; nothing was changed. Retry shortly.', retryAfterSeconds = 1) {
    super('UNAVAILABLE', message, { retryAfterSeconds });
  }
}

/**
 * AWS refused a call for lack of permission (a grant missing from infra/access.ts, a key policy,
 * credentials the function was not given): a deployment defect, not an outage, so 500 INTERNAL
 * without Retry-After. shared/defects.ts logs it once, naming the function, action and resource.
 */
export class DeploymentDefectError extends AppError {
  constructor(
    readonly action: string,
    readonly resource: string,
  ) {
    super('INTERNAL', 'Internal error.');
  }
}
