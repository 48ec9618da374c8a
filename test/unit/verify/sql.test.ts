import { describe, expect, it } from "vitest";
import {
  decodeSqlRowValue,
  encodeSqlPrimaryKeyValue,
  InvalidArgumentError,
  type SqlKeyType,
  type SqlPrimaryKeyValue,
  sqlRowKey,
  VerificationError,
} from "../../../src/verify/index.js";
import { fromHex, toHex } from "./helpers.js";

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof VerificationError) return e.reason;
    if (e instanceof InvalidArgumentError) return "invalid-argument";
    return `unexpected: ${String(e)}`;
  }
  return undefined;
}

const enc = (v: SqlPrimaryKeyValue, t: SqlKeyType, maxLen: number) =>
  toHex(encodeSqlPrimaryKeyValue(v, t, maxLen));

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

describe("encodeSqlPrimaryKeyValue (spec 4.7)", () => {
  it("encodes NULL as 0x20 for every type", () => {
    for (const t of ["INTEGER", "VARCHAR", "BLOB", "BOOLEAN", "UUID", "TIMESTAMP", "FLOAT"] as const) {
      expect(enc(null, t, t === "BOOLEAN" ? 1 : 8)).toBe("20");
    }
  });

  it("encodes INTEGER as sign-flipped big-endian int64", () => {
    expect(enc(1n, "INTEGER", 8)).toBe("808000000000000001");
    expect(enc(0n, "INTEGER", 8)).toBe("808000000000000000");
    expect(enc(-1n, "INTEGER", 8)).toBe("807fffffffffffffff");
    expect(enc(2n ** 63n - 1n, "INTEGER", 8)).toBe("80ffffffffffffffff");
    expect(enc(-(2n ** 63n), "INTEGER", 8)).toBe("800000000000000000");
    expect(enc(42, "INTEGER", 8)).toBe(enc(42n, "INTEGER", 8));
  });

  it("encodes VARCHAR and BLOB zero-padded to maxLen plus u32 length (UTF-8 byte length)", () => {
    expect(enc("ab", "VARCHAR", 4)).toBe("806162000000000002");
    expect(enc("é", "VARCHAR", 2)).toBe("80c3a900000002");
    expect(enc("", "VARCHAR", 1)).toBe("800000000000");
    expect(enc(fromHex("0102"), "BLOB", 3)).toBe("8001020000000002");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue("abc", "VARCHAR", 2))).toBe("sql-row");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue("éé", "VARCHAR", 3))).toBe("sql-row");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(fromHex("010203"), "BLOB", 2))).toBe("sql-row");
  });

  it("encodes BOOLEAN, UUID and TIMESTAMP", () => {
    expect(enc(true, "BOOLEAN", 1)).toBe("8001");
    expect(enc(false, "BOOLEAN", 1)).toBe("8000");
    const u = "123e4567-e89b-12d3-a456-426614174000";
    expect(enc(u, "UUID", 16)).toBe("80123e4567e89b12d3a456426614174000");
    expect(enc(u.toUpperCase(), "UUID", 16)).toBe("80123e4567e89b12d3a456426614174000");
    expect(enc(`urn:uuid:${u}`, "UUID", 16)).toBe("80123e4567e89b12d3a456426614174000");
    expect(enc(`{${u}}`, "UUID", 16)).toBe("80123e4567e89b12d3a456426614174000");
    expect(enc(u.replaceAll("-", ""), "UUID", 16)).toBe("80123e4567e89b12d3a456426614174000");
    expect(enc(fromHex("123e4567e89b12d3a456426614174000"), "UUID", 16)).toBe(
      "80123e4567e89b12d3a456426614174000",
    );
    // 1 µs = 1000 ns.
    expect(enc(1n, "TIMESTAMP", 8)).toBe("8080000000000003e8");
    expect(enc(-1n, "TIMESTAMP", 8)).toBe("807ffffffffffffc18");
    expect(enc(new Date(1), "TIMESTAMP", 8)).toBe(enc(1000n, "TIMESTAMP", 8));
  });

  it("encodes FLOAT order-preservingly, including -0 and infinities", () => {
    expect(enc(1.5, "FLOAT", 8)).toBe("80bff8000000000000");
    expect(enc(-1.5, "FLOAT", 8)).toBe("804007ffffffffffff");
    expect(enc(0, "FLOAT", 8)).toBe("808000000000000000");
    expect(enc(-0, "FLOAT", 8)).toBe("807fffffffffffffff");
    expect(enc(Number.POSITIVE_INFINITY, "FLOAT", 8)).toBe("80fff0000000000000");
    expect(enc(Number.NEGATIVE_INFINITY, "FLOAT", 8)).toBe("80000fffffffffffff");
  });

  it("preserves the order of INTEGER and FLOAT values in the byte order", () => {
    const ints = [-(2n ** 63n), -1000n, -2n, -1n, 0n, 1n, 2n, 255n, 256n, 2n ** 40n, 2n ** 63n - 1n];
    for (let k = 1; k < ints.length; k++) {
      const a = encodeSqlPrimaryKeyValue(ints[k - 1]!, "INTEGER", 8);
      const b = encodeSqlPrimaryKeyValue(ints[k]!, "INTEGER", 8);
      expect(compareBytes(a, b)).toBeLessThan(0);
    }
    const floats = [
      Number.NEGATIVE_INFINITY,
      -1e300,
      -2.5,
      -1,
      -Number.MIN_VALUE,
      0,
      Number.MIN_VALUE,
      1,
      2.5,
      1e300,
    ];
    for (let k = 1; k < floats.length; k++) {
      const a = encodeSqlPrimaryKeyValue(floats[k - 1]!, "FLOAT", 8);
      const b = encodeSqlPrimaryKeyValue(floats[k]!, "FLOAT", 8);
      expect(compareBytes(a, b)).toBeLessThan(0);
    }
  });

  it("rejects invalid column lengths and mismatched values", () => {
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(1n, "INTEGER", 4))).toBe("sql-row");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(true, "BOOLEAN", 8))).toBe("sql-row");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(1n, "TIMESTAMP", 16))).toBe("sql-row");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue("a", "VARCHAR", 0))).toBe("sql-row");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue("a", "VARCHAR", 1025))).toBe("sql-row");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(null, "VARCHAR", 0))).toBe("sql-row");
    expect(encodeSqlPrimaryKeyValue("a", "VARCHAR", 1024).length).toBe(1 + 1024 + 4);
    expect(reasonOf(() => encodeSqlPrimaryKeyValue("1", "INTEGER", 8))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(1.5, "INTEGER", 8))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(2n ** 63n, "INTEGER", 8))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(1, "VARCHAR", 8))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue("x", "BLOB", 8))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(1, "BOOLEAN", 1))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue("not-a-uuid", "UUID", 16))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(new Uint8Array(15), "UUID", 16))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(Number.NaN, "FLOAT", 8))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(2n ** 62n, "TIMESTAMP", 8))).toBe("invalid-argument");
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(new Date(Number.NaN), "TIMESTAMP", 8))).toBe(
      "invalid-argument",
    );
    expect(reasonOf(() => encodeSqlPrimaryKeyValue(1n, "JSON" as SqlKeyType, 8))).toBe("invalid-argument");
  });
});

describe("sqlRowKey", () => {
  it("lays out prefix, ids, index 0 and the encoded pk values", () => {
    const pk1 = encodeSqlPrimaryKeyValue(7n, "INTEGER", 8);
    const pk2 = encodeSqlPrimaryKeyValue("ab", "VARCHAR", 2);
    expect(toHex(sqlRowKey(1, 3, [pk1, pk2]))).toBe(
      `02522e` + "00000001" + "00000003" + "00000000" + "808000000000000007" + "80616200000002",
    );
    expect(toHex(sqlRowKey(4_294_967_295, 0, []))).toBe("02522effffffff0000000000000000");
  });

  it("rejects ids outside uint32", () => {
    expect(reasonOf(() => sqlRowKey(-1, 1, []))).toBe("sql-row");
    expect(reasonOf(() => sqlRowKey(1, 2 ** 32, []))).toBe("sql-row");
    expect(reasonOf(() => sqlRowKey(1, 1.5, []))).toBe("sql-row");
    expect(reasonOf(() => sqlRowKey(1, 1, ["x" as unknown as Uint8Array]))).toBe("sql-row");
  });
});

describe("decodeSqlRowValue", () => {
  const row = fromHex(
    "00000002" + "00000001" + "00000008" + "8000000000000007" + "00000003" + "00000002" + "6162",
  );

  it("decodes column ids to raw bytes", () => {
    const cols = decodeSqlRowValue(row);
    expect([...cols.keys()]).toEqual([1, 3]);
    expect(toHex(cols.get(1)!)).toBe("8000000000000007");
    expect(toHex(cols.get(3)!)).toBe("6162");
    expect(decodeSqlRowValue(fromHex("00000000")).size).toBe(0);
    expect(toHex(decodeSqlRowValue(fromHex("00000001ffffffff00000000")).get(0xffffffff)!)).toBe("");
  });

  it("rejects malformed rows", () => {
    const bad = [
      "",
      "000000",
      "00000001",
      "0000000100000001",
      "000000010000000100000003aabb",
      `${toHex(row)}00`,
      "0000000200000001000000010a00000001000000010b",
      `00000003${toHex(row).slice(8)}`,
    ];
    for (const h of bad) expect(reasonOf(() => decodeSqlRowValue(fromHex(h)))).toBe("sql-row");
  });
});
