/**
 * Loading helpers for the reference test vectors in `test/vectors/data/*.json` (written by the Go generator
 * in `vectors-gen/`, which calls immudb v1.11.1's own code). JSON conventions: bytes are hex strings,
 * uint64/int64 are decimal strings, small ints (nEntries, version, htree leaf/width) are numbers.
 *
 * Tampered variants are JSON patches (`set` / `del` / `push` on a dotted path) applied to the JSON of a
 * positive case before conversion, exactly as the generator did before asking Go for its verdict.
 */
import { readFileSync } from "node:fs";
import { VerificationError } from "../../src/errors.js";
import {
  deletedEntrySpec,
  encodeKey,
  plainEntrySpec,
  referenceEntrySpec,
  sha256,
  zAddEntrySpec,
} from "../../src/verify/index.js";
import type {
  DualProof,
  DualProofV2,
  EntrySpec,
  InclusionProof,
  KVMetadata,
  LinearAdvanceProof,
  LinearProof,
  TxHeader,
  TxMetadata,
} from "../../src/verify/types.js";

// ---------------------------------------------------------------------------------------------------------
// files

export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./data/${name}`, import.meta.url), "utf8")) as T;
}

// ---------------------------------------------------------------------------------------------------------
// scalars

export function hex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) throw new Error(`bad hex in vector: ${s}`);
  return Uint8Array.from(Buffer.from(s, "hex"));
}

export function hexList(ss: readonly string[] | undefined): Uint8Array[] {
  return (ss ?? []).map(hex);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** The IEEE-754 double whose big-endian bit pattern is `bitsHex` (keeps -0). */
export function float64FromBits(bitsHex: string): number {
  return new DataView(hex(bitsHex).buffer).getFloat64(0, false);
}

export const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
export function fromHexUtf8(s: string): string {
  return utf8Decoder.decode(hex(s));
}

// ---------------------------------------------------------------------------------------------------------
// JSON shapes (see vectors-gen/common.go)

export interface JTxMd {
  truncatedTxId?: string;
  extra?: string;
}

export interface JKVMd {
  deleted?: boolean;
  expiresAt?: string;
  nonIndexable?: boolean;
}

export interface JHeader {
  id: string;
  prevAlh: string;
  ts: string;
  nEntries: number;
  eh: string;
  blTxId: string;
  blRoot: string;
  version: number;
  metadata?: JTxMd;
}

export interface JLinearProof {
  sourceTxId: string;
  targetTxId: string;
  terms: string[];
}

export interface JLAP {
  linearProofTerms: string[];
  inclusionProofs: string[][];
}

export interface JDualProof {
  sourceTxHeader: JHeader;
  targetTxHeader: JHeader;
  inclusionProof: string[];
  consistencyProof: string[];
  targetBlTxAlh: string;
  lastInclusionProof: string[];
  linearProof: JLinearProof;
  linearAdvanceProof?: JLAP;
}

export interface JDualProofV2 {
  sourceTxHeader: JHeader;
  targetTxHeader: JHeader;
  inclusionProof: string[];
  consistencyProof: string[];
}

export interface JInclusionProof {
  leaf: number;
  width: number;
  terms: string[];
}

export interface PatchOp {
  op: "set" | "del" | "push";
  path: string;
  value?: unknown;
}

export interface Variant {
  name: string;
  patch: PatchOp[];
  goOk: boolean;
  goErr?: string;
}

// ---------------------------------------------------------------------------------------------------------
// conversions JSON -> src/verify/types.ts. Malformed shapes (a tamper may delete a field) are passed through
// as missing values, so the verifier sees exactly what is there.

const u64 = (s: string | undefined): bigint =>
  s === undefined ? (undefined as unknown as bigint) : BigInt(s);
const dig = (s: string | undefined): Uint8Array =>
  s === undefined ? (undefined as unknown as Uint8Array) : hex(s);

export function toKVMetadata(j: JKVMd | null | undefined): KVMetadata | undefined {
  if (j === null || j === undefined) return undefined;
  return {
    ...(j.deleted === true ? { deleted: true } : {}),
    ...(j.expiresAt !== undefined ? { expiresAt: BigInt(j.expiresAt) } : {}),
    ...(j.nonIndexable === true ? { nonIndexable: true } : {}),
  };
}

/** Mirrors Go's TxMetadataFromProto: truncatedTxId 0 and empty extra are "absent". */
export function toTxMetadata(j: JTxMd | null | undefined): TxMetadata | undefined {
  if (j === null || j === undefined) return undefined;
  return {
    ...(j.truncatedTxId !== undefined ? { truncatedTxId: BigInt(j.truncatedTxId) } : {}),
    ...(j.extra !== undefined && j.extra !== "" ? { extra: hex(j.extra) } : {}),
  };
}

export function toHeader(j: JHeader): TxHeader {
  if (j === undefined || j === null) return j as unknown as TxHeader;
  const md = toTxMetadata(j.metadata);
  return {
    id: u64(j.id),
    prevAlh: dig(j.prevAlh),
    ts: u64(j.ts),
    nEntries: j.nEntries,
    eh: dig(j.eh),
    blTxId: u64(j.blTxId),
    blRoot: dig(j.blRoot),
    version: j.version,
    ...(md !== undefined ? { metadata: md } : {}),
  };
}

export function toLinearProof(j: JLinearProof): LinearProof {
  if (j === undefined || j === null) return j as unknown as LinearProof;
  return { sourceTxId: u64(j.sourceTxId), targetTxId: u64(j.targetTxId), terms: hexList(j.terms) };
}

export function toLinearAdvanceProof(j: JLAP | undefined): LinearAdvanceProof | undefined {
  if (j === undefined || j === null) return undefined;
  return { linearProofTerms: hexList(j.linearProofTerms), inclusionProofs: j.inclusionProofs.map(hexList) };
}

export function toDualProof(j: JDualProof): DualProof {
  if (j === undefined || j === null) return j as unknown as DualProof;
  const lap = toLinearAdvanceProof(j.linearAdvanceProof);
  return {
    sourceTxHeader: toHeader(j.sourceTxHeader),
    targetTxHeader: toHeader(j.targetTxHeader),
    inclusionProof: hexList(j.inclusionProof),
    consistencyProof: hexList(j.consistencyProof),
    targetBlTxAlh: dig(j.targetBlTxAlh),
    lastInclusionProof: hexList(j.lastInclusionProof),
    linearProof: toLinearProof(j.linearProof),
    ...(lap !== undefined ? { linearAdvanceProof: lap } : {}),
  };
}

export function toDualProofV2(j: JDualProofV2): DualProofV2 {
  if (j === undefined || j === null) return j as unknown as DualProofV2;
  return {
    sourceTxHeader: toHeader(j.sourceTxHeader),
    targetTxHeader: toHeader(j.targetTxHeader),
    inclusionProof: hexList(j.inclusionProof),
    consistencyProof: hexList(j.consistencyProof),
  };
}

export function toInclusionProof(j: JInclusionProof): InclusionProof {
  return { leaf: j.leaf, width: j.width, terms: hexList(j.terms) };
}

// ---------------------------------------------------------------------------------------------------------
// patches (same semantics as applyPatch in vectors-gen/common.go)

type Json = unknown;

function getAt(doc: Json, path: string): Json {
  if (path === "") return doc;
  let cur: Json = doc;
  for (const seg of path.split(".")) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (typeof cur === "object" && cur !== null) cur = (cur as Record<string, Json>)[seg];
    else throw new Error(`bad patch path ${path}`);
  }
  return cur;
}

function splitPath(path: string): [string, string] {
  const i = path.lastIndexOf(".");
  return i < 0 ? ["", path] : [path.slice(0, i), path.slice(i + 1)];
}

function setAt(doc: Json, path: string, value: Json): void {
  const [parentPath, last] = splitPath(path);
  const parent = getAt(doc, parentPath);
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else if (typeof parent === "object" && parent !== null) (parent as Record<string, Json>)[last] = value;
  else throw new Error(`bad patch path ${path}`);
}

/** Returns a patched deep copy of `doc`. */
export function applyPatch<T>(doc: T, ops: readonly PatchOp[]): T {
  const d = structuredClone(doc) as Json;
  for (const o of ops) {
    const [parentPath, last] = splitPath(o.path);
    switch (o.op) {
      case "set":
        setAt(d, o.path, structuredClone(o.value));
        break;
      case "del": {
        const parent = getAt(d, parentPath);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else if (typeof parent === "object" && parent !== null) delete (parent as Record<string, Json>)[last];
        else throw new Error(`bad patch path ${o.path}`);
        break;
      }
      case "push": {
        const arr = getAt(d, o.path);
        setAt(d, o.path, [...(Array.isArray(arr) ? arr : []), structuredClone(o.value)]);
        break;
      }
    }
  }
  return d as T;
}

// ---------------------------------------------------------------------------------------------------------
// verdicts

export type Verdict = { ok: true } | { ok: false; reason: string; error: unknown };

/** Runs a verifier: success, a VerificationError (rejection), or any other throw (a bug, reported as such). */
export function verdict(fn: () => void): Verdict {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    if (e instanceof VerificationError) return { ok: false, reason: e.reason, error: e };
    return { ok: false, reason: `NOT a VerificationError: ${String(e)}`, error: e };
  }
}

/**
 * Compares the TS verdict with Go's and returns a description of the mismatch, or undefined if they agree.
 * A rejection only counts when it is a VerificationError.
 */
export function mismatch(name: string, goOk: boolean, v: Verdict): string | undefined {
  if (v.ok && goOk) return undefined;
  if (!v.ok && !goOk && !v.reason.startsWith("NOT a")) return undefined;
  if (v.ok) return `${name}: Go rejects, TS accepts`;
  return goOk ? `${name}: Go accepts, TS rejects (${v.reason})` : `${name}: ${v.reason}`;
}

// ---------------------------------------------------------------------------------------------------------
// entry specs

export interface JSpecInput {
  kind: "plain" | "reference" | "zadd" | "deleted";
  key?: string;
  value?: string;
  referencedKey?: string;
  atTx?: string;
  set?: string;
  score?: string;
  scoreBits?: string;
}

/** Rebuilds an entry spec with the TS encoders from how Go built it (vectors-gen/txs.go). */
export function specFromInput(input: JSpecInput, md: JKVMd | null | undefined): EntrySpec {
  const m = toKVMetadata(md);
  switch (input.kind) {
    case "plain":
      return plainEntrySpec(hex(input.key ?? ""), hex(input.value ?? ""), m);
    case "reference":
      return referenceEntrySpec(
        hex(input.key ?? ""),
        hex(input.referencedKey ?? ""),
        BigInt(input.atTx ?? "0"),
        m,
      );
    case "zadd":
      return zAddEntrySpec(
        hex(input.set ?? ""),
        float64FromBits(input.scoreBits ?? ""),
        hex(input.key ?? ""),
        BigInt(input.atTx ?? "0"),
      );
    case "deleted": {
      // Delete(key): key 0x00‖key, empty value without prefix; metadata as stored (deleted, maybe more)
      const key = hex(input.key ?? "");
      if (m !== undefined && m.deleted === true && m.expiresAt === undefined && m.nonIndexable !== true) {
        return deletedEntrySpec(key);
      }
      return { key: encodeKey(key), hValue: sha256(new Uint8Array(0)), ...(m ? { metadata: m } : {}) };
    }
  }
}
