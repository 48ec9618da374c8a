/**
 * SQL against a real immudb 1.11.1: typed parameters and values of every column type, streamed results beyond
 * the server's 2500 rows per message, tables, interactive transactions, and verified row reads for primary
 * keys of every key type (with tampered answers from a proxy caught).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImmuService } from "../../src/gen/schema_pb.js";
import {
  ImmudbClient,
  ImmudbError,
  InvalidArgumentError,
  ServerError,
  SqlRow,
  SqlTimestamp,
  sql,
  VerificationError,
} from "../../src/index.js";
import { GrpcTransport } from "../../src/transport/grpc.js";
import { type GrpcProxy, type ResponseOf, startGrpcProxy } from "../harness/grpc-proxy.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

let server: ImmudbServer;
let client: ImmudbClient;
let proxy: GrpcProxy;
/** A client talking through the proxy (tamper tests, RPC counting). */
let pclient: ImmudbClient;

beforeAll(async () => {
  server = await startImmudb();
  client = await ImmudbClient.connect(server.url);
  proxy = await startGrpcProxy([{ port: server.port }]);
  pclient = await ImmudbClient.connect(proxy.url);
});

afterAll(async () => {
  await pclient?.close();
  await proxy?.close();
  await client?.close();
  await server?.dispose();
});

const UUID = "123e4567-e89b-12d3-a456-426614174000";
const bytes = (...b: number[]) => Uint8Array.from(b);

/** Calls through the proxy, heartbeats excluded. */
function proxiedCalls(): number {
  let n = 0;
  for (const [method, count] of proxy.calls) if (method !== "keepAlive") n += count;
  return n;
}

describe("sqlExec and sqlQuery", () => {
  beforeAll(async () => {
    await client.sqlExec(
      `CREATE TABLE types (
        id INTEGER AUTO_INCREMENT, i INTEGER, f FLOAT, v VARCHAR[64], b BLOB, ok BOOLEAN, ts TIMESTAMP,
        u UUID, j JSON, PRIMARY KEY id)`,
    );
  });

  it("writes a parameter of every type and reads back exact values", async () => {
    const res = await client.sqlExec(
      "INSERT INTO types (i, f, v, b, ok, ts, u, j) VALUES (@i, @f, @v, @b, @ok, @ts, @u, @j)",
      {
        i: -(2n ** 63n),
        f: 1.5,
        v: "héllo 🌍",
        b: bytes(0, 1, 0xff),
        ok: true,
        ts: sql.timestamp(1_700_000_000_123_456n),
        u: sql.uuid(UUID.toUpperCase()),
        j: sql.json({ a: [1, { b: null }], s: "x" }),
      },
    );
    expect(res.ongoingTx).toBe(false);
    expect(res.txs).toHaveLength(1);
    const tx = res.txs[0]!;
    expect(tx.updatedRows).toBe(1);
    expect(tx.header?.id).toBeGreaterThan(0n);
    const id = tx.lastInsertedPks.types!;
    expect(id).toBe(1n);
    expect(tx.firstInsertedPks.types).toBe(1n);

    const q = await client.sqlQuery("SELECT * FROM types WHERE id = @id", { id });
    expect(q.columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "INTEGER"],
      ["i", "INTEGER"],
      ["f", "FLOAT"],
      ["v", "VARCHAR"],
      ["b", "BLOB"],
      ["ok", "BOOLEAN"],
      ["ts", "TIMESTAMP"],
      ["u", "UUID"],
      ["j", "JSON"],
    ]);
    expect(q.columns[0]).toMatchObject({ table: "types", selector: "(types.id)" });
    expect(q.rows).toHaveLength(1);
    const row = q.rows[0]!;
    expect(row).toBeInstanceOf(SqlRow);
    expect(row.get("id")).toBe(1n);
    expect(row.get("i")).toBe(-(2n ** 63n));
    expect(row.get("f")).toBe(1.5);
    expect(row.get("v")).toBe("héllo 🌍");
    expect(row.get("b")).toEqual(bytes(0, 1, 0xff));
    expect(row.get("ok")).toBe(true);
    const ts = row.get("ts");
    expect(ts).toBeInstanceOf(SqlTimestamp);
    expect(ts).toBeInstanceOf(Date);
    expect((ts as SqlTimestamp).micros).toBe(1_700_000_000_123_456n);
    expect((ts as Date).getTime()).toBe(1_700_000_000_123);
    expect(row.get("u")).toBe(UUID);
    expect(row.get("j")).toEqual({ a: [1, { b: null }], s: "x" });
    // by position, by qualified name and selector, and as an object
    expect(row.get(3)).toBe("héllo 🌍");
    expect(row.get("types.v")).toBe("héllo 🌍");
    expect(row.get("(types.v)")).toBe("héllo 🌍");
    expect(row.toObject()).toMatchObject({ id: 1n, v: "héllo 🌍", ok: true });
    expect([...row]).toHaveLength(9);
    expect(() => row.get("nope")).toThrow(InvalidArgumentError);
  });

  it("maps JavaScript types by default: bigint INTEGER, number FLOAT, Date TIMESTAMP, null NULL", async () => {
    const at = new Date("2024-02-29T12:34:56.789Z");
    const res = await client.sqlExec(
      "INSERT INTO types (i, f, v, b, ok, ts, u, j) VALUES (@i, @f, @v, @b, @ok, @ts, @u, @j)",
      { i: sql.int(7), f: 3, v: null, b: Buffer.from("buf"), ok: false, ts: at, u: null, j: null },
    );
    const id = res.txs[0]!.lastInsertedPks.types!;
    const row = (await client.sqlQuery("SELECT * FROM types WHERE id = @id", { id })).rows[0]!;
    expect(row.get("i")).toBe(7n);
    expect(row.get("f")).toBe(3);
    expect(row.get("v")).toBeNull();
    expect(row.get("b")).toEqual(new TextEncoder().encode("buf"));
    expect(row.get("ok")).toBe(false);
    expect((row.get("ts") as SqlTimestamp).micros).toBe(BigInt(at.getTime()) * 1000n);
    expect((row.get("ts") as Date).toISOString()).toBe(at.toISOString());
    expect(row.get("u")).toBeNull();
    expect(row.get("j")).toBeNull();
  });

  it("round-trips a SqlTimestamp's microseconds, negative ones included", async () => {
    const before = new SqlTimestamp(-1_500_001n);
    expect(before.getTime()).toBe(-1501);
    const res = await client.sqlExec("INSERT INTO types (ts) VALUES (@ts)", { ts: before });
    const id = res.txs[0]!.lastInsertedPks.types!;
    const row = (await client.sqlQuery("SELECT ts FROM types WHERE id = @id", { id })).rows[0]!;
    expect((row.get("ts") as SqlTimestamp).micros).toBe(-1_500_001n);
  });

  it("runs several statements, and reports aggregate and alias columns by name", async () => {
    await client.sqlExec("CREATE TABLE multi (id INTEGER AUTO_INCREMENT, v VARCHAR[8], PRIMARY KEY id)");
    const res = await client.sqlExec(
      "INSERT INTO multi (v) VALUES ('a'); INSERT INTO multi (v) VALUES ('b'), ('c');",
    );
    expect(res.txs.map((t) => t.updatedRows)).toEqual([3]);
    expect(res.txs[0]!.firstInsertedPks.multi).toBe(1n);
    expect(res.txs[0]!.lastInsertedPks.multi).toBe(3n);
    const q = await client.sqlQuery("SELECT COUNT(*) AS n, MAX(id) AS mx FROM multi");
    expect(q.rows[0]!.toObject()).toEqual({ n: 3n, mx: 3n });
    const two = await client.sqlQuery(
      "SELECT a.id, b.id FROM multi AS a INNER JOIN multi AS b ON a.id = b.id WHERE a.id = 2",
    );
    const r = two.rows[0]!;
    expect(r.get("a.id")).toBe(2n);
    expect(r.get("b.id")).toBe(2n);
    expect(() => r.get("id")).toThrow(/ambiguous/);
    expect(Object.keys(r.toObject())).toEqual(["a.id", "b.id"]);
  });

  it("returns an empty result with its columns", async () => {
    const q = await client.sqlQuery("SELECT id, v FROM multi WHERE id > 100");
    expect(q.rows).toEqual([]);
    expect(q.columns.map((c) => c.name)).toEqual(["id", "v"]);
  });

  it("rejects bad SQL and unknown tables with the server's error", async () => {
    const err = await client.sqlQuery("SELECT * FROM nosuch").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).details.message).toBe("table does not exist (nosuch)");
    await expect(client.sqlExec("INSRT INTO types")).rejects.toThrow(/syntax error/);
  });

  it("rejects bad parameters with InvalidArgumentError before any RPC", async () => {
    const before = proxiedCalls();
    const bad: unknown[] = [
      undefined,
      {},
      [],
      Symbol("s"),
      () => 1,
      new Map(),
      2n ** 63n,
      new Date(Number.NaN),
    ];
    for (const v of bad) {
      await expect(
        pclient.sqlQuery("SELECT @p", { p: v as never }),
        `param ${String(typeof v)}`,
      ).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(pclient.sqlExec("SELECT 1", { p: v as never })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    await expect(pclient.sqlQuery("SELECT @p", { "@p": 1 })).rejects.toThrow(/without "@"/);
    await expect(pclient.sqlQuery("SELECT @p", { p: 1, P: 2 })).rejects.toThrow(/case-insensitive/);
    await expect(pclient.sqlQuery("SELECT 1", [1] as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(pclient.sqlQuery("")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(pclient.sqlExec("  ")).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => pclient.sqlQueryIterable("SELECT @p", { p: undefined as never })).toThrow(
      InvalidArgumentError,
    );
    await expect(pclient.describeTable("")).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => sql.int(1.5)).toThrow(InvalidArgumentError);
    expect(() => sql.int(2n ** 63n)).toThrow(InvalidArgumentError);
    expect(() => sql.float("1" as never)).toThrow(InvalidArgumentError);
    expect(() => sql.timestamp(5 as never)).toThrow(InvalidArgumentError);
    expect(() => sql.uuid("not-a-uuid")).toThrow(InvalidArgumentError);
    expect(() => sql.uuid(new Uint8Array(15))).toThrow(InvalidArgumentError);
    expect(() => sql.json(undefined)).toThrow(InvalidArgumentError);
    expect(() => sql.json(1n)).toThrow(InvalidArgumentError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => sql.json(circular)).toThrow(InvalidArgumentError);
    expect(proxiedCalls()).toBe(before);
  });

  it("sends a UUID as 16 bytes or text and compares it with a cast", async () => {
    const raw = Uint8Array.from(Buffer.from(UUID.replaceAll("-", ""), "hex"));
    const res = await client.sqlExec("INSERT INTO types (u) VALUES (@u)", { u: sql.uuid(raw) });
    const id = res.txs[0]!.lastInsertedPks.types!;
    const q = await client.sqlQuery("SELECT id FROM types WHERE u = @u::UUID AND id = @id", {
      u: sql.uuid(UUID),
      id,
    });
    expect(q.rows.map((r) => r.get("id"))).toEqual([id]);
  });
});

describe("large results", () => {
  const N = 10_000;

  beforeAll(async () => {
    await client.sqlExec("CREATE TABLE big (id INTEGER, v VARCHAR[16], PRIMARY KEY id)");
    // The server caps a transaction at 1024 entries: 1000 rows per statement.
    for (let start = 0; start < N; start += 1000) {
      const values = Array.from({ length: 1000 }, (_, k) => `(${start + k}, 'row-${start + k}')`).join(", ");
      const res = await client.sqlExec(`INSERT INTO big (id, v) VALUES ${values}`);
      expect(res.txs[0]!.updatedRows).toBe(1000);
    }
  });

  it(`sqlQuery returns all ${N} rows (the server sends at most 2500 per message)`, async () => {
    const q = await client.sqlQuery("SELECT id, v FROM big ORDER BY id");
    expect(q.rows).toHaveLength(N);
    q.rows.forEach((r, k) => {
      expect(r.get("id")).toBe(BigInt(k));
    });
    expect(q.rows[N - 1]!.get("v")).toBe(`row-${N - 1}`);
  });

  it("asks for a stream (acceptStream) and reads every message of it", async () => {
    const batches: number[] = [];
    let acceptStream: boolean | undefined;
    proxy.onResponse("sQLQuery", (m, ctx) => {
      acceptStream = ctx.request.acceptStream;
      batches.push(m.rows.length);
      return undefined;
    });
    try {
      const q = await pclient.sqlQuery("SELECT id FROM big");
      expect(q.rows).toHaveLength(N);
    } finally {
      proxy.onResponse("sQLQuery", undefined);
    }
    expect(acceptStream).toBe(true);
    expect(batches).toEqual([2500, 2500, 2500, 2500]);
  });

  it("sqlQueryIterable streams every row, and break cancels the call", async () => {
    let n = 0;
    let last = -1n;
    for await (const row of client.sqlQueryIterable("SELECT id FROM big WHERE id >= @from", { from: 0n })) {
      const id = row.get("id") as bigint;
      expect(id).toBeGreaterThan(last);
      last = id;
      n++;
    }
    expect(n).toBe(N);

    const inFlightBefore = proxy.inFlight;
    let seen = 0;
    for await (const _ of pclient.sqlQueryIterable("SELECT id FROM big")) {
      if (++seen === 10) break;
    }
    expect(seen).toBe(10);
    await expect.poll(() => proxy.inFlight).toBe(inFlightBefore);
    // the client is fine afterwards
    expect((await pclient.sqlQuery("SELECT COUNT(*) AS n FROM big")).rows[0]!.get("n")).toBe(BigInt(N));
  });
});

describe("tables", () => {
  it("listTables names the tables", async () => {
    const tables = await client.listTables();
    expect(tables).toEqual(expect.arrayContaining(["types", "big", "multi"]));
  });

  it("describeTable reports typed columns", async () => {
    await client.sqlExec(
      "CREATE TABLE described (id INTEGER AUTO_INCREMENT, name VARCHAR[40] NOT NULL, data BLOB, PRIMARY KEY id)",
    );
    await client.sqlExec("CREATE UNIQUE INDEX ON described (name)");
    const cols = await client.describeTable("described");
    expect(cols).toEqual([
      {
        name: "id",
        type: "INTEGER",
        maxLength: undefined,
        nullable: true, // what immudb 1.11.1 reports for a primary key not declared NOT NULL
        primaryKey: true,
        indexed: true,
        autoIncrement: true,
        unique: true,
      },
      {
        name: "name",
        type: "VARCHAR",
        maxLength: 40,
        nullable: false,
        primaryKey: false,
        indexed: true,
        autoIncrement: false,
        unique: true,
      },
      {
        name: "data",
        type: "BLOB",
        maxLength: undefined,
        nullable: true,
        primaryKey: false,
        indexed: false,
        autoIncrement: false,
        unique: false,
      },
    ]);
    const err = await client.describeTable("nosuch").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
  });
});

describe("interactive transactions", () => {
  beforeAll(async () => {
    await client.sqlExec("CREATE TABLE acct (id INTEGER, balance INTEGER, PRIMARY KEY id)");
    await client.sqlExec("INSERT INTO acct (id, balance) VALUES (1, 100), (2, 100)");
  });

  const balance = async (id: bigint) =>
    (await client.sqlQuery("SELECT balance FROM acct WHERE id = @id", { id })).rows[0]?.get("balance");

  it("transaction() commits and returns the callback's value and the committed tx", async () => {
    const { result, committed } = await client.transaction(async (tx) => {
      await tx.exec("UPDATE acct SET balance = balance - 10 WHERE id = @id", { id: 1n });
      await tx.exec("UPDATE acct SET balance = balance + 10 WHERE id = @id", { id: 2n });
      // the transaction sees its own writes; other sessions do not yet
      const inside = await tx.query("SELECT balance FROM acct WHERE id = 1");
      expect(await balance(1n)).toBe(100n);
      return inside.rows[0]!.get("balance");
    });
    expect(result).toBe(90n);
    expect(committed.updatedRows).toBe(2);
    expect(committed.header?.id).toBeGreaterThan(0n);
    expect(await balance(1n)).toBe(90n);
    expect(await balance(2n)).toBe(110n);
  });

  it("transaction() rolls back when the callback throws, and rethrows that error", async () => {
    const boom = new Error("boom");
    const err = await client
      .transaction(async (tx) => {
        await tx.exec("UPDATE acct SET balance = 0 WHERE id = 1");
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect((err as { rollbackError?: unknown }).rollbackError).toBeUndefined();
    expect(await balance(1n)).toBe(90n);
  });

  it("a failing statement rejects with the server's error; nothing is committed", async () => {
    const err = await client
      .transaction(async (tx) => {
        await tx.exec("UPDATE acct SET balance = 0 WHERE id = 1");
        await tx.exec("INSERT INTO nosuch (id) VALUES (1)");
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).details.message).toBe("table does not exist (nosuch)");
    expect((err as { rollbackError?: unknown }).rollbackError).toBeUndefined();
    expect(await balance(1n)).toBe(90n);
  });

  it("read-only transactions query a snapshot and refuse writes", async () => {
    const { result, committed } = await client.transaction(
      async (tx) => {
        expect(tx.readOnly).toBe(true);
        return (await tx.query("SELECT COUNT(*) AS n FROM acct")).rows[0]!.get("n");
      },
      { readOnly: true },
    );
    expect(result).toBe(2n);
    expect(committed.header).toBeUndefined();

    const err = await client
      .transaction((tx) => tx.exec("UPDATE acct SET balance = 0 WHERE id = 1"), { readOnly: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).details.message).toBe("read-only transaction");
    expect(await balance(1n)).toBe(90n);
  });

  it("beginTransaction: explicit commit and rollback; finished transactions refuse further calls", async () => {
    const tx = await client.beginTransaction();
    expect(tx.state).toBe("active");
    await tx.exec("UPDATE acct SET balance = 50 WHERE id = 2");
    const rows: SqlRow[] = [];
    for await (const r of tx.queryIterable("SELECT balance FROM acct WHERE id = 2")) rows.push(r);
    expect(rows[0]!.get("balance")).toBe(50n);
    await tx.rollback();
    expect(tx.state).toBe("rolledBack");
    expect(await balance(2n)).toBe(110n);
    await expect(tx.exec("UPDATE acct SET balance = 1 WHERE id = 2")).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(tx.commit()).rejects.toBeInstanceOf(InvalidArgumentError);
    await tx[Symbol.asyncDispose](); // no-op

    const tx2 = await client.beginTransaction();
    await tx2.exec("UPDATE acct SET balance = 111 WHERE id = 2");
    const c = await tx2.commit();
    expect(c.updatedRows).toBe(1);
    expect(tx2.state).toBe("committed");
    await expect(tx2.query("SELECT 1")).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await balance(2n)).toBe(111n);
  });

  it("asyncDispose rolls back an uncommitted transaction", async () => {
    {
      await using tx = await client.beginTransaction();
      await tx.exec("UPDATE acct SET balance = 0 WHERE id = 2");
    }
    expect(await balance(2n)).toBe(111n);
  });

  it("concurrent transactions on the same row: the second commit is a conflict", async () => {
    const a = await client.beginTransaction();
    const b = await client.beginTransaction();
    await a.query("SELECT balance FROM acct WHERE id = 1");
    await b.query("SELECT balance FROM acct WHERE id = 1");
    await a.exec("UPDATE acct SET balance = 1 WHERE id = 1");
    await b.exec("UPDATE acct SET balance = 2 WHERE id = 1");
    await a.commit();
    const err = await b.commit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).code).toBe("CONFLICT");
    expect(b.state).toBe("failed");
    expect(await balance(1n)).toBe(1n);
  });

  it("a session lost mid-transaction surfaces as SESSION_NOT_FOUND, and is not retried", async () => {
    const own = await ImmudbClient.connect(server.url);
    try {
      const tx = await own.beginTransaction();
      await tx.exec("UPDATE acct SET balance = 999 WHERE id = 1");
      // the server forgets the session (as after a restart or an idle timeout)
      const s = await own.session();
      const t = new GrpcTransport({
        address: `127.0.0.1:${server.port}`,
        maxReceiveMessageBytes: 4 << 20,
        maxSendMessageBytes: 4 << 20,
      });
      await t.unary(ImmuService.method.closeSession, {}, { metadata: { sessionid: s.id } });
      t.close();
      const err = await tx.exec("UPDATE acct SET balance = 998 WHERE id = 1").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImmudbError);
      expect((err as ImmudbError).code).toBe("SESSION_NOT_FOUND");
      expect((err as Error).message).toMatch(/session of SQL transaction .* was lost/);
      await expect(tx.commit()).rejects.toMatchObject({ code: "SESSION_NOT_FOUND" });
      // the client itself recovers with a new session; the transaction's write is gone
      expect(await balance(1n)).toBe(1n);
      expect((await own.sqlQuery("SELECT balance FROM acct WHERE id = 1")).rows[0]!.get("balance")).toBe(1n);
      expect((await own.session()).id).not.toBe(s.id);
    } finally {
      await own.close();
    }
  });

  it("transaction() attaches a failed rollback to the callback's error as rollbackError", async () => {
    const own = await ImmudbClient.connect(server.url);
    try {
      const boom = new Error("boom");
      const err = await own
        .transaction(async (tx) => {
          await tx.exec("UPDATE acct SET balance = 5 WHERE id = 1");
          await own.close(); // the rollback cannot reach the server any more
          throw boom;
        })
        .catch((e: unknown) => e);
      expect(err).toBe(boom);
      // the transport refuses calls on a closed client
      expect((err as { rollbackError?: unknown }).rollbackError).toBeInstanceOf(Error);
    } finally {
      await own.close();
    }
    expect(await balance(1n)).toBe(1n);
  });
});

describe("verifiedSqlGet", () => {
  /** Creates a one-row table with a primary key of `type`, returns the tx that wrote the row. */
  async function table(name: string, type: string, key: unknown, keySql = "@k"): Promise<bigint> {
    await client.sqlExec(`CREATE TABLE ${name} (k ${type}, note VARCHAR[32], PRIMARY KEY k)`);
    const res = await client.sqlExec(`INSERT INTO ${name} (k, note) VALUES (${keySql}, @note)`, {
      k: key as never,
      note: `row of ${name}`,
    });
    return res.txs[0]!.header!.id;
  }

  const cases: [string, string, unknown, unknown, unknown][] = [
    // table, column type, value written, value to look up, value read back
    ["pk_int", "INTEGER", -42n, -42n, -42n],
    ["pk_int_num", "INTEGER", 7n, 7, 7n],
    ["pk_varchar", "VARCHAR[32]", "ключ-🔑-κλειδί", "ключ-🔑-κλειδί", "ключ-🔑-κλειδί"],
    ["pk_blob", "BLOB[16]", bytes(0, 0xff, 0x80, 1), bytes(0, 0xff, 0x80, 1), bytes(0, 0xff, 0x80, 1)],
    ["pk_bool", "BOOLEAN", false, false, false],
    ["pk_float", "FLOAT", -2.75, -2.75, -2.75],
    ["pk_uuid", "UUID", sql.uuid(UUID), UUID, UUID],
  ];

  for (const [name, type, written, lookup, read] of cases) {
    it(`proves a row with a ${type} primary key (${name})`, async () => {
      const tx = await table(name, type, written);
      // sinceTx: immudb answers VerifiableSQLGet without waiting for its index
      const got = await client.verifiedSqlGet(name, [lookup as never], { sinceTx: tx });
      expect(got.tx).toBe(tx);
      expect(got.header.id).toBe(tx);
      expect(got.row.get("k")).toEqual(read);
      expect(got.row.get("note")).toBe(`row of ${name}`);
      expect(got.row.columns.map((c) => c.name)).toEqual(["k", "note"]);
      expect((await client.trustedState())?.txId).toBeGreaterThanOrEqual(tx);
    });
  }

  it("proves a row with a TIMESTAMP primary key, given as a Date, µs or SqlTimestamp", async () => {
    const micros = 1_700_000_000_123_000n;
    const tx = await table("pk_ts", "TIMESTAMP", sql.timestamp(micros));
    for (const key of [new Date(1_700_000_000_123), sql.timestamp(micros), new SqlTimestamp(micros)]) {
      const got = await client.verifiedSqlGet("pk_ts", key, { sinceTx: tx });
      expect(got.tx).toBe(tx);
      expect((got.row.get("k") as SqlTimestamp).micros).toBe(micros);
    }
  });

  it("proves rows with a composite primary key", async () => {
    await client.sqlExec(
      "CREATE TABLE pk_multi (a INTEGER, b VARCHAR[8], c BOOLEAN, note VARCHAR[16], PRIMARY KEY (a, b, c))",
    );
    const res = await client.sqlExec(
      "INSERT INTO pk_multi (a, b, c, note) VALUES (1, 'x', true, 'first'), (1, 'x', false, 'second')",
    );
    const r1 = await client.verifiedSqlGet("pk_multi", [1n, "x", true], { sinceTx: res.txs[0]!.header!.id });
    const r2 = await client.verifiedSqlGet("pk_multi", [1n, "x", false]);
    expect(r1.row.toObject()).toEqual({ a: 1n, b: "x", c: true, note: "first" });
    expect(r2.row.get("note")).toBe("second");
    await expect(client.verifiedSqlGet("pk_multi", [1n, "x"])).rejects.toBeInstanceOf(ServerError);
  });

  it("proves an older row after newer transactions (dual proof backwards), and atTx", async () => {
    await client.sqlExec("CREATE TABLE hist (id INTEGER, v VARCHAR[8], PRIMARY KEY id)");
    const t1 = (await client.sqlExec("INSERT INTO hist (id, v) VALUES (1, 'one')")).txs[0]!.header!.id;
    const t2 = (await client.sqlExec("UPSERT INTO hist (id, v) VALUES (1, 'uno')")).txs[0]!.header!.id;
    const t3 = (await client.sqlExec("INSERT INTO hist (id, v) VALUES (2, 'two')")).txs[0]!.header!.id;
    const latest = await client.verifiedSqlGet("hist", 1n, { sinceTx: t3 });
    expect(latest.tx).toBe(t2);
    expect(latest.row.get("v")).toBe("uno");
    const old = await client.verifiedSqlGet("hist", 1n, { atTx: t1 });
    expect(old.tx).toBe(t1);
    expect(old.row.get("v")).toBe("one");
    const trusted = (await client.trustedState())?.txId ?? 0n;
    expect(trusted).toBeGreaterThan(t1);
    // a tx that did not write the row
    await expect(client.verifiedSqlGet("hist", 1n, { atTx: t1 - 1n })).rejects.toBeInstanceOf(ServerError);
  });

  it("a wrong primary key finds no row (absence is the server's word)", async () => {
    const err = await client.verifiedSqlGet("pk_int", -43n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).code).toBe("KEY_NOT_FOUND");
    await expect(client.verifiedSqlGet("nosuch", 1n)).rejects.toThrow(/table does not exist/);
    // a value that does not fit the column type
    const mismatch = await client.verifiedSqlGet("pk_bool", "x").catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(ImmudbError);
  });

  it("rejects bad primary-key values before any RPC", async () => {
    const before = proxiedCalls();
    for (const bad of [[], [undefined], [null], [Number.NaN], [{}], [() => 1], [new Date(Number.NaN)]]) {
      await expect(pclient.verifiedSqlGet("pk_int", bad as never)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    await expect(pclient.verifiedSqlGet("", 1n)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(pclient.verifiedSqlGet("pk_int", 1n, { atTx: -1n })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(proxiedCalls()).toBe(before);
  });

  describe("a tampered answer is caught and leaves the trusted state unchanged", () => {
    const tampers: [string, (m: ResponseOf<"verifiableSQLGet">) => void][] = [
      [
        "row value",
        (m) => {
          const v = Uint8Array.from(m.sqlEntry!.value);
          v[v.length - 1] = (v[v.length - 1] ?? 0) ^ 1;
          m.sqlEntry!.value = v;
        },
      ],
      [
        "table id",
        (m) => {
          m.TableId += 1;
        },
      ],
      [
        "column length",
        (m) => {
          const id = m.PKIDs[0]!;
          m.ColLenById[id] = (m.ColLenById[id] ?? 0) + 1;
        },
      ],
      [
        "column type (the value no longer decodes)",
        (m) => {
          m.ColTypesById[2] = "BOOLEAN";
        },
      ],
      [
        "primary-key columns",
        (m) => {
          m.PKIDs = [...m.PKIDs, 2];
        },
      ],
      [
        "row tx",
        (m) => {
          m.sqlEntry!.tx -= 1n;
        },
      ],
      [
        "inclusion proof",
        (m) => {
          const p = m.inclusionProof!;
          const t = Uint8Array.from(p.terms[0] ?? new Uint8Array(32));
          t[0] = (t[0] ?? 0) ^ 1;
          p.terms = [t, ...p.terms.slice(1)];
        },
      ],
      [
        "proven header",
        (m) => {
          const h = m.verifiableTx!.dualProof!.targetTxHeader!;
          const eh = Uint8Array.from(h.eH);
          eh[0] = (eh[0] ?? 0) ^ 1;
          h.eH = eh;
        },
      ],
    ];

    const setup = async () => {
      await pclient.sqlExec("CREATE TABLE IF NOT EXISTS tamper (k VARCHAR[16], v INTEGER, PRIMARY KEY k)");
      const res = await pclient.sqlExec("UPSERT INTO tamper (k, v) VALUES ('a', 1), ('b', 2)");
      // the trusted state now holds the rows' tx
      await pclient.verifiedSqlGet("tamper", "a", { sinceTx: res.txs[0]!.header!.id });
      await pclient.sqlExec("UPSERT INTO tamper (k, v) VALUES ('c', 3)");
    };

    it("the proven row of another key", async () => {
      await setup();
      let saved: ResponseOf<"verifiableSQLGet"> | undefined;
      proxy.onResponse("verifiableSQLGet", (m, ctx) => {
        const k = ctx.request.sqlGetRequest?.pkValues[0]?.value;
        if (k?.case === "s" && k.value === "a") {
          saved = m;
          return undefined;
        }
        return saved;
      });
      try {
        await pclient.verifiedSqlGet("tamper", "a");
        const trusted = await pclient.trustedState();
        const err = await pclient.verifiedSqlGet("tamper", "b").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VerificationError);
        expect((err as VerificationError).reason).toBe("sql-row");
        expect(await pclient.trustedState()).toEqual(trusted);
      } finally {
        proxy.onResponse("verifiableSQLGet", undefined);
      }
    });

    for (const [what, tamper] of tampers) {
      it(what, async () => {
        await setup();
        const trusted = await pclient.trustedState();
        proxy.onResponse("verifiableSQLGet", (m) => {
          tamper(m);
        });
        try {
          const err = await pclient.verifiedSqlGet("tamper", "b").catch((e: unknown) => e);
          expect(err).toBeInstanceOf(VerificationError);
        } finally {
          proxy.onResponse("verifiableSQLGet", undefined);
        }
        expect(await pclient.trustedState()).toEqual(trusted);
        const ok = await pclient.verifiedSqlGet("tamper", "b");
        expect(ok.row.get("v")).toBe(2n);
      });
    }
  });
});
