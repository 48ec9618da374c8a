/**
 * Child process of reliability/multiprocess.test.ts:
 * `node --import tsx state-watcher.ts <statePath> <serverUuid> <database>`.
 *
 * Polls the shared state file until its stdin closes, parsing and validating every read in full (a
 * `FileStateStore` of its own: a torn, truncated or invalid file is a `StateError`), and also reading the raw
 * bytes and parsing them as JSON. Prints `ready` after its first read, then at the end one JSON line:
 * `{reads, errors, firstError, regressions, forks, states: [[txId, txHash], ...]}` where `states` lists every
 * distinct state seen, for the test to check against the server's history.
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { FileStateStore } from "../../../../src/index.js";

const [path, serverUuid, database] = process.argv.slice(2);
if (!path || !serverUuid || !database) throw new Error("usage: state-watcher <path> <serverUuid> <database>");
let done = false;
process.stdin.on("end", () => {
  done = true;
});
process.stdin.resume();

const store = new FileStateStore({ path });
const seen = new Map<bigint, string>();
let reads = 0;
let errors = 0;
let firstError: string | undefined;
let regressions = 0;
let forks = 0;
let last = -1n;
while (!done) {
  try {
    const s = await store.get(serverUuid, database);
    JSON.parse(await readFile(path, "utf8").catch(() => "{}")); // the raw file is never torn either
    if (reads++ === 0) process.stdout.write("ready\n");
    if (s !== undefined) {
      const h = Buffer.from(s.txHash).toString("hex");
      if (s.txId < last) regressions++;
      const before = seen.get(s.txId);
      if (before !== undefined && before !== h) forks++;
      seen.set(s.txId, h);
      last = s.txId > last ? s.txId : last;
    }
  } catch (err) {
    errors++;
    firstError ??= String(err);
    if (reads++ === 0) process.stdout.write("ready\n");
  }
  await sleep(1);
}
await store.close();
const states = [...seen].map(([txId, h]) => [txId.toString(), h]);
process.stdout.write(`${JSON.stringify({ reads, errors, firstError, regressions, forks, states })}\n`);
