/**
 * Internal byte-level helpers: range checks for 64-bit values and a reusable big-endian preimage builder.
 * Not re-exported from `immudb-ts/verify`.
 *
 * @module
 */

import { VerificationError, type VerificationReason } from "../errors.js";
import { sha256 } from "./hash.js";
import type { Digest } from "./types.js";

/** 2^64 - 1. */
export const MAX_U64 = 0xffff_ffff_ffff_ffffn;
/** 2^63 - 1. */
export const MAX_I64 = 0x7fff_ffff_ffff_ffffn;
/** -2^63. */
export const MIN_I64 = -0x8000_0000_0000_0000n;

/**
 * Asserts that `v` is a bigint in `[0, 2^64)`.
 *
 * @throws VerificationError with `reason` (default `malformed-proof`) otherwise.
 */
export function requireU64(v: unknown, what: string, reason: VerificationReason = "malformed-proof"): bigint {
  if (typeof v !== "bigint" || v < 0n || v > MAX_U64) {
    throw new VerificationError(reason, `${what} must be a bigint in [0, 2^64), got ${describe(v)}`);
  }
  return v;
}

/**
 * Asserts that `v` is a bigint in `[-2^63, 2^63)`.
 *
 * @throws VerificationError with `reason` (default `malformed-proof`) otherwise.
 */
export function requireI64(v: unknown, what: string, reason: VerificationReason = "malformed-proof"): bigint {
  if (typeof v !== "bigint" || v < MIN_I64 || v > MAX_I64) {
    throw new VerificationError(reason, `${what} must be a bigint in [-2^63, 2^63), got ${describe(v)}`);
  }
  return v;
}

/**
 * Asserts that `v` is a safe integer in `[min, max]`.
 *
 * @throws VerificationError with `reason` (default `malformed-proof`) otherwise.
 */
export function requireInt(
  v: unknown,
  min: number,
  max: number,
  what: string,
  reason: VerificationReason = "malformed-proof",
): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new VerificationError(reason, `${what} must be an integer in [${min}, ${max}], got ${describe(v)}`);
  }
  return v;
}

/**
 * Asserts that `v` is a `Uint8Array`.
 *
 * @throws VerificationError with `reason` (default `malformed-proof`) otherwise.
 */
export function requireBytes(
  v: unknown,
  what: string,
  reason: VerificationReason = "malformed-proof",
): Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new VerificationError(reason, `${what} must be a Uint8Array, got ${describe(v)}`);
  }
  return v;
}

/** Short description of a value for error messages. Never throws. */
export function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return String(v);
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return typeof v;
}

/**
 * A reusable big-endian byte builder for hash preimages. `reset(n)` guarantees room for `n` bytes; the
 * writers do no bounds checks beyond what the typed array does. One instance per call site: it is shared
 * state, so a function must not call another user of the same instance while building.
 */
export class Preimage {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  /** Creates a builder with an initial capacity of `capacity` bytes. Never throws. */
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Starts a new preimage with room for at least `size` bytes. Never throws. */
  reset(size: number): this {
    if (size > this.buf.length) {
      this.buf = new Uint8Array(Math.max(size, this.buf.length * 2));
      this.view = new DataView(this.buf.buffer);
    }
    this.pos = 0;
    return this;
  }

  /** Appends one byte. */
  u8(v: number): this {
    this.buf[this.pos] = v;
    this.pos += 1;
    return this;
  }

  /** Appends a big-endian uint16 (the caller has range-checked `v`). */
  u16(v: number): this {
    this.view.setUint16(this.pos, v, false);
    this.pos += 2;
    return this;
  }

  /** Appends a big-endian uint32 (the caller has range-checked `v`). */
  u32(v: number): this {
    this.view.setUint32(this.pos, v, false);
    this.pos += 4;
    return this;
  }

  /** Appends a big-endian 64-bit two's-complement value (the caller has range-checked `v`). */
  u64(v: bigint): this {
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), false);
    this.pos += 8;
    return this;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** SHA-256 of the bytes written since the last `reset`. */
  hash(): Digest {
    return sha256(this.buf.subarray(0, this.pos));
  }

  /** A fresh copy of the bytes written since the last `reset`. */
  take(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Writes `v` (range-checked by the caller) as a big-endian uint64 into `out` at `off`. */
export function putU64(out: Uint8Array, off: number, v: bigint): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(off, BigInt.asUintN(64, v), false);
}

/** Writes `v` (range-checked by the caller) as a big-endian uint32 into `out` at `off`. */
export function putU32(out: Uint8Array, off: number, v: number): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(off, v, false);
}

/** Reads a big-endian uint32 from `b` at `off` (the caller has bounds-checked). */
export function getU32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, false);
}
