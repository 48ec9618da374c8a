/**
 * Reliability 3: the bad-input matrix. Every bad argument is refused with an `InvalidArgumentError` before any
 * RPC (proven with a spy on the transport: not one call of any kind reaches it, not even OpenSession for bad
 * connection options) and nothing is written (the server's state is unchanged at the end). Wrong credentials,
 * an unknown database and a missing permission are the server's answers, mapped to typed errors.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthenticationError,
  ImmudbClient,
  InvalidArgumentError,
  Permission,
  ServerError,
} from "../../../src/index.js";
import { GrpcTransport } from "../../../src/transport/grpc.js";
import { type ImmudbServer, startImmudb } from "../../harness/immudb-server.js";
import { figure } from "./helpers.js";

let server: ImmudbServer;
let client: ImmudbClient;

beforeAll(async () => {
  server = await startImmudb();
  client = await ImmudbClient.connect({ port: server.port, heartbeatIntervalMs: 0 });
  await client.set("k", "v");
  await client.sqlExec("CREATE TABLE t (id INTEGER, name VARCHAR, PRIMARY KEY id)");
});

afterAll(async () => {
  await client?.close();
  await server?.dispose();
});

/** Counts every call that reaches a transport, of any kind (unary and streams), while `fn` runs. */
async function rpcsDuring(fn: () => Promise<unknown>): Promise<{ error: unknown; rpcs: string[] }> {
  const rpcs: string[] = [];
  const spies = (["unary", "serverStream", "clientStream", "bidiStream"] as const).map((kind) => {
    const original = GrpcTransport.prototype[kind] as (...a: unknown[]) => unknown;
    return vi.spyOn(GrpcTransport.prototype, kind).mockImplementation(function (
      this: GrpcTransport,
      ...args: unknown[]
    ) {
      rpcs.push(`${kind}:${(args[0] as { name: string }).name}`);
      return original.apply(this, args) as never;
    });
  });
  let error: unknown;
  try {
    const r = await fn();
    // A client made by a case that should have failed must not leak.
    if (r instanceof ImmudbClient) await r.close();
  } catch (err) {
    error = err;
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return { error, rpcs };
}

const MiB = 1024 * 1024;
const any = (v: unknown) => v as never;
type Case = readonly [name: string, fn: () => Promise<unknown>];

// Each case calls the API as a JavaScript caller could (types bypassed with `any`).
const keyCases = (): Case[] => [
  ["set: empty key", () => client.set("", "v")],
  ["set: empty Uint8Array key", () => client.set(new Uint8Array(0), "v")],
  ["get: empty key", () => client.get("")],
  ["verifiedSet: empty key", () => client.verifiedSet("", "v")],
  ["verifiedGet: empty key", () => client.verifiedGet("")],
  ["delete: empty key", () => client.delete("")],
  ["delete: no keys", () => client.delete([])],
  ["setAll: empty key", () => client.setAll([{ key: "", value: "v" }])],
  ["setAll: no entries", () => client.setAll([])],
  ["execAll: empty key", () => client.execAll([{ type: "set", key: "", value: "v" }])],
  ["setReference: empty referenced key", () => client.setReference("ref", "")],
  ["zAdd: empty set", () => client.zAdd("", 1, "k")],
  ["history: empty key", async () => client.history("").toArray(1)],
  ["streamSet: empty key", () => client.streamSet("", "v")],
  ["streamVerifiedGet: empty key", () => client.streamVerifiedGet("")],
  ["set: key of 1024 bytes (max 1023)", () => client.set("k".repeat(1024), "v")],
  ["set: key of 1024 UTF-8 bytes", () => client.set("é".repeat(512), "v")],
  ["get: key of 64 KiB", () => client.get("k".repeat(65536))],
  ["verifiedSet: key too long", () => client.verifiedSet("k".repeat(1024), "v")],
  ["streamSet: key too long", () => client.streamSet("k".repeat(1024), "v")],
];

const sizeCases = (): Case[] => [
  ["set: 33 MiB value (over the 32 MiB message limit)", () => client.set("big", new Uint8Array(33 * MiB))],
  ["verifiedSet: 33 MiB value", () => client.verifiedSet("big", new Uint8Array(33 * MiB))],
  [
    "setAll: 2 × 17 MiB values in one message",
    () =>
      client.setAll([
        { key: "big1", value: new Uint8Array(17 * MiB) },
        { key: "big2", value: new Uint8Array(17 * MiB) },
      ]),
  ],
];

const numberCases = (): Case[] => [
  ["zAdd: NaN score", () => client.zAdd("s", Number.NaN, "k")],
  ["zAdd: Infinity score", () => client.zAdd("s", Number.POSITIVE_INFINITY, "k")],
  ["zAdd: -Infinity score", () => client.zAdd("s", Number.NEGATIVE_INFINITY, "k")],
  ["verifiedZAdd: NaN score", () => client.verifiedZAdd("s", Number.NaN, "k")],
  [
    "execAll: zAdd with Infinity score",
    () => client.execAll([{ type: "zAdd", set: "s", score: Infinity, key: "k" }]),
  ],
  ["zScan: NaN minScore", async () => client.zScan("s", { minScore: Number.NaN }).toArray(1)],
  ["txById: -1n", () => client.txById(-1n)],
  ["txById: 2^64", () => client.txById(2n ** 64n)],
  ["verifiedTxById: 0n", () => client.verifiedTxById(0n)],
  ["verifiedTxById: -5n", () => client.verifiedTxById(-5n)],
  ["get: atTx -1n", () => client.get("k", { atTx: -1n })],
  ["get: sinceTx 2^64", () => client.get("k", { sinceTx: 2n ** 64n })],
  ["get: atRevision 2^63 (over int64)", () => client.get("k", { atRevision: 2n ** 63n })],
  ["get: atRevision -(2^63)-1", () => client.get("k", { atRevision: -(2n ** 63n) - 1n })],
  ["verifiedGet: atRevision 2^64", () => client.verifiedGet("k", { atRevision: 2n ** 64n })],
  ["verifiedGet: atTx -1n", () => client.verifiedGet("k", { atTx: -1n })],
  ["history: offset -1", async () => client.history("k", { offset: -1 }).toArray(1)],
  ["history: limit 1.5", async () => client.history("k", { limit: 1.5 }).toArray(1)],
  ["txScan: initialTx -1n", async () => client.txScan({ initialTx: -1n }).toArray(1)],
  ["scan: limit -1", async () => client.scan({ limit: -1 }).toArray(1)],
  ["setReference: atTx -1n", () => client.setReference("ref", "k", { atTx: -1n })],
  ["verifiedZAdd: atTx 2^64", () => client.verifiedZAdd("s", 1, "k", { atTx: 2n ** 64n })],
  ["exportTx: 0n", () => client.exportTx(0n)],
];

const typeCases = (): Case[] => [
  ["set: number key", () => client.set(any(42), "v")],
  ["set: null key", () => client.set(any(null), "v")],
  ["set: object value", () => client.set("k2", any({}))],
  ["set: number value", () => client.set("k2", any(42))],
  ["set: undefined value", () => client.set("k2", any(undefined))],
  ["get: undefined key", () => client.get(any(undefined))],
  ["get: array key", () => client.get(any(["k"]))],
  ["txById: number id", () => client.txById(any(5))],
  ["verifiedTxById: string id", () => client.verifiedTxById(any("5"))],
  ["get: number atTx", () => client.get("k", any({ atTx: 1 }))],
  ["get: number atRevision", () => client.get("k", any({ atRevision: 1 }))],
  ["zAdd: string score", () => client.zAdd("s", any("1"), "k")],
  ["setAll: not an array", () => client.setAll(any("k"))],
  ["execAll: unknown op type", () => client.execAll([any({ type: "bogus", key: "k" })])],
  ["delete: number key", () => client.delete(any(42))],
  ["getAll: string instead of array", () => client.getAll(any("k"))],
  ["set: expiresAt string", () => client.set("k2", "v", any({ expiresAt: "tomorrow" }))],
  [
    "set: duplicate keys in setAll",
    () =>
      client.setAll([
        { key: "d", value: "1" },
        { key: "d", value: "2" },
      ]),
  ],
  ["sqlExec: number instead of SQL", () => client.sqlExec(any(42))],
  ["sqlExec: empty SQL", () => client.sqlExec("")],
  ["sqlQuery: empty SQL", () => client.sqlQuery("  ")],
  ["transaction: no callback", () => client.transaction(any("not a function"))],
  ["useDatabase: empty name", () => client.useDatabase("")],
  ["createDatabase: invalid name", () => client.createDatabase("Bad-Name!")],
  ["createUser: unknown permission", () => client.createUser("bob", "Passw0rd!x", any(99), "defaultdb")],
];

const sqlParamCases = (): Case[] => [
  ["sqlExec: object param", () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, @p)", any({ p: {} }))],
  [
    "sqlExec: undefined param",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, @p)", any({ p: undefined })),
  ],
  [
    "sqlExec: symbol param",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, @p)", any({ p: Symbol("x") })),
  ],
  [
    "sqlExec: function param",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, @p)", any({ p: () => 1 })),
  ],
  [
    "sqlExec: array param",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, @p)", any({ p: [1, 2] })),
  ],
  [
    "sqlExec: Map param",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, @p)", any({ p: new Map() })),
  ],
  [
    "sqlExec: bigint over int64",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (@id, 'x')", { id: 2n ** 63n }),
  ],
  [
    "sqlExec: invalid Date",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, @p)", { p: new Date(Number.NaN) }),
  ],
  [
    "sqlExec: params not an object",
    () => client.sqlExec("INSERT INTO t (id, name) VALUES (1, 'x')", any("p")),
  ],
  ["sqlQuery: object param", () => client.sqlQuery("SELECT * FROM t WHERE id = @id", any({ id: {} }))],
  ["verifiedSqlGet: object primary key", () => client.verifiedSqlGet("t", any({}))],
];

const connectCases = (): Case[] => [
  ["connect: not a URL", () => ImmudbClient.connect("not a url")],
  ["connect: http: scheme", () => ImmudbClient.connect(`http://127.0.0.1:${server.port}`)],
  [
    "connect: port 99999 in URL",
    () => ImmudbClient.connect("immudb://immudb:immudb@127.0.0.1:99999/defaultdb"),
  ],
  [
    "connect: unknown URL parameter",
    () => ImmudbClient.connect(`immudb://127.0.0.1:${server.port}?colour=red`),
  ],
  [
    "connect: bad percent-encoding",
    () => ImmudbClient.connect(`immudb://immudb:%zz@127.0.0.1:${server.port}`),
  ],
  ["connect: tls=maybe", () => ImmudbClient.connect(`immudb://127.0.0.1:${server.port}?tls=maybe`)],
  ["connect: port 0", () => ImmudbClient.connect({ port: 0 })],
  ["connect: port as string", () => ImmudbClient.connect({ port: any(String(server.port)) })],
  ["connect: empty host", () => ImmudbClient.connect({ host: "", port: server.port })],
  ["connect: empty database", () => ImmudbClient.connect({ port: server.port, database: "" })],
  ["connect: timeoutMs -1", () => ImmudbClient.connect({ port: server.port, timeoutMs: -1 })],
  ["connect: timeoutMs NaN", () => ImmudbClient.connect({ port: server.port, timeoutMs: Number.NaN })],
  [
    "connect: heartbeat Infinity",
    () => ImmudbClient.connect({ port: server.port, heartbeatIntervalMs: Infinity }),
  ],
  ["connect: tls 'yes'", () => ImmudbClient.connect({ port: server.port, tls: any("yes") })],
  ["connect: tls cert without key", () => ImmudbClient.connect({ port: server.port, tls: { cert: "x" } })],
  ["connect: retry 5", () => ImmudbClient.connect({ port: server.port, retry: any(5) })],
  [
    "connect: retry maxAttempts 0",
    () => ImmudbClient.connect({ port: server.port, retry: { maxAttempts: 0 } }),
  ],
  ["connect: auth bogus", () => ImmudbClient.connect({ port: server.port, auth: any("bogus") })],
  [
    "connect: maxSendMessageBytes -1",
    () => ImmudbClient.connect({ port: server.port, maxSendMessageBytes: -1 }),
  ],
  ["connect: options a number", () => ImmudbClient.connect(any(42))],
  ["connect: options an array", () => ImmudbClient.connect(any([]))],
  [
    "connect: trustedState with a short hash",
    () => ImmudbClient.connect({ port: server.port, trustedState: { txId: 1n, txHash: new Uint8Array(3) } }),
  ],
  [
    "connect: bad signing key",
    () => ImmudbClient.connect({ port: server.port, serverSigningKey: "not a key" }),
  ],
];

const groups: Record<string, () => Case[]> = {
  "empty and over-long keys": keyCases,
  "values over the message limit (no streaming)": sizeCases,
  "non-finite scores, out-of-range tx ids and revisions": numberCases,
  "wrong types from JavaScript callers": typeCases,
  "SQL parameters of unsupported types": sqlParamCases,
  "invalid URL or options": connectCases,
};

describe("bad input: a typed error before any RPC, nothing written", () => {
  const counts: Record<string, number> = {};
  let stateBefore: bigint;
  beforeAll(async () => {
    stateBefore = (await client.currentState()).txId;
  });

  for (const [group, cases] of Object.entries(groups)) {
    it(group, async () => {
      const problems: string[] = [];
      const list = cases();
      for (const [name, fn] of list) {
        const { error, rpcs } = await rpcsDuring(fn);
        if (!(error instanceof InvalidArgumentError)) {
          problems.push(`${name}: expected InvalidArgumentError, got ${String(error)}`);
        } else if (error.code !== "INVALID_ARGUMENT") {
          problems.push(`${name}: code ${error.code}`);
        }
        if (rpcs.length > 0) problems.push(`${name}: RPCs sent: ${rpcs.join(", ")}`);
      }
      expect(problems).toEqual([]);
      counts[group] = list.length;
    });
  }

  it("wrote nothing", async () => {
    expect((await client.currentState()).txId).toBe(stateBefore);
    for (const k of ["big", "big1", "big2", "k2", "d", "ref"]) expect(await client.get(k)).toBeUndefined();
    expect((await client.sqlQuery("SELECT COUNT(*) FROM t")).rows[0]?.values[0]).toBe(0n);
    figure("bad-input", { ...counts, total: Object.values(counts).reduce((a, b) => a + b, 0), rpcsSent: 0 });
  });
});

describe("server refusals mapped to typed errors", () => {
  it("wrong credentials: AuthenticationError (AUTHENTICATION), password never shown", async () => {
    const err = await ImmudbClient.connect({ port: server.port, password: "s3cret-wrong" }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.code).toBe("AUTHENTICATION");
    expect(String(err) + JSON.stringify(err.details)).not.toContain("s3cret-wrong");
    const user = await ImmudbClient.connect({ port: server.port, user: "nobody", password: "x" }).catch(
      (e) => e,
    );
    expect(user).toBeInstanceOf(AuthenticationError);
  });

  it("unknown database: ServerError DATABASE_NOT_FOUND", async () => {
    const err = await ImmudbClient.connect({ port: server.port, database: "nosuchdb" }).catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err.code).toBe("DATABASE_NOT_FOUND");
    const useErr = await client.useDatabase("nosuchdb").catch((e) => e);
    expect(useErr.code).toBe("DATABASE_NOT_FOUND");
    expect(client.database).toBe("defaultdb");
  });

  it("missing permission: AuthenticationError PERMISSION_DENIED, nothing written", async () => {
    await client.createDatabase("reliability_other", { ifNotExists: true });
    await client.createUser("reader", "Reader!2345", Permission.Read, "defaultdb");
    const reader = await ImmudbClient.connect({ port: server.port, user: "reader", password: "Reader!2345" });
    const before = (await client.currentState()).txId;
    const seen: Record<string, string> = {};
    try {
      expect((await reader.get("k"))?.value).toEqual(new TextEncoder().encode("v"));
      const attempts: Record<string, () => Promise<unknown>> = {
        set: () => reader.set("by-reader", "x"),
        verifiedSet: () => reader.verifiedSet("by-reader", "x"),
        "sqlExec INSERT": () => reader.sqlExec("INSERT INTO t (id, name) VALUES (7, 'r')"),
        createDatabase: () => reader.createDatabase("by_reader"),
        createUser: () => reader.createUser("eve", "Eve!23456789", Permission.Admin, "defaultdb"),
        "useDatabase (no permission on it)": () => reader.useDatabase("reliability_other"),
      };
      for (const [name, fn] of Object.entries(attempts)) {
        const err = await fn().catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(AuthenticationError);
        expect((err as AuthenticationError).code, name).toBe("PERMISSION_DENIED");
        seen[name] = (err as AuthenticationError).details?.message ?? "";
      }
      const noPerm = await ImmudbClient.connect({
        port: server.port,
        user: "reader",
        password: "Reader!2345",
        database: "reliability_other",
      }).catch((e) => e);
      expect(noPerm).toBeInstanceOf(AuthenticationError);
      expect(noPerm.code).toBe("PERMISSION_DENIED");
      seen["connect to a database without permission"] = noPerm.details?.message ?? noPerm.message;
    } finally {
      await reader.close();
    }
    expect((await client.currentState()).txId).toBe(before);
    expect(await client.get("by-reader")).toBeUndefined();
    figure("server-refusals", seen);
  });
});
