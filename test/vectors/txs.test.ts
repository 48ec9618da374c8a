import { describe, expect, it } from "vitest";
import {
  ahtRoot,
  alh,
  entryDigest,
  htreeInclusionProof,
  htreeRoot,
  innerHash,
  kvMetadataBytes,
  sha256,
  txMetadataBytes,
  verifyHtreeInclusion,
} from "../../src/verify/index.js";
import type { EntrySpec } from "../../src/verify/types.js";
import {
  applyPatch,
  hex,
  type JHeader,
  type JInclusionProof,
  type JKVMd,
  type JSpecInput,
  loadVectors,
  mismatch,
  specFromInput,
  toHeader,
  toHex,
  toInclusionProof,
  toKVMetadata,
  toTxMetadata,
  type Variant,
  verdict,
} from "./load.js";

interface JEntry {
  key: string;
  hValue: string;
  vLen: number;
  metadata?: JKVMd;
  mdBytes: string;
  value?: string;
  input?: JSpecInput;
  digest: string;
  proof: JInclusionProof;
  goOk: boolean;
  variants?: Variant[];
}

interface JTx {
  store: string;
  note?: string;
  header: JHeader;
  txMdBytes: string;
  innerHash: string;
  alh: string;
  entries: JEntry[];
}

interface TxsFile {
  txs: JTx[];
  synthetic: { name: string; header: JHeader; txMdBytes: string; innerHash: string; alh: string }[];
}

const v = loadVectors<TxsFile>("txs.json");
const label = (t: JTx) => `${t.store} tx ${t.header.id}${t.note ? ` (${t.note})` : ""}`;

describe("vectors: transactions (headers v0/v1, entries, metadata)", () => {
  it("covers header v0 and v1, tx metadata and every KV metadata flag", () => {
    const versions = new Set(v.txs.map((t) => t.header.version));
    expect([...versions].sort()).toEqual([0, 1]);
    expect(v.txs.some((t) => t.header.metadata?.truncatedTxId !== undefined)).toBe(true);
    expect(v.txs.some((t) => t.header.metadata?.extra !== undefined)).toBe(true);
    const entries = v.txs.flatMap((t) => t.entries);
    expect(entries.some((e) => e.metadata?.deleted)).toBe(true);
    expect(entries.some((e) => e.metadata?.expiresAt !== undefined)).toBe(true);
    expect(entries.some((e) => e.metadata?.nonIndexable)).toBe(true);
    expect(entries.some((e) => e.metadata?.deleted && e.metadata.nonIndexable && e.metadata.expiresAt)).toBe(
      true,
    );
    expect(v.txs.some((t) => t.store.startsWith("data_v1.1.0"))).toBe(true);
  });

  it.each(v.txs.map((t) => [label(t), t] as const))("%s", (_name, t) => {
    const hdr = toHeader(t.header);
    expect(toHex(txMetadataBytes(toTxMetadata(t.header.metadata)))).toBe(t.txMdBytes);
    expect(toHex(innerHash(hdr))).toBe(t.innerHash);
    expect(toHex(alh(hdr))).toBe(t.alh);
    expect(t.entries.length).toBe(t.header.nEntries);

    const digests: Uint8Array[] = [];
    for (const e of t.entries) {
      expect(toHex(kvMetadataBytes(toKVMetadata(e.metadata)))).toBe(e.mdBytes);
      const md = toKVMetadata(e.metadata);
      const spec: EntrySpec = { key: hex(e.key), hValue: hex(e.hValue), ...(md ? { metadata: md } : {}) };
      if (e.value !== undefined) expect(toHex(sha256(hex(e.value)))).toBe(e.hValue);
      if (e.input !== undefined) {
        const rebuilt = specFromInput(e.input, e.metadata);
        expect(toHex(rebuilt.key)).toBe(e.key);
        expect(toHex(rebuilt.hValue)).toBe(e.hValue);
      }
      const d = entryDigest(t.header.version, spec);
      expect(toHex(d)).toBe(e.digest);
      digests.push(d);
    }
    const root = htreeRoot(digests);
    expect(toHex(root)).toBe(t.header.eh);
    t.entries.forEach((e, i) => {
      const p = toInclusionProof(e.proof);
      expect(verdict(() => verifyHtreeInclusion(p, hex(e.digest), root))).toEqual({ ok: e.goOk });
      // the locally built proof (VerifiedSet path) equals the server's
      const local = htreeInclusionProof(digests, i);
      expect({ leaf: local.leaf, width: local.width, terms: local.terms.map(toHex) }).toEqual(e.proof);
      // tampered entries (value/hValue, key, metadata): same verdict as Go
      const { variants, ...base } = e;
      const problems: string[] = [];
      for (const variant of variants ?? []) {
        const x = applyPatch(base, variant.patch);
        const md = toKVMetadata(x.metadata);
        const res = verdict(() => {
          const spec: EntrySpec = { key: hex(x.key), hValue: hex(x.hValue), ...(md ? { metadata: md } : {}) };
          verifyHtreeInclusion(toInclusionProof(x.proof), entryDigest(t.header.version, spec), root);
        });
        const m = mismatch(`entry ${i}: ${variant.name}`, variant.goOk, res);
        if (m !== undefined) problems.push(m);
      }
      expect(problems).toEqual([]);
    });
  });

  it("chains: prevAlh links and blRoot = AHT root of the first blTxId Alhs", () => {
    const stores = new Map<string, JTx[]>();
    for (const t of v.txs) stores.set(t.store, [...(stores.get(t.store) ?? []), t]);
    let checked = 0;
    for (const [store, txs] of stores) {
      const alhs = txs.map((t) => hex(t.alh));
      txs.forEach((t, k) => {
        expect(t.header.id, store).toBe(String(k + 1));
        const prev = k === 0 ? toHex(sha256(new Uint8Array(0))) : txs[k - 1]!.alh;
        expect(t.header.prevAlh, `${store} ${t.header.id}`).toBe(prev);
        const bl = Number(t.header.blTxId);
        expect(toHex(ahtRoot(alhs.slice(0, bl))), `${store} ${t.header.id}`).toBe(t.header.blRoot);
        checked++;
      });
    }
    expect(checked).toBe(v.txs.length);
  });

  it("lagging blTxId in data_long_linear_proof (txs 11-20 have blTxId 10)", () => {
    const long = v.txs.filter((t) => t.store === "data_long_linear_proof");
    expect(long.length).toBe(30);
    expect(long.filter((t) => t.header.blTxId === "10").map((t) => t.header.id)).toEqual(
      Array.from({ length: 10 }, (_, k) => String(k + 11)),
    );
  });

  it.each(v.synthetic.map((s) => [s.name, s] as const))("synthetic header: %s", (_name, s) => {
    const hdr = toHeader(s.header);
    if (s.header.version === 1) expect(toHex(txMetadataBytes(hdr.metadata))).toBe(s.txMdBytes);
    expect(toHex(innerHash(hdr))).toBe(s.innerHash);
    expect(toHex(alh(hdr))).toBe(s.alh);
  });

  it("rejects header versions other than 0 and 1", () => {
    const t = v.txs[0]!;
    const hdr = { ...toHeader(t.header), version: 2 };
    expect(verdict(() => alh(hdr))).toMatchObject({ ok: false, reason: "unsupported-header-version" });
  });
});
