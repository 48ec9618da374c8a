/**
 * The error hierarchy of immudb-ts. Everything the library throws or rejects with is an {@link ImmudbError}.
 *
 * This module is pure (no I/O): the `immudb-ts/verify` subpath shares it.
 *
 * @module
 */

/** Machine-readable error codes. Stable across releases; messages are not. */
export type ImmudbErrorCode =
  | "CONNECTION"
  | "AUTHENTICATION"
  | "PERMISSION_DENIED"
  | "SERVER"
  | "KEY_NOT_FOUND"
  | "TX_NOT_FOUND"
  | "DATABASE_NOT_FOUND"
  | "SESSION_NOT_FOUND"
  | "PRECONDITION_FAILED"
  | "CONFLICT"
  | "UNSUPPORTED"
  | "INVALID_ARGUMENT"
  | "VERIFICATION"
  | "STATE"
  | "TIMEOUT"
  | "ABORTED"
  | "CLOSED"
  | "UNKNOWN_OUTCOME";

/** Base class of every error immudb-ts throws. `code` is machine-readable; `cause` keeps the original error. */
export class ImmudbError extends Error {
  /** Machine-readable error code. */
  readonly code: ImmudbErrorCode;
  constructor(code: ImmudbErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "ImmudbError";
  }
}

/**
 * Why a verification failed. Machine-readable; one value per check of the verification spec.
 * Never retried: a failed proof means the server (or something between it and you) lied.
 */
export type VerificationReason =
  | "malformed-proof"
  | "unsupported-header-version"
  | "htree-inclusion"
  | "aht-inclusion"
  | "aht-consistency"
  | "aht-last-inclusion"
  | "linear-proof"
  | "linear-advance-proof"
  | "dual-proof"
  | "alh-mismatch"
  | "header-mismatch"
  | "entry-mismatch"
  | "entry-count"
  | "eh-mismatch"
  | "signature"
  | "state-regression"
  | "server-identity"
  | "sql-row";

/**
 * A proof, hash or signature check failed. The trusted state was not changed.
 * Never retried and never swallowed by the library.
 */
export class VerificationError extends ImmudbError {
  /** Which check failed. */
  readonly reason: VerificationReason;
  constructor(reason: VerificationReason, message: string, options?: ErrorOptions) {
    super("VERIFICATION", `verification failed (${reason}): ${message}`, options);
    this.reason = reason;
    this.name = "VerificationError";
  }
}

/** Bad input, detected before any RPC was sent. */
export class InvalidArgumentError extends ImmudbError {
  constructor(message: string, options?: ErrorOptions) {
    super("INVALID_ARGUMENT", message, options);
    this.name = "InvalidArgumentError";
  }
}

/** The server could not be reached, the connection broke, TLS failed, or the client was closed. */
export class ConnectionError extends ImmudbError {
  constructor(message: string, options?: ErrorOptions & { code?: "CONNECTION" | "CLOSED" }) {
    super(options?.code ?? "CONNECTION", message, options);
    this.name = "ConnectionError";
  }
}

/** Wrong credentials, an inactive user, or a user without permission for the database or operation. */
export class AuthenticationError extends ImmudbError {
  constructor(
    message: string,
    options?: ErrorOptions & { code?: "AUTHENTICATION" | "PERMISSION_DENIED"; details?: ServerErrorDetails },
  ) {
    super(options?.code ?? "AUTHENTICATION", message, options);
    this.name = "AuthenticationError";
    this.details = options?.details;
  }
  /** The server's status as received, when the error came from the server. */
  readonly details: ServerErrorDetails | undefined;
}

/** The raw status of a failed RPC, kept on server errors: immudb's wording is not a stable API. */
export interface ServerErrorDetails {
  /** gRPC status code (0-16). */
  readonly grpcCode: number;
  /** The status message as sent by the server. */
  readonly message: string;
  /** immudb's `ErrorInfo.code` (a SQLSTATE-like string such as `"23000"`), when present. */
  readonly serverCode?: string;
  /** immudb's `ErrorInfo.cause` (the inner error text), when present. */
  readonly serverCause?: string;
  /** immudb's `RetryInfo.retry_delay` in milliseconds, when present. */
  readonly retryDelayMs?: number;
  /** The RPC that failed, e.g. `immudb.schema.ImmuService/Get`. */
  readonly rpc: string;
}

/** Error codes a {@link ServerError} can carry. */
export type ServerErrorCode = Extract<
  ImmudbErrorCode,
  | "SERVER"
  | "KEY_NOT_FOUND"
  | "TX_NOT_FOUND"
  | "DATABASE_NOT_FOUND"
  | "SESSION_NOT_FOUND"
  | "PRECONDITION_FAILED"
  | "CONFLICT"
  | "UNSUPPORTED"
  | "INVALID_ARGUMENT"
>;

/** The server answered with an error. `code` classifies it; `details` keeps the raw status. */
export class ServerError extends ImmudbError {
  /** The raw status. */
  readonly details: ServerErrorDetails;
  constructor(code: ServerErrorCode, details: ServerErrorDetails, options?: ErrorOptions) {
    super(code, `${details.rpc}: ${details.message}`, options);
    this.name = "ServerError";
    this.details = details;
  }
}

/** The local trusted state cannot be used: corrupt or unreadable file, lock failure, or server identity mismatch. */
export class StateError extends ImmudbError {
  constructor(message: string, options?: ErrorOptions) {
    super("STATE", message, options);
    this.name = "StateError";
  }
}

/**
 * The call did not finish within its `timeoutMs`. A write that may have been sent before the deadline passed is
 * reported as an {@link UnknownOutcomeError} with this error as its `cause`.
 */
export class TimeoutError extends ImmudbError {
  constructor(message: string, options?: ErrorOptions) {
    super("TIMEOUT", message, options);
    this.name = "TimeoutError";
  }
}

/**
 * The call was cancelled through its `signal`. A write cancelled after it may have been sent is reported as an
 * {@link UnknownOutcomeError} with this error as its `cause`.
 */
export class AbortError extends ImmudbError {
  constructor(message: string, options?: ErrorOptions) {
    super("ABORTED", message, options);
    this.name = "AbortError";
  }
}

/**
 * A write failed in a way that leaves its outcome unknown: the request may have reached the server and been
 * committed (or not) before the connection broke, the deadline passed or the call was cancelled. The library
 * never retries such a write. `cause` is the original {@link ConnectionError}, {@link TimeoutError} or
 * {@link AbortError}. Read the data back (or use a precondition) before writing again.
 */
export class UnknownOutcomeError extends ImmudbError {
  /** The RPC whose outcome is unknown, e.g. `immudb.schema.ImmuService/Set`. */
  readonly rpc: string;
  constructor(rpc: string, cause: ImmudbError) {
    super(
      "UNKNOWN_OUTCOME",
      `${rpc}: the outcome of the write is unknown (it may have been committed): ${cause.message}`,
      {
        cause,
      },
    );
    this.name = "UnknownOutcomeError";
    this.rpc = rpc;
  }
}

/** All error classes, for `err instanceof errors.X` checks. */
export const errors = {
  ImmudbError,
  VerificationError,
  InvalidArgumentError,
  ConnectionError,
  AuthenticationError,
  ServerError,
  StateError,
  TimeoutError,
  AbortError,
  UnknownOutcomeError,
} as const;
