import { describe, expect, it } from "vitest";
import { alh, innerHash, type TxHeader, VerificationError } from "../../../src/verify/index.js";
import { fromHex, refSha256, toHex, u64, utf8 } from "./helpers.js";

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof VerificationError) return e.reason;
    return `not a VerificationError: ${String(e)}`;
  }
  return undefined;
}

// Spec 2.3 header vector (Go-verified).
const base = {
  id: 7n,
  ts: 1_700_000_000n,
  nEntries: 2,
  blTxId: 6n,
  blRoot: fromHex("ff70b77df86a144f83c2a925c3a4d407e373291b3008112ccef5d3fdf2c83eaa"),
  prevAlh: fromHex("84fd9bac333ad79154348296204fa7f8c537a96e08983e5f73b3f5aca8e8edf7"),
  eh: fromHex("0c044a36c373b6a8955cc7ce45b9be389e7bf39ec3690747e9f0a0f298fdca0a"),
};
const v1: TxHeader = { ...base, version: 1, metadata: { truncatedTxId: 5n, extra: utf8("abc") } };
const v0: TxHeader = { ...base, version: 0 };

describe("innerHash and alh (spec 2.2, 2.3 Go-verified vectors)", () => {
  it("version 1 with TxMetadata", () => {
    expect(toHex(innerHash(v1))).toBe("3b95040041742e07ecbd42782920d0d47f9f1fe0381c9c7cd0c6445ffd2fefa3");
    expect(toHex(alh(v1))).toBe("4d813c73a857f52e164081d1cf597b986e509b0c6be5c0876a7b2a370028d2f1");
  });

  it("version 0", () => {
    expect(toHex(innerHash(v0))).toBe("0bbb74844b5fbac31461f5eaa358140dfced48f1490c857fa59e99240f1244e1");
    expect(toHex(alh(v0))).toBe("d0f76284274d2ca4496190e1a7062bfb2572f0a647ec953598c9344e9c27c297");
  });

  it("version 0 ignores metadata", () => {
    expect(toHex(alh({ ...v0, metadata: { truncatedTxId: 5n } }))).toBe(toHex(alh(v0)));
  });

  it("version 1 without metadata equals the explicit preimage", () => {
    const h: TxHeader = { ...base, version: 1 };
    const inner = refSha256(
      u64(base.ts),
      fromHex("0001"),
      fromHex("0000"),
      fromHex("00000002"),
      base.eh,
      u64(base.blTxId),
      base.blRoot,
    );
    expect(toHex(innerHash(h))).toBe(toHex(inner));
    expect(toHex(alh(h))).toBe(toHex(refSha256(u64(7n), base.prevAlh, inner)));
    // Empty TxMetadata hashes like absent metadata.
    expect(toHex(alh({ ...h, metadata: {} }))).toBe(toHex(alh(h)));
  });

  it("encodes a negative ts as two's complement", () => {
    const h: TxHeader = { ...v0, ts: -2n };
    const inner = refSha256(
      fromHex("fffffffffffffffe"),
      fromHex("00000002"),
      base.eh,
      u64(base.blTxId),
      base.blRoot,
    );
    expect(toHex(innerHash(h))).toBe(toHex(inner));
  });

  it("handles ids and sizes above 2^53 exactly", () => {
    const big = 2n ** 60n + 3n;
    const h: TxHeader = { ...v0, id: big, blTxId: big - 1n };
    const inner = refSha256(u64(base.ts), fromHex("00000002"), base.eh, u64(big - 1n), base.blRoot);
    expect(toHex(alh(h))).toBe(toHex(refSha256(u64(big), base.prevAlh, inner)));
  });

  it("binds every field", () => {
    const ref = toHex(alh(v1));
    const variants: TxHeader[] = [
      { ...v1, id: 8n },
      { ...v1, ts: 1_700_000_001n },
      { ...v1, nEntries: 3 },
      { ...v1, blTxId: 5n },
      { ...v1, version: 0 },
      { ...v1, metadata: { truncatedTxId: 6n, extra: utf8("abc") } },
      { ...v1, metadata: { truncatedTxId: 5n, extra: utf8("abd") } },
      { ...v1, prevAlh: Uint8Array.from(v1.prevAlh, (b, k) => (k === 31 ? b ^ 1 : b)) },
      { ...v1, eh: Uint8Array.from(v1.eh, (b, k) => (k === 0 ? b ^ 1 : b)) },
      { ...v1, blRoot: Uint8Array.from(v1.blRoot, (b, k) => (k === 15 ? b ^ 1 : b)) },
    ];
    for (const h of variants) expect(toHex(alh(h))).not.toBe(ref);
  });

  it("rejects unsupported versions and malformed fields with VerificationError", () => {
    expect(reasonOf(() => innerHash({ ...v1, version: 2 }))).toBe("unsupported-header-version");
    expect(reasonOf(() => alh({ ...v1, version: -1 }))).toBe("unsupported-header-version");
    expect(reasonOf(() => alh({ ...v1, prevAlh: new Uint8Array(31) }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, eh: new Uint8Array(33) }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, blRoot: new Uint8Array(0) }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, id: -1n }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, id: 2n ** 64n }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, ts: 2n ** 63n }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, nEntries: -1 }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, nEntries: 1.5 }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v0, nEntries: 65536 }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, metadata: { extra: new Uint8Array(257) } }))).toBe("malformed-proof");
    expect(reasonOf(() => alh({ ...v1, id: 7 as unknown as bigint }))).toBe("malformed-proof");
    expect(reasonOf(() => alh(undefined as unknown as TxHeader))).toBe("malformed-proof");
    // Largest representable nEntries per version are accepted.
    expect(alh({ ...v0, nEntries: 65535 }).length).toBe(32);
    expect(alh({ ...v1, nEntries: 2 ** 32 - 1 }).length).toBe(32);
  });
});
