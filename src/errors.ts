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
