/**
 * Child process of multiprocess.test.ts: `node --import tsx cas-worker.ts <path> <increments> <id>`.
 * Runs `increments` read → CAS(txId + 1) loops on the shared state file, retrying on false, and prints
 * `{"id", "increments", "retries"}` as one JSON line.
 */
import { FileStateStore } from "../../../src/state/index.js";
import { DB, hashFor, hex, st, UUID } from "./helpers.js";

const [path, countArg, id] = process.argv.slice(2);
if (path === undefined || countArg === undefined)
  throw new Error("usage: cas-worker <path> <increments> <id>");
const increments = Number(countArg);
const store = new FileStateStore({ path, lockTimeoutMs: 15_000 });
await store.pinServerIdentity("127.0.0.1:3322", UUID);
let retries = 0;
for (let i = 0; i < increments; i++) {
  for (;;) {
    const cur = await store.get(UUID, DB);
    if (cur === undefined) throw new Error("the state vanished");
    if (hex(cur.txHash) !== hex(hashFor(cur.txId))) throw new Error(`wrong hash for tx ${cur.txId}`);
    if (await store.compareAndSet(cur, st(cur.txId + 1n))) break;
    retries++;
  }
}
await store.close();
process.stdout.write(`${JSON.stringify({ id, increments, retries })}\n`);
