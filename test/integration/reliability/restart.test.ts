/**
 * Reliability 1: the server is killed (SIGKILL) and restarted on the same data directory, three times, under a
 * sustained mixed load of plain and verified writes and plain and verified reads from 8 clients. The clients
 * must reconnect and reopen their sessions by themselves, retry their reads across the outage, report a write
 * that may have reached the server as `UnknownOutcomeError` without ever resending it, and every write they
 * acknowledged must be on the server afterwards and provable, with the tx id they were told.
 */
import { afterAll, expect, it, vi } from "vitest";
import {
  ConnectionError,
  ImmudbClient,
  type ImmudbError,
  UnknownOutcomeError,
  VerificationError,
} from "../../../src/index.js";
import { GrpcTransport } from "../../../src/transport/grpc.js";
import { alh } from "../../../src/verify/index.js";
import { type ImmudbServer, startImmudb } from "../../harness/immudb-server.js";
import { delay, figure, mapLimit, percentile } from "./helpers.js";

const CLIENTS = 8;
const RESTARTS = 3;
/** Load before each kill, and after the last restart. */
const LOAD_MS = 1500;
/** Down time between the kill and the restart. */
const DOWN_MS = 500;

const text = new TextDecoder();
const servers: ImmudbServer[] = [];
afterAll(async () => {
  // The first server owns the data directory: stop the restarted ones first, dispose of it last.
  for (const s of servers.slice(1).reverse()) await s.stop();
  await servers[0]?.dispose();
});

type WriteOutcome =
  | { readonly status: "ok"; readonly tx: bigint; readonly verified: boolean }
  | { readonly status: "unknown"; readonly error: UnknownOutcomeError }
  | { readonly status: "not-sent"; readonly error: ConnectionError }
  | { readonly status: "failed"; readonly error: unknown };

it(`SIGKILL + restart ×${RESTARTS} under ${CLIENTS} clients of mixed verified load: nothing acknowledged is lost`, async () => {
  const first = await startImmudb();
  servers.push(first);
  const { port, dataDir } = first;

  // Every Set/VerifiableSet attempt that reaches the transport, and how it ended (to prove none is resent).
  const attempts = new Map<string, string[]>(); // key → outcomes of its write attempts
  let openSessions = 0;
  const original = GrpcTransport.prototype.unary;
  vi.spyOn(GrpcTransport.prototype, "unary").mockImplementation(function (
    this: GrpcTransport,
    ...args: Parameters<GrpcTransport["unary"]>
  ) {
    const [method, input] = args;
    const p = original.apply(this, args);
    if (method.name === "OpenSession") openSessions++;
    if (method.name === "Set" || method.name === "VerifiableSet") {
      const i = input as { KVs?: { key?: Uint8Array }[]; setRequest?: { KVs?: { key?: Uint8Array }[] } };
      const key = text.decode(i.KVs?.[0]?.key ?? i.setRequest?.KVs?.[0]?.key);
      const list = attempts.get(key) ?? [];
      attempts.set(key, list);
      const slot = list.push("pending") - 1;
      p.then(
        () => {
          list[slot] = "ok";
        },
        (e: ImmudbError) => {
          list[slot] = e.code === "SESSION_NOT_FOUND" ? "refused: session" : e.code;
        },
      );
    }
    return p as never;
  });

  const retry = { maxAttempts: 80, baseDelayMs: 25, maxDelayMs: 250 };
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () => ImmudbClient.connect({ port, retry, timeoutMs: 20_000 })),
  );
  const writes = new Map<string, WriteOutcome>();
  const acked: string[] = [];
  const reads = { ok: 0, verifiedOk: 0, failures: [] as unknown[] };
  /** Per client: completion time of every successful operation. */
  const successes: number[][] = clients.map(() => []);
  let stop = false;

  const load = clients.map(async (c, ci) => {
    for (let n = 0; !stop; n++) {
      const op = n % 4;
      if (op === 0 || op === 1) {
        const key = `c${ci}-${n}`;
        const verified = op === 1;
        try {
          const h = verified ? await c.verifiedSet(key, `v${n}`) : await c.set(key, `v${n}`);
          writes.set(key, { status: "ok", tx: h.id, verified });
          acked.push(key);
          successes[ci]!.push(Date.now());
        } catch (err) {
          if (err instanceof UnknownOutcomeError) writes.set(key, { status: "unknown", error: err });
          else if (err instanceof ConnectionError) writes.set(key, { status: "not-sent", error: err });
          else writes.set(key, { status: "failed", error: err });
          await delay(50);
        }
      } else {
        // A read of a key some client acknowledged: a verified read (op 2) or a plain one (op 3).
        const key = acked[(n * 7919 + ci) % Math.max(1, acked.length)];
        if (key === undefined) continue;
        try {
          const e = op === 2 ? await c.verifiedGet(key) : await c.get(key);
          const w = writes.get(key);
          expect(text.decode(e?.value), key).toBe(`v${key.split("-")[1]}`);
          if (w?.status === "ok") expect(e?.tx, key).toBe(w.tx);
          reads.ok++;
          if (op === 2) reads.verifiedOk++;
          successes[ci]!.push(Date.now());
        } catch (err) {
          reads.failures.push(err);
          await delay(50);
        }
      }
    }
  });

  const recovery: number[] = []; // ms from "restarted server healthy" to each client's next success
  const outage: number[] = []; // ms from the kill to each client's next success
  let current = first;
  try {
    for (let r = 0; r < RESTARTS; r++) {
      await delay(LOAD_MS);
      const killedAt = Date.now();
      await current.kill();
      await delay(DOWN_MS);
      current = await startImmudb({ dataDir, port });
      servers.push(current);
      const upAt = Date.now();
      const deadline = upAt + 30_000;
      // Every client must make progress again on its own.
      while (successes.some((s) => (s.at(-1) ?? 0) < upAt) && Date.now() < deadline) await delay(20);
      for (const s of successes) {
        const next = s.find((t) => t >= upAt);
        expect(next, "a client never recovered").toBeDefined();
        recovery.push(next! - upAt);
        outage.push(next! - killedAt);
      }
    }
    await delay(LOAD_MS);
  } finally {
    stop = true;
    await Promise.all(load);
    vi.restoreAllMocks();
  }

  // Reads: every one succeeded (retried across the outages), none failed verification.
  expect(reads.failures).toEqual([]);
  // Writes: acknowledged, unknown outcome (may have been sent), or not sent (plain ConnectionError); nothing else.
  const byStatus = { ok: 0, unknown: 0, "not-sent": 0, failed: 0 };
  for (const w of writes.values()) byStatus[w.status]++;
  const failed = [...writes.values()].filter((w) => w.status === "failed");
  expect(failed.map((w) => (w as { error: unknown }).error)).toEqual([]);
  for (const w of writes.values()) {
    if (w.status === "unknown") expect(w.error.cause).toBeInstanceOf(ConnectionError);
    expect((w as { error?: unknown }).error).not.toBeInstanceOf(VerificationError);
  }
  expect(byStatus.ok).toBeGreaterThan(100);
  // Never resent: per key, at most one attempt the server did not refuse up front (lost session).
  for (const [key, list] of attempts) {
    expect(list.filter((o) => o !== "refused: session").length, `${key}: ${list}`).toBeLessThanOrEqual(1);
  }
  // Sessions were reopened after every restart: each client opened one at connect and one per restart, at least.
  expect(openSessions).toBeGreaterThanOrEqual(CLIENTS * (1 + RESTARTS));

  // After the storm, with a fresh client: every acknowledged write is there and proven, with its tx id; a
  // write that never left the client is not there; an unknown one may or may not be.
  const checker = await ImmudbClient.connect({ port, retry: { maxAttempts: 20 } });
  let unknownCommitted = 0;
  try {
    const keys = [...writes.keys()];
    const found = await mapLimit(keys, 16, async (key) => {
      const w = writes.get(key)!;
      if (w.status === "ok") {
        const e = await checker.verifiedGet(key);
        expect(text.decode(e.value), key).toBe(`v${key.split("-")[1]}`);
        expect(e.tx, key).toBe(w.tx);
        expect(e.revision, key).toBe(1n);
        return true;
      }
      const e = await checker.get(key);
      if (e) expect(e.revision, key).toBe(1n); // at most once
      if (w.status === "not-sent") expect(e, key).toBeUndefined();
      return e !== undefined;
    });
    unknownCommitted = keys.filter((k, i) => writes.get(k)!.status === "unknown" && found[i]).length;

    // Each load client's final trusted state is on the server's history: a verified read from it succeeds and
    // the proven header hashes to the trusted Alh.
    for (const c of clients) {
      const trusted = await c.trustedState();
      expect(trusted).toBeDefined();
      const tx = await c.verifiedTxById(trusted!.txId);
      expect(alh(tx.header)).toEqual(trusted!.txHash);
      const again = await checker.verifiedTxById(trusted!.txId);
      expect(alh(again.header)).toEqual(trusted!.txHash);
    }
  } finally {
    await checker.close();
    await Promise.all(clients.map((c) => c.close()));
  }

  figure("restart", {
    clients: CLIENTS,
    restarts: RESTARTS,
    writesAcknowledged: byStatus.ok,
    acknowledgedVerified: [...writes.values()].filter((w) => w.status === "ok" && w.verified).length,
    acknowledgedPresentAndVerified: byStatus.ok,
    unknownOutcome: byStatus.unknown,
    unknownOutcomeFoundCommitted: unknownCommitted,
    notSentConnectionError: byStatus["not-sent"],
    lost: 0,
    reads: reads.ok,
    verifiedReads: reads.verifiedOk,
    readFailures: reads.failures.length,
    sessionsOpened: openSessions,
    recoveryAfterHealthyMs: { p50: percentile(recovery, 50), max: Math.max(...recovery) },
    killToRecoveryMs: { p50: percentile(outage, 50), max: Math.max(...outage) },
  });
}, 120_000);
