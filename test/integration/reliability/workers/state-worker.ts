/**
 * Child process of reliability/multiprocess.test.ts:
 * `node --import tsx state-worker.ts <port> <statePath> <opsPerClient> <id>`.
 *
 * Two `ImmudbClient`s share ONE `FileStateStore` on `statePath` (which other processes use too) and each runs
 * `opsPerClient` verified operations: verifiedSet of a new key, verifiedGet of one of its keys, and every fifth
 * operation a verifiedTxById of an earlier tx. After every operation the trusted state is read back and must
 * not be older than any state this process saw before. At the end the shared trusted state is proven against
 * the server from both clients (verifiedTxById of its tx, whose header must hash to the stored Alh).
 * Prints one JSON line: `{id, writes, reads, txReads, regressions, errors, firstError, final, finalVerified}`.
 */
import { FileStateStore, ImmudbClient } from "../../../../src/index.js";
import { alh } from "../../../../src/verify/index.js";

const [portArg, statePath, opsArg, id] = process.argv.slice(2);
if (!portArg || !statePath || !opsArg || !id) throw new Error("usage: state-worker <port> <path> <ops> <id>");
const ops = Number(opsArg);
const text = new TextDecoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const store = new FileStateStore({ path: statePath, lockTimeoutMs: 30_000 });
const clients = await Promise.all(
  [0, 1].map(() => ImmudbClient.connect({ port: Number(portArg), stateStore: store, timeoutMs: 60_000 })),
);
let writes = 0;
let reads = 0;
let txReads = 0;
let regressions = 0;
let errors = 0;
let firstError: string | undefined;
let highest = 0n;

async function observe(c: ImmudbClient): Promise<void> {
  // Only a state seen before this read started bounds it (the other client's reads may finish meanwhile).
  const before = highest;
  const s = await c.trustedState();
  if (s === undefined) throw new Error("no trusted state after a verified operation");
  if (s.txId < before) regressions++;
  if (s.txId > highest) highest = s.txId;
}

await Promise.all(
  clients.map(async (c, ci) => {
    const mine: { key: string; tx: bigint }[] = [];
    for (let i = 0; i < ops; i++) {
      try {
        if (i % 5 === 4 && mine.length > 0) {
          const w = mine[(i * 31) % mine.length]!;
          const tx = await c.verifiedTxById(w.tx);
          if (tx.header.id !== w.tx) throw new Error(`verifiedTxById(${w.tx}) returned tx ${tx.header.id}`);
          txReads++;
        } else if (i % 2 === 1 && mine.length > 0) {
          const w = mine[(i * 17) % mine.length]!;
          const e = await c.verifiedGet(w.key);
          if (text.decode(e.value) !== `value of ${w.key}`) throw new Error(`wrong value for ${w.key}`);
          if (e.tx !== w.tx) throw new Error(`${w.key}: tx ${e.tx}, written in ${w.tx}`);
          reads++;
        } else {
          const key = `${id}-c${ci}-${i}`;
          const h = await c.verifiedSet(key, `value of ${key}`);
          mine.push({ key, tx: h.id });
          writes++;
        }
        await observe(c);
      } catch (err) {
        errors++;
        firstError ??= String((err as Error)?.stack ?? err);
      }
    }
  }),
);

// The final shared state, proven against the server from each client.
let finalVerified = false;
const final = await clients[0]!.trustedState();
try {
  if (final === undefined) throw new Error("no final state");
  for (const c of clients) {
    const tx = await c.verifiedTxById(final.txId);
    if (hex(alh(tx.header)) !== hex(final.txHash)) throw new Error("the final state's Alh does not match");
  }
  finalVerified = true;
} catch (err) {
  errors++;
  firstError ??= String((err as Error)?.stack ?? err);
}
await Promise.all(clients.map((c) => c.close()));
await store.close();
process.stdout.write(
  `${JSON.stringify({
    id,
    writes,
    reads,
    txReads,
    regressions,
    errors,
    firstError,
    final: final && { txId: final.txId.toString(), txHash: hex(final.txHash) },
    finalVerified,
  })}\n`,
);
