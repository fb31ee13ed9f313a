/**
 * Small typed errors with stable codes. Every error a user can see carries:
 * - `code`: stable, documented, greppable (e.g. `INTAKE_SIGNATURE_INVALID`);
 * - `retryable`: whether trying again can help (drives Service Bus abandon vs dead-letter, activity retries);
 * - `status`: the HTTP status an HTTP function answers with when this error escapes to it;
 * - `details`: context a user needs (field paths, ids). Never secrets.
 */
export interface StagecraftErrorOptions {
  status?: number;
  retryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class StagecraftError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: StagecraftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  /** JSON body for HTTP answers and records: no stack, no cause chain. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

/** Bad input from a caller (400/413/422): never retryable as is. */
export class ValidationError extends StagecraftError {
  constructor(code: string, message: string, options: Omit<StagecraftErrorOptions, 'retryable'> = {}) {
    super(code, message, { status: 400, ...options, retryable: false });
  }
}

/** Missing or wrong credentials (401) or a caller not allowed (403). */
export class AuthError extends StagecraftError {
  constructor(code: string, message: string, options: Omit<StagecraftErrorOptions, 'retryable'> = {}) {
    super(code, message, { status: 401, ...options, retryable: false });
  }
}

export class NotFoundError extends StagecraftError {
  constructor(code: string, message: string, options: Omit<StagecraftErrorOptions, 'retryable'> = {}) {
    super(code, message, { status: 404, ...options, retryable: false });
  }
}

/** A request that conflicts with current state (409): e.g. a decision after the approval closed. */
export class ConflictError extends StagecraftError {
  constructor(code: string, message: string, options: Omit<StagecraftErrorOptions, 'retryable'> = {}) {
    super(code, message, { status: 409, ...options, retryable: false });
  }
}

/** A downstream dependency failed in a way that may pass (429/5xx/timeouts). */
export class TransientError extends StagecraftError {
  constructor(code: string, message: string, options: Omit<StagecraftErrorOptions, 'retryable'> = {}) {
    super(code, message, { status: 503, ...options, retryable: true });
  }
}

/** Settings missing or invalid at start: fail loudly, say which setting and what to do. */
export class ConfigError extends StagecraftError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFIG_INVALID', message, { status: 500, retryable: false, ...(details ? { details } : {}) });
  }
}

export function isStagecraftError(e: unknown): e is StagecraftError {
  return e instanceof StagecraftError;
}
