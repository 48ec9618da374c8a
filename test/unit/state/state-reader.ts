/**
 * Child process of multiprocess.test.ts: `node --import tsx state-reader.ts <path>`.
 * Polls the state file until its stdin closes, fully parsing and validating every read; prints `ready` after
 * the first read, and at the end
 * `{"reads", "errors", "firstError", "decreases", "badHashes", "min", "max"}` as one JSON line.
 */
import { setImmediate as yieldNow } from "node:timers/promises";
import { FileStateStore } from "../../../src/state/index.js";
import { DB, hashFor, hex, UUID } from "./helpers.js";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: state-reader <path>");
let done = false;
process.stdin.on("end", () => {
  done = true;
});
process.stdin.resume();

const store = new FileStateStore({ path });
let reads = 0;
let errors = 0;
let firstError: string | undefined;
let decreases = 0;
let badHashes = 0;
let min: bigint | undefined;
let last = -1n;
while (!done) {
  try {
    const s = await store.get(UUID, DB);
    if (reads++ === 0) process.stdout.write("ready\n");
    if (s !== undefined) {
      if (s.txId < last) decreases++;
      if (hex(s.txHash) !== hex(hashFor(s.txId))) badHashes++;
      min ??= s.txId;
      last = s.txId;
    }
  } catch (err) {
    errors++;
    firstError ??= String(err);
  }
  await yieldNow();
}
await store.close();
const out = { reads, errors, firstError, decreases, badHashes, min: String(min), max: String(last) };
process.stdout.write(`${JSON.stringify(out)}\n`);
