/**
 * Several processes share one state file: no lost update, no torn read, never a regression.
 */
import { readdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, it } from "vitest";
import { FileStateStore } from "../../../src/state/index.js";
import { startWorker } from "../../harness/worker.js";
import { DB, deadPid, st, tempDir, UUID } from "./helpers.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const WORKERS = 4;
const INCREMENTS = 200;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const run = (script: string, args: string[]) => startWorker(join(here, script), args);

it(`${WORKERS} processes × ${INCREMENTS} CAS increments on one file: no lost update, no torn or older read`, async () => {
  const path = join(dir, "state", "shared.json");
  const init = new FileStateStore({ path });
  expect(await init.compareAndSet(undefined, st(0))).toBe(true);

  // A lock left behind by a crashed process: the workers race to break it, and exactly one lock must win.
  await writeFile(
    `${path}.lock`,
    JSON.stringify({ pid: await deadPid(), hostname: hostname(), acquiredAt: Date.now(), token: "crashed" }),
  );

  const reader = run("state-reader.ts", [path]);
  await reader.ready; // the reader watches from the very first increment
  const workers = Array.from({ length: WORKERS }, (_, i) =>
    run("cas-worker.ts", [path, String(INCREMENTS), `w${i}`]),
  );
  const results = await Promise.all(workers.map((w) => w.result));
  reader.child.stdin?.end();
  const seen = await reader.result;

  const total = results.reduce((n, r) => n + Number(r.increments), 0);
  const retries = results.reduce((n, r) => n + Number(r.retries), 0);
  expect(total).toBe(WORKERS * INCREMENTS);
  // No lost update: every successful CAS advanced the shared state by exactly one.
  expect((await init.get(UUID, DB))?.txId).toBe(BigInt(total));
  // Contention really happened (otherwise this test proves little).
  expect(retries).toBeGreaterThan(0);
  // The reader never saw a torn or invalid file, a wrong hash, or the state going back.
  expect(seen).toMatchObject({ errors: 0, decreases: 0, badHashes: 0, min: "0", max: String(total) });
  expect(Number(seen.reads)).toBeGreaterThan(50);
  expect(await readdir(join(dir, "state"))).toEqual(["shared.json"]);
  console.log(
    `multiprocess: ${total} increments, ${retries} CAS retries, reader saw ${seen.reads} valid reads ` +
      `(txId ${seen.min} → ${seen.max})`,
  );
  await init.close();
}, 60_000);
