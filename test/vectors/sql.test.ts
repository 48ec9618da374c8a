import { describe, expect, it } from "vitest";
import {
  decodeSqlRowValue,
  encodeSqlPrimaryKeyValue,
  entryDigest,
  type SqlKeyType,
  type SqlPrimaryKeyValue,
  sha256,
  sqlRowKey,
  verifyHtreeInclusion,
} from "../../src/verify/index.js";
import {
  float64FromBits,
  hex,
  type JInclusionProof,
  loadVectors,
  toHex,
  toInclusionProof,
  verdict,
} from "./load.js";

interface SqlValue {
  type: string;
  null?: boolean;
  value?: string | boolean;
  bits?: string;
  text?: string;
}

interface SqlFile {
  tables: {
    name: string;
    tableId: number;
    columns: { id: number; name: string; type: string; maxLen: number }[];
  }[];
  rows: {
    name: string;
    table: string;
    dbId: number;
    tableId: number;
    pks: { colId: number; maxLen: number; value: SqlValue; encoded: string }[];
    rowKey: string;
    rowValue: string;
    columns: { colId: number; raw: string; value: SqlValue }[];
    txId: string;
    version: number;
    digest: string;
    eh: string;
    proof: JInclusionProof;
    goOk: boolean;
  }[];
  pkEncodings: { name: string; maxLen: number; value: SqlValue; encoded?: string; goErr?: string }[];
}

/** JSON value -> the TS primary-key value (INTEGER bigint, TIMESTAMP bigint µs, UUID/BLOB bytes, FLOAT number). */
function pkValue(v: SqlValue): SqlPrimaryKeyValue {
  if (v.null === true) return null;
  switch (v.type) {
    case "INTEGER":
    case "TIMESTAMP":
      return BigInt(v.value as string);
    case "VARCHAR":
      return v.value as string;
    case "BOOLEAN":
      return v.value === true;
    case "BLOB":
    case "UUID":
      return hex((v.value as string | undefined) ?? "");
    case "FLOAT":
      return float64FromBits(v.bits ?? "");
    default:
      throw new Error(`unexpected type ${v.type}`);
  }
}

/** Decodes raw column bytes like Go's sql.DecodeValue does and renders them like the generator. */
function render(type: string, raw: Uint8Array): SqlValue {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (type) {
    case "INTEGER":
      return { type, value: view.getBigInt64(0, false).toString() };
    case "TIMESTAMP":
      return { type, value: view.getBigInt64(0, false).toString() };
    case "VARCHAR":
    case "JSON":
      return { type, value: new TextDecoder().decode(raw) };
    case "BOOLEAN":
      return { type, value: raw[0] === 1 };
    case "BLOB":
    case "UUID":
      return { type, value: toHex(raw) };
    case "FLOAT":
      return { type, bits: toHex(raw) };
    default:
      throw new Error(`unexpected type ${type}`);
  }
}

const f = loadVectors<SqlFile>("sql.json");

describe("vectors: SQL rows written by the immudb v1.11.1 SQL engine", () => {
  it("covers every primary-key type", () => {
    const types = new Set(f.rows.flatMap((r) => r.pks.map((p) => p.value.type)));
    expect([...types].sort()).toEqual([
      "BLOB",
      "BOOLEAN",
      "FLOAT",
      "INTEGER",
      "TIMESTAMP",
      "UUID",
      "VARCHAR",
    ]);
  });

  it.each(f.rows.map((r) => [`${r.table}: ${r.name}`, r] as const))("%s", (_n, r) => {
    const table = f.tables.find((t) => t.name === r.table)!;
    const encoded = r.pks.map((p) => {
      const col = table.columns.find((c) => c.id === p.colId)!;
      const enc = encodeSqlPrimaryKeyValue(pkValue(p.value), col.type as SqlKeyType, p.maxLen);
      expect(toHex(enc), `${col.name}`).toBe(p.encoded);
      return enc;
    });
    const key = sqlRowKey(r.dbId, r.tableId, encoded);
    expect(toHex(key)).toBe(r.rowKey);

    const cols = decodeSqlRowValue(hex(r.rowValue));
    expect([...cols.keys()]).toEqual(r.columns.map((c) => c.colId));
    for (const c of r.columns) {
      const raw = cols.get(c.colId)!;
      expect(toHex(raw)).toBe(c.raw);
      const type = table.columns.find((x) => x.id === c.colId)!.type;
      const { text: _t, ...expected } = c.value;
      expect(render(type, raw)).toEqual(expected);
    }

    // the row is proven as a plain entry: key = row key, value = row value (no prefix, no metadata)
    const d = entryDigest(r.version, { key, hValue: sha256(hex(r.rowValue)) });
    expect(toHex(d)).toBe(r.digest);
    expect(verdict(() => verifyHtreeInclusion(toInclusionProof(r.proof), d, hex(r.eh)))).toEqual({
      ok: r.goOk,
    });
  });

  it.each(f.pkEncodings.map((c) => [c.name, c] as const))("primary-key encoding: %s", (_n, c) => {
    let res: { ok: true; hex: string } | { ok: false; error: unknown };
    try {
      res = {
        ok: true,
        hex: toHex(encodeSqlPrimaryKeyValue(pkValue(c.value), c.value.type as SqlKeyType, c.maxLen)),
      };
    } catch (e) {
      res = { ok: false, error: e };
    }
    if (c.goErr === undefined) expect(res).toEqual({ ok: true, hex: c.encoded });
    else expect(res.ok, `Go: ${c.goErr}`).toBe(false);
  });
});
