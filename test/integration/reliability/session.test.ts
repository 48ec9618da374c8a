/**
 * Reliability 5: session expiry on a server with a short session timeout (`--session-timeout 3s`). An idle
 * client's next call, verified or not, succeeds after a transparent reopen (exactly one new OpenSession); a
 * client inside an interactive SQL transaction gets a clear SESSION_NOT_FOUND error instead (the server dropped
 * the transaction with the session; nothing of it is committed, nothing is resent), and recovers afterwards.
 * With the heartbeat on, the same idle transaction survives. (connection.test.ts covers the plain idle write and
 * the heartbeat keeping an idle session alive.) The scenarios run concurrently: each waits out the timeout once.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { ImmudbClient, ImmudbError, Permission } from "../../../src/index.js";
import { GrpcTransport } from "../../../src/transport/grpc.js";
import { type ImmudbServer, startImmudb } from "../../harness/immudb-server.js";
import { delay, figure } from "./helpers.js";

/** Longer than the 3 s timeout plus the 1 s guard interval. */
const EXPIRE_MS = 5500;
let server: ImmudbServer;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  server = await startImmudb({ args: ["--session-timeout", "3s", "--sessions-guard-check-interval", "1s"] });
  const c = await ImmudbClient.connect({ port: server.port });
  await c.sqlExec("CREATE TABLE acct (id INTEGER, balance INTEGER, PRIMARY KEY id)");
  await c.sqlExec("INSERT INTO acct (id, balance) VALUES (1, 100), (2, 100), (3, 100)");
  await c.verifiedSet("idle-key", "v1");
  await c.createUser("idler", "Idler!23456", Permission.ReadWrite, "defaultdb");
  await c.close();
});

afterAll(async () => {
  await server?.dispose();
  figure("session-expiry", figures);
});

/** OpenSession calls of `user` from now on (the scenarios run concurrently: only one uses that user). */
function countOpenSessions(user: string): { readonly count: () => number; restore(): void } {
  let n = 0;
  const original = GrpcTransport.prototype.unary;
  GrpcTransport.prototype.unary = function (
    this: GrpcTransport,
    ...args: Parameters<GrpcTransport["unary"]>
  ) {
    const req = args[1] as { username?: Uint8Array };
    if (args[0].name === "OpenSession" && new TextDecoder().decode(req.username) === user) n++;
    return original.apply(this, args) as never;
  } as GrpcTransport["unary"];
  return {
    count: () => n,
    restore() {
      GrpcTransport.prototype.unary = original;
    },
  };
}

async function balance(c: ImmudbClient, id: bigint): Promise<bigint> {
  return (await c.sqlQuery("SELECT balance FROM acct WHERE id = @id", { id })).rows[0]!.get(
    "balance",
  ) as bigint;
}

describe.concurrent("session expiry (--session-timeout 3s)", () => {
  it.concurrent("an idle client's next verified read and write succeed after one transparent reopen", async ({
    expect,
  }) => {
    const c = await ImmudbClient.connect({
      port: server.port,
      user: "idler",
      password: "Idler!23456",
      heartbeatIntervalMs: 0,
    });
    try {
      await c.verifiedGet("idle-key"); // trusted state in memory, session open
      const first = (await c.session()).id;
      await delay(EXPIRE_MS);
      const opens = countOpenSessions("idler");
      const started = performance.now();
      let entry: Awaited<ReturnType<ImmudbClient["verifiedGet"]>>;
      let n: number;
      try {
        entry = await c.verifiedGet("idle-key");
        n = opens.count();
      } finally {
        opens.restore();
      }
      const reopenMs = Math.round(performance.now() - started);
      expect(new TextDecoder().decode(entry.value)).toBe("v1");
      expect(n).toBe(1);
      expect((await c.session()).id).not.toBe(first);
      const h = await c.verifiedSet("idle-key", "v2");
      expect((await c.verifiedGet("idle-key")).tx).toBe(h.id);
      figures["idle verifiedGet after expiry"] = { succeeded: true, openSessions: n, latencyMs: reopenMs };
    } finally {
      await c.close();
    }
  });

  it.concurrent("beginTransaction: the next statement after expiry is a clear SESSION_NOT_FOUND; nothing committed", async ({
    expect,
  }) => {
    const c = await ImmudbClient.connect({ port: server.port, heartbeatIntervalMs: 0 });
    try {
      const tx = await c.beginTransaction();
      await tx.exec("UPDATE acct SET balance = balance - 10 WHERE id = 1");
      await delay(EXPIRE_MS);
      const err = await tx
        .exec("UPDATE acct SET balance = balance + 10 WHERE id = 2")
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImmudbError);
      expect((err as ImmudbError).code).toBe("SESSION_NOT_FOUND");
      expect((err as Error).message).toMatch(
        /session of SQL transaction .* was lost \(server restart or session timeout\).*nothing of it was committed/,
      );
      const commit = await tx.commit().catch((e: unknown) => e);
      expect((commit as ImmudbError).code).toBe("SESSION_NOT_FOUND");
      // The client itself goes on, with a new session; the transaction's update is gone.
      expect(await balance(c, 1n)).toBe(100n);
      expect(await balance(c, 2n)).toBe(100n);
      figures["beginTransaction, statement after expiry"] = {
        error: (err as ImmudbError).code,
        commitError: (commit as ImmudbError).code,
        committed: false,
        clientRecovered: true,
      };
    } finally {
      await c.close();
    }
  });

  it.concurrent("transaction(fn): the callback's statement after expiry rejects the whole call; nothing committed", async ({
    expect,
  }) => {
    const c = await ImmudbClient.connect({ port: server.port, heartbeatIntervalMs: 0 });
    let calls = 0;
    try {
      const err = await c
        .transaction(async (tx) => {
          calls++;
          await tx.exec("UPDATE acct SET balance = 0 WHERE id = 3");
          await delay(EXPIRE_MS);
          await tx.exec("UPDATE acct SET balance = 1 WHERE id = 3");
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImmudbError);
      expect((err as ImmudbError).code).toBe("SESSION_NOT_FOUND");
      expect(calls).toBe(1); // never re-run
      expect(await balance(c, 3n)).toBe(100n);
      figures["transaction(fn), statement after expiry"] = {
        error: (err as ImmudbError).code,
        callbackRuns: calls,
        committed: false,
      };
    } finally {
      await c.close();
    }
  });

  it.concurrent("with a 1 s heartbeat the same idle transaction survives and commits", async ({ expect }) => {
    const c = await ImmudbClient.connect({ port: server.port, heartbeatIntervalMs: 1000 });
    try {
      const { committed } = await c.transaction(async (tx) => {
        await tx.exec("UPSERT INTO acct (id, balance) VALUES (4, 1)");
        await delay(EXPIRE_MS);
        await tx.exec("UPSERT INTO acct (id, balance) VALUES (4, 2)");
      });
      expect(committed.header?.id).toBeGreaterThan(0n);
      expect(await balance(c, 4n)).toBe(2n);
      figures["transaction idle 5.5 s with heartbeat"] = { committed: true };
    } finally {
      await c.close();
    }
  });
});
