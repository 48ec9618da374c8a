/**
 * SHA-256 primitives shared by every verification routine: the one `sha256()` entry point, the RFC 6962
 * leaf/node hashes, the well-known constant digests and "digest from proto".
 *
 * @module
 */

import * as crypto from "node:crypto";
import { VerificationError } from "../errors.js";
import type { Digest } from "./types.js";

/** Size in bytes of a SHA-256 digest. */
export const DIGEST_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

type HashFn = (data: Uint8Array) => Uint8Array;

// Node >= 20.12 / 21.7 has the one-shot `crypto.hash`, about 40% cheaper than createHash() for tiny inputs.
const oneShot: HashFn | undefined =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (data) => plain(crypto.hash("sha256", data, "buffer"))
    : undefined;
const rawSha256: HashFn = oneShot ?? ((data) => plain(crypto.createHash("sha256").update(data).digest()));

/** A plain Uint8Array view of a Buffer (no copy), so digests never surface as Buffers. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Input sizes of the SHA-256 calls made while a counter is installed (benchmark hook), else undefined. */
let callSizes: number[] | undefined;

/**
 * SHA-256 of `data`. Every hash computed by the verification core goes through this function.
 *
 * The result is a fresh 32-byte plain `Uint8Array`; callers may keep it.
 * Never throws.
 */
export function sha256(data: Uint8Array): Digest {
  if (callSizes !== undefined) callSizes.push(data.length);
  return rawSha256(data);
}

/**
 * Runs `fn` and returns the input sizes (in bytes) of every {@link sha256} call it made, in order.
 * Benchmark/test hook, not part of the public API of `immudb-ts/verify`. Rethrows whatever `fn` throws.
 */
export function recordSha256Calls(fn: () => void): number[] {
  const previous = callSizes;
  const sizes: number[] = [];
  callSizes = sizes;
  try {
    fn();
  } finally {
    callSizes = previous;
  }
  return sizes;
}

/** `H("")` = e3b0c442…b855: the empty htree root and `prevAlh` of transaction 1. Do not mutate. */
export const EMPTY_DIGEST: Digest = rawSha256(new Uint8Array(0));

/** 32 zero bytes: `blRoot` / `targetBlTxAlh` when the tree is empty, and absent proto digests. Do not mutate. */
export const ZERO_DIGEST: Digest = new Uint8Array(DIGEST_SIZE);

// Private copies so that a caller mutating the exported constants cannot affect verification.
const EMPTY = rawSha256(new Uint8Array(0));

/** A fresh copy of `H("")`. Never throws. */
export function emptyDigest(): Digest {
  return EMPTY.slice();
}

// Scratch buffers for the fixed-size preimages. `sha256` copies its input synchronously, so reuse is safe.
const leafScratch = new Uint8Array(1 + DIGEST_SIZE);
leafScratch[0] = LEAF_PREFIX;
const nodeScratch = new Uint8Array(1 + 2 * DIGEST_SIZE);
nodeScratch[0] = NODE_PREFIX;

/**
 * RFC 6962 leaf hash `H(0x00 ‖ data)` (htree and ahtree leaves; `leafFor(alh)` of the spec).
 * Never throws.
 */
export function leafHash(data: Uint8Array): Digest {
  if (data.length === DIGEST_SIZE) {
    leafScratch.set(data, 1);
    return sha256(leafScratch);
  }
  const buf = new Uint8Array(1 + data.length);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

/**
 * RFC 6962 interior node hash `H(0x01 ‖ left ‖ right)`.
 *
 * @throws VerificationError `malformed-proof` if either input is not 32 bytes.
 */
export function nodeHash(left: Digest, right: Digest): Digest {
  if (left.length !== DIGEST_SIZE || right.length !== DIGEST_SIZE) {
    throw new VerificationError("malformed-proof", "node hash inputs must be 32-byte digests");
  }
  return nodeHashUnchecked(left, right);
}

/** `nodeHash` without the length checks: both inputs must already be known to be 32 bytes. */
export function nodeHashUnchecked(left: Digest, right: Digest): Digest {
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + DIGEST_SIZE);
  return sha256(nodeScratch);
}

/**
 * "Digest from proto": copies `bytes` into a zeroed 32-byte array, zero-padding shorter inputs and
 * truncating longer ones; `undefined` gives 32 zero bytes. The only place where digest lengths are
 * normalised; always returns a fresh array. Never throws.
 */
export function digestFromProto(bytes: Uint8Array | undefined): Digest {
  const out = new Uint8Array(DIGEST_SIZE);
  if (bytes !== undefined) {
    out.set(bytes.length > DIGEST_SIZE ? bytes.subarray(0, DIGEST_SIZE) : bytes);
  }
  return out;
}

/** Content equality of two byte arrays (not constant-time: everything compared here is public). Never throws. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let k = 0; k < n; k++) {
    if (a[k] !== b[k]) return false;
  }
  return true;
}

/**
 * Asserts that `d` is a 32-byte digest.
 *
 * @throws VerificationError `malformed-proof` naming `what` otherwise.
 */
export function assertDigest(d: unknown, what: string): asserts d is Digest {
  if (!(d instanceof Uint8Array) || d.length !== DIGEST_SIZE) {
    const got = d instanceof Uint8Array ? `${d.length} bytes` : d === undefined ? "nothing" : typeof d;
    throw new VerificationError("malformed-proof", `${what} must be a 32-byte digest, got ${got}`);
  }
}

/**
 * Asserts that `terms` is an array of 32-byte digests with at most `max` elements.
 *
 * @throws VerificationError `malformed-proof` naming `what` otherwise.
 */
export function assertDigestList(
  terms: unknown,
  what: string,
  max: number,
): asserts terms is readonly Digest[] {
  if (!Array.isArray(terms)) {
    throw new VerificationError("malformed-proof", `${what} is missing`);
  }
  if (terms.length > max) {
    throw new VerificationError(
      "malformed-proof",
      `${what} has ${terms.length} terms (at most ${max} allowed)`,
    );
  }
  for (let k = 0; k < terms.length; k++) {
    const t: unknown = terms[k];
    if (!(t instanceof Uint8Array) || t.length !== DIGEST_SIZE) {
      throw new VerificationError("malformed-proof", `${what}[${k}] is not a 32-byte digest`);
    }
  }
}
