/**
 * Test-only fixtures for the verification core: an independent RFC 6962 Merkle log (proof generator built
 * on node:crypto, not on the library's hashing), transaction chains with arbitrary `blTxId` histories, and
 * server-side proof generators following spec 3.5-3.9. Also used by `bench/verify.ts`.
 */

import { createHash } from "node:crypto";
import {
  alh,
  type Digest,
  type DualProof,
  type DualProofV2,
  entryDigest,
  htreeRoot,
  innerHash,
  type LinearAdvanceProof,
  type LinearProof,
  plainEntrySpec,
  type TxHeader,
  type TxMetadata,
} from "../../../src/verify/index.js";

/** Hex → bytes. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Bytes → hex. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** SHA-256 computed independently of the library. */
export function refSha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return Uint8Array.from(h.digest());
}

/** RFC 6962 leaf hash, independent of the library. */
export function refLeaf(data: Uint8Array): Uint8Array {
  return refSha256(Uint8Array.of(0), data);
}

/** RFC 6962 node hash, independent of the library. */
export function refNode(l: Uint8Array, r: Uint8Array): Uint8Array {
  return refSha256(Uint8Array.of(1), l, r);
}

/** Big-endian u64 bytes. */
export function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), false);
  return out;
}

/** True iff n is a power of two (arithmetic only: no bitwise operators on tree sizes). */
function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * An append-only RFC 6962 Merkle log over leaf hashes, with O(log n) subtree roots: complete aligned
 * subtrees are stored per level as they fill up. Positions here are 0-based; `inclusion`/`consistency`
 * take immudb's 1-based sizes.
 */
export class MerkleLog {
  /** levels[h][k] = root of the complete subtree of 2^h leaves starting at leaf k·2^h. */
  private readonly levels: Uint8Array[][] = [[]];

  /** Number of leaves. */
  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a leaf given its leaf hash. */
  appendLeafHash(leafHash: Uint8Array): void {
    this.levels[0]!.push(leafHash);
    let h = 0;
    for (;;) {
      const level = this.levels[h]!;
      if (level.length % 2 !== 0) break;
      if (this.levels[h + 1] === undefined) this.levels.push([]);
      this.levels[h + 1]!.push(refNode(level[level.length - 2]!, level[level.length - 1]!));
      h++;
    }
  }

  /** Appends leaf data (hashed as an RFC 6962 leaf). */
  append(data: Uint8Array): void {
    this.appendLeafHash(refLeaf(data));
  }

  /** MTH of leaves [lo, hi). */
  mth(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n <= 0) throw new Error("empty range");
    // Aligned complete subtree?
    if (isPowerOfTwo(n) && lo % n === 0) {
      const h = Math.log2(n);
      const node = this.levels[h]?.[lo / n];
      if (node !== undefined) return node;
    }
    if (n === 1) return this.levels[0]![lo]!;
    const k = splitPoint(n);
    return refNode(this.mth(lo, lo + k), this.mth(lo + k, hi));
  }

  /** Root of the first n leaves. */
  root(n: number): Uint8Array {
    return this.mth(0, n);
  }

  /** RFC 6962 PATH(m, D[lo:hi]), leaf-to-root. */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** RFC 6962 SUBPROOF(m, D[lo:hi], b). */
  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = splitPoint(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }

  /** immudb AHT inclusion proof of leaf i (1-based) in the tree of size j. */
  inclusion(i: number, j: number): Uint8Array[] {
    return this.path(i - 1, 0, j);
  }

  /**
   * immudb AHT consistency proof from size i to size j: RFC 6962 SUBPROOF(i, D[j], true) with the old root
   * prepended when i is a power of two; for i == j, `[MTH(D[k:i]), MTH(D[0:k])]` (i > 1) or `[]` (i == 1).
   */
  consistency(i: number, j: number): Uint8Array[] {
    if (i === j) {
      if (i === 1) return [];
      const k = splitPoint(i);
      return [this.mth(k, i), this.mth(0, k)];
    }
    const proof = this.subproof(i, 0, j, true);
    return isPowerOfTwo(i) ? [this.root(i), ...proof] : proof;
  }
}

/** Options for {@link buildChain}. */
export interface ChainOptions {
  /** `blTxId` of each tx (default `id - 1`). */
  readonly blTxId?: (id: number) => number;
  /** Header version (default 1). */
  readonly version?: 0 | 1;
  /** Entries per tx (default 1). */
  readonly entries?: (id: number) => number;
  /** Tx metadata per tx (version 1 only). */
  readonly metadata?: (id: number) => TxMetadata | undefined;
}

/** A chain of transactions as a server would store it. */
export interface Chain {
  /** headers[id - 1]. */
  readonly headers: TxHeader[];
  /** alhs[id - 1]. */
  readonly alhs: Digest[];
  /** inner hashes, inners[id - 1]. */
  readonly inners: Digest[];
  /** AHT over the Alhs (leaf id at position id - 1). */
  readonly aht: MerkleLog;
}

/** Builds `n` transactions with deterministic content and the given `blTxId` history. */
export function buildChain(n: number, opts: ChainOptions = {}): Chain {
  const version = opts.version ?? 1;
  const headers: TxHeader[] = [];
  const alhs: Digest[] = [];
  const inners: Digest[] = [];
  const aht = new MerkleLog();
  let prevAlh: Digest = refSha256();
  for (let id = 1; id <= n; id++) {
    const bl = opts.blTxId?.(id) ?? id - 1;
    if (bl < 0 || bl >= id || bl > aht.size) throw new Error(`bad blTxId ${bl} for tx ${id}`);
    const nEntries = opts.entries?.(id) ?? 1;
    const digests: Digest[] = [];
    for (let e = 0; e < nEntries; e++) {
      digests.push(entryDigest(version, plainEntrySpec(utf8(`key:${id}:${e}`), utf8(`value:${id}:${e}`))));
    }
    const md = version === 1 ? opts.metadata?.(id) : undefined;
    const base = {
      id: BigInt(id),
      prevAlh,
      ts: 1_700_000_000n + BigInt(id),
      nEntries,
      eh: htreeRoot(digests),
      blTxId: BigInt(bl),
      blRoot: bl === 0 ? new Uint8Array(32) : aht.root(bl),
      version,
    };
    const header: TxHeader = md === undefined ? base : { ...base, metadata: md };
    const a = alh(header);
    headers.push(header);
    alhs.push(a);
    inners.push(innerHash(header));
    aht.append(a);
    prevAlh = a;
  }
  return { headers, alhs, inners, aht };
}

/** Header of tx `id` (1-based). */
export function hdr(chain: Chain, id: number): TxHeader {
  const h = chain.headers[id - 1];
  if (h === undefined) throw new Error(`no tx ${id}`);
  return h;
}

/** Alh of tx `id` (1-based). */
export function alhOf(chain: Chain, id: number): Digest {
  const a = chain.alhs[id - 1];
  if (a === undefined) throw new Error(`no tx ${id}`);
  return a;
}

/** Server-side linear proof (spec 3.5): `[Alh(source), innerHash(source+1), …, innerHash(target)]`. */
export function linearProof(chain: Chain, source: number, target: number): LinearProof {
  const terms: Digest[] = [alhOf(chain, source)];
  for (let id = source + 1; id <= target; id++) terms.push(chain.inners[id - 1]!);
  return { sourceTxId: BigInt(source), targetTxId: BigInt(target), terms };
}

/** Server-side LinearAdvanceProof (spec 3.6) for `(start, end)` and tree size `treeSize`; undefined if not needed. */
export function linearAdvanceProof(
  chain: Chain,
  start: number,
  end: number,
  treeSize: number,
): LinearAdvanceProof | undefined {
  if (end <= start + 1) return undefined;
  const linearProofTerms: Digest[] = [alhOf(chain, start + 1)];
  for (let id = start + 2; id <= end; id++) linearProofTerms.push(chain.inners[id - 1]!);
  const inclusionProofs: Digest[][] = [];
  for (let id = start + 1; id < end; id++) inclusionProofs.push(chain.aht.inclusion(id, treeSize));
  return { linearProofTerms, inclusionProofs };
}

/** Server-side dual proof (spec 3.7 "Server generation"). */
export function dualProof(chain: Chain, source: number, target: number): DualProof {
  const s = hdr(chain, source);
  const t = hdr(chain, target);
  const sBl = Number(s.blTxId);
  const tBl = Number(t.blTxId);
  const lap = linearAdvanceProof(chain, sBl, Math.min(source, tBl), tBl);
  const base = {
    sourceTxHeader: s,
    targetTxHeader: t,
    inclusionProof: source < tBl ? chain.aht.inclusion(source, tBl) : [],
    consistencyProof: sBl > 0 ? chain.aht.consistency(sBl, tBl) : [],
    targetBlTxAlh: tBl > 0 ? alhOf(chain, tBl) : new Uint8Array(32),
    lastInclusionProof: tBl > 0 ? chain.aht.inclusion(tBl, tBl) : [],
    linearProof: linearProof(chain, Math.max(source, tBl), target),
  };
  return lap === undefined ? base : { ...base, linearAdvanceProof: lap };
}

/** Server-side DualProofV2 (spec 3.9); requires `blTxId == id - 1` everywhere. */
export function dualProofV2(chain: Chain, source: number, target: number): DualProofV2 {
  const s = hdr(chain, source);
  const t = hdr(chain, target);
  if (source >= target)
    return { sourceTxHeader: s, targetTxHeader: t, inclusionProof: [], consistencyProof: [] };
  const tBl = Number(t.blTxId);
  return {
    sourceTxHeader: s,
    targetTxHeader: t,
    inclusionProof: chain.aht.inclusion(source, tBl),
    consistencyProof: chain.aht.consistency(Math.max(1, Number(s.blTxId)), tBl),
  };
}

/** A copy of `b` with byte `k` XOR-ed with 0x01. */
export function flipByte(b: Uint8Array, k: number): Uint8Array {
  const c = Uint8Array.from(b);
  c[k] = (c[k] ?? 0) ^ 0x01;
  return c;
}
