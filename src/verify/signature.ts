/**
 * Signed database states (spec 5): the signed payload, server signing public keys, and ECDSA P-256 /
 * SHA-256 verification with Go-compatible DER parsing.
 *
 * @module
 */

import * as crypto from "node:crypto";
import { InvalidArgumentError, VerificationError } from "../errors.js";
import { requireU64 } from "./bytes.js";
import { assertDigest, DIGEST_SIZE } from "./hash.js";
import type { StateDigest } from "./types.js";

/**
 * A parsed server signing public key (ECDSA on P-256). Opaque: create it with
 * {@link parseSigningPublicKey}; `point` is the uncompressed SEC1 point `0x04 ‖ X ‖ Y` (65 bytes), e.g. to
 * compare with the `publicKey` a server echoes in its signatures (which is never trusted by itself).
 */
export interface SigningPublicKey {
  /** Always `"ecdsa-p256-sha256"`. */
  readonly algorithm: "ecdsa-p256-sha256";
  /** Uncompressed SEC1 point, 65 bytes. */
  readonly point: Uint8Array;
}

const keyObjects = new WeakMap<SigningPublicKey, crypto.KeyObject>();

const textEncoder = new TextEncoder();

/**
 * The payload a server signs for a state (`ImmutableState.ToBytes`, spec 5.1):
 * `u32(byte length of UTF-8 db) ‖ db ‖ u64(txId) ‖ txHash`.
 *
 * @throws VerificationError `malformed-proof` if `db` is not a string, `txId` is not a uint64 bigint or
 *   `txHash` is not 32 bytes (apply {@link digestFromProto} to wire values first).
 */
export function stateSigningBytes(state: StateDigest): Uint8Array {
  if (typeof state !== "object" || state === null) {
    throw new VerificationError("malformed-proof", "state is missing");
  }
  if (typeof state.db !== "string") {
    throw new VerificationError("malformed-proof", "state database name must be a string");
  }
  const txId = requireU64(state.txId, "state txId");
  assertDigest(state.txHash, "state txHash");
  const db = textEncoder.encode(state.db);
  const out = new Uint8Array(4 + db.length + 8 + DIGEST_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, db.length, false);
  out.set(db, 4);
  view.setBigUint64(4 + db.length, txId, false);
  out.set(state.txHash, 4 + db.length + 8);
  return out;
}

// SubjectPublicKeyInfo DER prefix for an uncompressed P-256 point (id-ecPublicKey, prime256v1).
const P256_SPKI_PREFIX = Uint8Array.from(
  Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"),
);

function badKey(message: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `invalid server signing public key: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

function looksLikePem(bytes: Uint8Array): boolean {
  let k = 0;
  while (
    k < bytes.length &&
    (bytes[k] === 0x20 || bytes[k] === 0x09 || bytes[k] === 0x0a || bytes[k] === 0x0d)
  )
    k++;
  return bytes[k] === 0x2d; // '-'
}

function fromKeyObject(keyObject: crypto.KeyObject): SigningPublicKey {
  if (keyObject.type !== "public" || keyObject.asymmetricKeyType !== "ec") {
    throw badKey("not an ECDSA public key");
  }
  if (keyObject.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw badKey(`curve ${String(keyObject.asymmetricKeyDetails?.namedCurve)} is not P-256`);
  }
  const spki = keyObject.export({ format: "der", type: "spki" });
  const point = Uint8Array.from(spki.subarray(spki.length - 65));
  const key: SigningPublicKey = Object.freeze({ algorithm: "ecdsa-p256-sha256" as const, point });
  keyObjects.set(key, keyObject);
  return key;
}

/**
 * Parses a server signing public key: PEM text with a `PUBLIC KEY` (PKIX SubjectPublicKeyInfo) block, as
 * given to Go clients with `--server-signing-pub-key` (a string, or its bytes e.g. from `readFileSync`),
 * or a raw 65-byte uncompressed P-256 point `0x04 ‖ X ‖ Y`. The point must lie on the curve. With PEM,
 * the first `PUBLIC KEY` block is used and text around it is ignored.
 *
 * @throws InvalidArgumentError for anything else (other PEM labels, private keys, other curves or key
 *   types, compressed or off-curve points, other lengths).
 */
export function parseSigningPublicKey(key: string | Uint8Array): SigningPublicKey {
  if (typeof key === "string" || (key instanceof Uint8Array && looksLikePem(key))) {
    const pem = typeof key === "string" ? key : new TextDecoder("utf-8", { fatal: false }).decode(key);
    const block = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/.exec(pem);
    if (block === null) {
      throw badKey('expected a PEM "PUBLIC KEY" block');
    }
    let keyObject: crypto.KeyObject;
    try {
      keyObject = crypto.createPublicKey({ key: block[0], format: "pem" });
    } catch (e) {
      throw badKey("the PEM block does not hold a valid public key", e);
    }
    return fromKeyObject(keyObject);
  }
  if (!(key instanceof Uint8Array)) {
    throw badKey("expected a PEM string or a 65-byte uncompressed P-256 point");
  }
  if (key.length !== 65 || key[0] !== 0x04) {
    throw badKey(`expected a 65-byte uncompressed P-256 point (0x04 ‖ X ‖ Y), got ${key.length} bytes`);
  }
  const der = new Uint8Array(P256_SPKI_PREFIX.length + 65);
  der.set(P256_SPKI_PREFIX, 0);
  der.set(key, P256_SPKI_PREFIX.length);
  let keyObject: crypto.KeyObject;
  try {
    keyObject = crypto.createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
  } catch (e) {
    throw badKey("the point is not on the P-256 curve", e);
  }
  return fromKeyObject(keyObject);
}

/** Reads a DER tag+length at `off` (Go `encoding/asn1` rules); returns [contentStart, contentEnd] or an error. */
function readTagLength(b: Uint8Array, off: number, end: number, tag: number): [number, number] | string {
  if (off >= end) return "truncated";
  if (b[off] !== tag) return `unexpected tag 0x${(b[off] ?? 0).toString(16)}`;
  off += 1;
  if (off >= end) return "truncated length";
  const first = b[off]!;
  off += 1;
  let len: number;
  if (first < 0x80) {
    len = first;
  } else {
    const numBytes = first - 0x80;
    if (numBytes === 0) return "indefinite length";
    len = 0;
    for (let k = 0; k < numBytes; k++) {
      if (off >= end) return "truncated length";
      if (len >= 0x80_0000) return "length too large";
      len = len * 256 + b[off]!;
      off += 1;
      if (len === 0) return "superfluous leading zeros in length";
    }
    if (len < 0x80) return "non-minimal length";
  }
  if (len > end - off) return "data truncated";
  return [off, off + len];
}

/**
 * Parses `SEQUENCE { INTEGER r, INTEGER s }` exactly as Go's `asn1.Unmarshal` into `{R, S *big.Int}` does
 * (minimal lengths and integers; extra elements at the end of the SEQUENCE and trailing bytes after it are
 * ignored), then requires `0 < r, s < 2^256` (Go's `ecdsa.Verify` rejects non-positive values; larger ones
 * are >= the group order). Returns the IEEE P1363 form `r ‖ s` (64 bytes) or an error message.
 */
function derToP1363(sig: Uint8Array): Uint8Array | string {
  const seq = readTagLength(sig, 0, sig.length, 0x30);
  if (typeof seq === "string") return `SEQUENCE: ${seq}`;
  const out = new Uint8Array(64);
  let off = seq[0];
  for (let n = 0; n < 2; n++) {
    const int = readTagLength(sig, off, seq[1], 0x02);
    if (typeof int === "string") return `INTEGER ${n === 0 ? "r" : "s"}: ${int}`;
    let [start, stop] = int;
    if (stop === start) return "empty integer";
    if (stop - start > 1) {
      const b0 = sig[start]!;
      const b1 = sig[start + 1]!;
      if ((b0 === 0x00 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)) return "integer not minimally-encoded";
    }
    if (sig[start]! >= 0x80) return "negative integer";
    while (start < stop && sig[start] === 0) start++;
    if (start === stop) return "zero integer";
    if (stop - start > 32) return "integer too large";
    out.set(sig.subarray(start, stop), n * 32 + 32 - (stop - start));
    off = int[1];
  }
  return out;
}

/**
 * Verifies a server's signature of `state` (spec 5): ECDSA over P-256 of `SHA-256(stateSigningBytes(state))`,
 * DER-encoded. Accepts what Go's `CheckSignature` accepts: high-S signatures, and trailing bytes after the
 * DER SEQUENCE (or extra elements at its end).
 *
 * @throws VerificationError `signature` if the signature is missing ("no signature provided") or empty,
 *   is not valid DER, does not match, or `key` was not created by {@link parseSigningPublicKey};
 *   `malformed-proof` if `state` is malformed (see {@link stateSigningBytes}).
 */
export function verifyStateSignature(
  state: StateDigest,
  signature: Uint8Array | undefined,
  key: SigningPublicKey,
): void {
  if (signature === undefined || signature === null) {
    throw new VerificationError("signature", "no signature provided");
  }
  if (!(signature instanceof Uint8Array) || signature.length === 0) {
    throw new VerificationError("signature", "empty signature");
  }
  const keyObject = typeof key === "object" && key !== null ? keyObjects.get(key) : undefined;
  if (keyObject === undefined) {
    throw new VerificationError(
      "signature",
      "the signing public key was not created by parseSigningPublicKey",
    );
  }
  const payload = stateSigningBytes(state);
  const rs = derToP1363(signature);
  if (typeof rs === "string") {
    throw new VerificationError("signature", `malformed DER signature (${rs})`);
  }
  let ok: boolean;
  try {
    ok = crypto.verify("sha256", payload, { key: keyObject, dsaEncoding: "ieee-p1363" }, rs);
  } catch (e) {
    throw new VerificationError("signature", "signature verification failed", { cause: e });
  }
  if (!ok) {
    throw new VerificationError(
      "signature",
      `signature of state (${state.db}, tx ${state.txId}) does not match`,
    );
  }
}
