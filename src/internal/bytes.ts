/**
 * Input normalisation shared by the client methods: strings become UTF-8 bytes, anything else is rejected
 * with an {@link InvalidArgumentError} before any RPC is sent.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.js";

const encoder = new TextEncoder();

/** Bytes or a string (encoded as UTF-8). */
export type BytesLike = Uint8Array | string;

/** Converts a key or value argument to bytes; `what` names the argument in the error message. */
export function toBytes(value: unknown, what: string): Uint8Array {
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  throw new InvalidArgumentError(`${what} must be a string or a Uint8Array, got ${describe(value)}`);
}

/** Like {@link toBytes}, and also rejects an empty result (immudb rejects empty keys). */
export function toKey(value: unknown, what = "key"): Uint8Array {
  const bytes = toBytes(value, what);
  if (bytes.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  if (bytes.length > MAX_KEY_LENGTH) {
    throw new InvalidArgumentError(
      `${what} is ${bytes.length} bytes; immudb accepts at most ${MAX_KEY_LENGTH}`,
    );
  }
  return bytes;
}

/** Largest user key immudb accepts: the store caps keys at 1024 bytes and prepends a one-byte prefix. */
export const MAX_KEY_LENGTH = 1023;

/**
 * Checks an unsigned 64-bit integer argument (tx id, revision). Only `bigint` is accepted, everywhere: a
 * `number` is refused (with a hint) so that ids beyond 2^53 can never be rounded silently.
 */
export function toUint64(value: unknown, what: string): bigint {
  if (typeof value !== "bigint") {
    const hint = typeof value === "number" && Number.isSafeInteger(value) ? ` (write ${value}n)` : "";
    throw new InvalidArgumentError(`${what} must be a bigint, got ${describe(value)}${hint}`);
  }
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn)
    throw new InvalidArgumentError(`${what} is out of range: ${value}`);
  return value;
}

/** Short description of a value's type for error messages (never the value itself: it may be secret). */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value;
}
