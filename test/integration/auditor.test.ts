/**
 * The library `Auditor` against real immudb servers: rounds with a client switched between databases, `run()`
 * stopped by its signal, a rolled-back server reported as `regressed`, and a webhook that never answers bounded by
 * its timeout. (The CLI's audit of a forked server is in cli.test.ts.)
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Auditor,
  type AuditRound,
  FileStateStore,
  ImmudbClient,
  InvalidArgumentError,
  MemoryStateStore,
} from "../../src/index.js";
import { startImmudb } from "../harness/immudb-server.js";

const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe("Auditor", () => {
  it("checks options before connecting", () => {
    expect(() => new Auditor({})).toThrow(InvalidArgumentError);
    expect(() => new Auditor({ connection: "immudb://127.0.0.1:1", databases: [] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new Auditor({ connection: "immudb://127.0.0.1:1", webhook: { url: "ftp://x" } })).toThrow(
      InvalidArgumentError,
    );
  });

  it("audits several databases through one client, round after round, until aborted", async () => {
    const server = await startImmudb();
    cleanup.push(() => server.dispose());
    const client = await ImmudbClient.connect({ port: server.port, stateStore: new MemoryStateStore() });
    cleanup.push(() => client.close());
    await client.createDatabase("audita");
    await client.set("k", "v0");

    const untrusted = await new Auditor({ client, databases: ["defaultdb", "audit*"] }).runOnce();
    expect(untrusted.map((r) => r.status)).toEqual(["untrusted", "empty"]);

    const rounds: AuditRound[] = [];
    const stop = new AbortController();
    const auditor = new Auditor({
      client,
      databases: ["defaultdb", "audit*"],
      acceptInitialState: true,
      intervalMs: 50,
      signal: stop.signal,
      onRound: async (round) => {
        rounds.push(round);
        if (round.round === 1) await client.set("k", "v1"); // the auditor puts the client back on defaultdb
        if (round.round === 2) stop.abort();
      },
    });
    const last = await auditor.run();
    expect(last?.round).toBe(2);
    expect(rounds.map((r) => r.results.map((x) => `${x.database}:${x.status}`))).toEqual([
      ["defaultdb:initialized", "audita:empty"],
      ["defaultdb:ok", "audita:empty"],
    ]);
    const [first, second] = rounds.map((r) => r.results[0]);
    expect(second?.previous?.txId).toBe(first?.current?.txId);
    expect(second?.current?.txId).toBe((first?.current?.txId ?? 0n) + 1n);
    expect((await client.trustedState())?.txId).toBe(second?.current?.txId);
    expect(client.database).toBe("defaultdb");
  });

  it("reports a rolled-back server as regressed, and a webhook that never answers does not hold the round", async () => {
    const dir = mkdtempSync(join(tmpdir(), "immudb-ts-auditor-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const original = await startImmudb();
    cleanup.push(() => original.dispose());
    const port = original.port;
    const w = await ImmudbClient.connect({ port });
    for (let i = 0; i < 2; i++) await w.set(`k${i}`, "v");
    await w.close();
    await original.stop();
    const oldCopy = join(dir, "old");
    cpSync(original.dataDir, oldCopy, { recursive: true }); // a backup at tx 2, same identity

    const honest = await startImmudb({ dataDir: original.dataDir, port });
    cleanup.push(() => honest.stop());
    const store = new FileStateStore({ path: join(dir, "state.json") });
    cleanup.push(() => store.close());
    const connection = { port };
    const first = new Auditor({ connection, stateStore: store, acceptInitialState: true });
    expect((await first.runOnce())[0]?.status).toBe("initialized");
    const h = await ImmudbClient.connect({ port });
    await h.set("k2", "v");
    await h.close();
    expect((await first.runOnce())[0]).toMatchObject({ status: "ok", current: { txId: 3n } });
    await first.close();
    await honest.stop();

    const restored = await startImmudb({ dataDir: oldCopy, port });
    cleanup.push(() => restored.stop());
    const hanging: Server = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise<void>((resolve) => hanging.close(() => resolve())));
    cleanup.push(() => hanging.closeAllConnections());
    const hookPort = (hanging.address() as { port: number }).port;
    const auditor = new Auditor({
      connection,
      stateStore: store,
      webhook: { url: `http://127.0.0.1:${hookPort}/`, timeoutMs: 200, attempts: 2 },
    });
    cleanup.push(() => auditor.close());
    const t0 = performance.now();
    const last = await auditor.run(); // stops on the failure
    expect(performance.now() - t0).toBeLessThan(5_000);
    const r = last?.results[0];
    expect(r).toMatchObject({
      status: "regressed",
      ok: false,
      previous: { txId: 3n },
      current: { txId: 2n },
      evidence: { reason: "state-regression", trusted: { txId: 3n }, claimed: { txId: 2n } },
      notification: { delivered: false, attempts: 2, error: "no answer within 200 ms" },
    });
    expect((await store.get(r?.evidence?.serverUuid ?? "", "defaultdb"))?.txId).toBe(3n);
  });
});
