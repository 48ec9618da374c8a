/**
 * Reliability 2: one file-backed trusted state shared by several processes. 4 worker processes, each with
 * 2 `ImmudbClient`s on one `FileStateStore`, run verified writes and reads against one real server while a
 * watcher process polls the state file throughout. The file is never torn or invalid, the trusted state never
 * moves backwards, every state ever written is the server's (the Alh of that tx), and each process's final state
 * is proven against the server. Then the file is truncated or garbled on disk: a clear `StateError`.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStateStore, ImmudbClient, StateError } from "../../../src/index.js";
import { alh } from "../../../src/verify/index.js";
import { type ImmudbServer, startImmudb } from "../../harness/immudb-server.js";
import { figure, runWorker, type Worker } from "./helpers.js";

const PROCESSES = 4;
const OPS_PER_CLIENT = 375; // 4 × 2 × 375 = 3,000 verified operations

let server: ImmudbServer;
let dir: string;
let statePath: string;
const spawned: Worker[] = [];

beforeAll(async () => {
  server = await startImmudb();
  dir = mkdtempSync(join(tmpdir(), "immudb-ts-mp-"));
  statePath = join(dir, "state", "trusted.json");
});

afterAll(async () => {
  for (const w of spawned) w.kill();
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("shared state file across processes", () => {
  it(`${PROCESSES} processes × 2 clients × ${OPS_PER_CLIENT} verified ops on one state file`, async () => {
    const probe = await ImmudbClient.connect({ port: server.port });
    const { serverUuid, database } = await probe.session();
    await probe.close();

    const started = Date.now();
    const watcher = runWorker("workers/state-watcher.ts", [statePath, serverUuid, database]);
    spawned.push(watcher);
    await watcher.ready; // watching before the first write
    const workers = Array.from({ length: PROCESSES }, (_, i) =>
      runWorker("workers/state-worker.ts", [String(server.port), statePath, String(OPS_PER_CLIENT), `p${i}`]),
    );
    spawned.push(...workers);
    const results = await Promise.all(workers.map((w) => w.result));
    const elapsedMs = Date.now() - started;
    watcher.child.stdin?.end();
    const seen = (await watcher.result) as {
      reads: number;
      errors: number;
      firstError?: string;
      regressions: number;
      forks: number;
      states: [string, string][];
    };

    // Workers: no error, never saw the state go back, final state proven from both clients.
    for (const r of results) {
      expect(r.firstError, String(r.id)).toBeUndefined();
      expect(r).toMatchObject({ errors: 0, regressions: 0, finalVerified: true });
    }
    const ops = results.reduce((n, r) => n + Number(r.writes) + Number(r.reads) + Number(r.txReads), 0);
    expect(ops).toBe(PROCESSES * 2 * OPS_PER_CLIENT);

    // Watcher: never a torn/invalid file, never backwards, never two hashes for one tx.
    expect(seen.firstError).toBeUndefined();
    expect(seen).toMatchObject({ errors: 0, regressions: 0, forks: 0 });
    expect(seen.reads).toBeGreaterThan(100);
    expect(seen.states.length).toBeGreaterThan(10);

    // Every state the watcher saw is the server's: the Alh of that tx, recomputed from the server's headers
    // (and the last header is itself proven by a verified read).
    const checker = await ImmudbClient.connect({ port: server.port });
    try {
      const headers = await checker.txScan({ entries: "exclude" }).toArray(1_000_000);
      const alhOf = new Map(headers.map((t) => [t.header.id.toString(), hex(alh(t.header))]));
      for (const [txId, h] of seen.states) expect(alhOf.get(txId), `tx ${txId}`).toBe(h);
      // Each process's final state is on the server's history.
      for (const r of results) {
        const f = r.final as { txId: string; txHash: string };
        expect(alhOf.get(f.txId)).toBe(f.txHash);
      }
      const last = headers.at(-1)!.header.id;
      const proven = await checker.verifiedTxById(last);
      expect(hex(alh(proven.header))).toBe(alhOf.get(last.toString()));
      // The file's final state is no older than any process's final state.
      const store = new FileStateStore({ path: statePath });
      const fileState = await store.get(serverUuid, database);
      await store.close();
      for (const r of results) {
        expect(fileState!.txId >= BigInt((r.final as { txId: string }).txId)).toBe(true);
      }
      figure("multiprocess", {
        processes: PROCESSES,
        clientsPerProcess: 2,
        verifiedOps: ops,
        writes: results.reduce((n, r) => n + Number(r.writes), 0),
        elapsedMs,
        opsPerSecond: Math.round((ops / elapsedMs) * 1000),
        watcherReads: seen.reads,
        distinctStatesSeen: seen.states.length,
        tornOrInvalidReads: seen.errors,
        regressions: seen.regressions,
        finalStatesProven: results.filter((r) => r.finalVerified).length,
        finalTxId: fileState!.txId,
      });
    } finally {
      await checker.close();
    }
  }, 150_000);

  it("a truncated, garbled or emptied state file is a clear StateError, and is left as it is", async () => {
    const good = readFileSync(statePath);
    const variants: Record<string, Buffer> = {
      truncated: good.subarray(0, Math.floor(good.length / 2)),
      "garbled bytes": Buffer.concat([
        good.subarray(0, 40),
        Buffer.from([0xff, 0xfe, 0x00, 0x13]),
        good.subarray(44),
      ]),
      "garbled hash": Buffer.from(good.toString("utf8").replace(/"txHash": "[0-9a-f]{4}/, '"txHash": "zzzz')),
      empty: Buffer.alloc(0),
    };
    const messages: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(variants)) {
      const path = join(dir, `${name.replace(" ", "-")}.json`);
      writeFileSync(path, bytes);
      const store = new FileStateStore({ path });
      const c = await ImmudbClient.connect({ port: server.port, stateStore: store });
      try {
        const err = await c.verifiedGet("p0-c0-0").catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(StateError);
        expect((err as StateError).code).toBe("STATE");
        expect((err as Error).message, name).toMatch(/state file .* is corrupt \(.+\); it is not used/);
        messages[name] = (err as Error).message.replace(path, "<path>");
        // Never silently replaced with a fresh state.
        expect(readFileSync(path).equals(bytes), name).toBe(true);
      } finally {
        await c.close();
        await store.close();
      }
    }
    // The original still works.
    const copy = join(dir, "copy.json");
    copyFileSync(statePath, copy);
    const store = new FileStateStore({ path: copy });
    const c = await ImmudbClient.connect({ port: server.port, stateStore: store });
    try {
      expect((await c.verifiedGet("p0-c0-0")).key).toEqual(new TextEncoder().encode("p0-c0-0"));
    } finally {
      await c.close();
      await store.close();
    }
    figure("state-file-corruption", messages);
  });
});
