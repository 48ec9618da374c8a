/**
 * Verification-core benchmark: cost of the proof checks a verified operation performs, against the bare cost
 * of the SHA-256 calls they need.
 *
 *   npm run bench:verify
 *
 * Builds an in-memory chain of 10,000 transactions (header v1, `blTxId = id - 1`, tx 5,000 with 64 entries) with
 * the test fixtures' independent RFC 6962 generator, then measures:
 *   - a dual proof from tx 1,000 to tx 10,000 (what `verifiedGet`/`verifiedTxById` check after a long gap),
 *   - an htree inclusion proof of one entry of the 64-entry tx, including its entry digest,
 *   - an AHT inclusion proof (tx 1,000 in the tree of size 9,999),
 *   - a dual proof over an asynchronous-AHT history with a 200-tx LinearAdvanceProof (immudb <= 1.4.0 data).
 * The SHA-256 calls of each check are counted with the `recordSha256Calls` hook and their input sizes replayed
 * as the "bare" baseline: the same number of one-shot `crypto.hash` calls over preallocated inputs of the same
 * sizes. Verify and bare tasks alternate within each round (background load hits both alike); the report gives
 * medians over rounds. Environment: BENCH_ROUNDS (default 5), BENCH_MS per task and round (default 400).
 *
 * @module
 */
import * as crypto from "node:crypto";
import { cpus } from "node:os";
import { Bench } from "tinybench";
import { recordSha256Calls } from "../src/verify/hash.js";
import {
  entryDigest,
  htreeInclusionProof,
  leafHash,
  plainEntrySpec,
  verifyAhtInclusion,
  verifyDualProof,
  verifyHtreeInclusion,
} from "../src/verify/index.js";
import { alhOf, buildChain, dualProof, hdr } from "../test/unit/verify/helpers.js";

const ROUNDS = intEnv("BENCH_ROUNDS", 5);
const TASK_MS = intEnv("BENCH_MS", 400);

function intEnv(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

// ---- fixtures ---------------------------------------------------------------------------------------------

const N = 10_000;
const WIDE_TX = 5_000;
const WIDTH = 64;
let t0 = performance.now();
const chain = buildChain(N, { entries: (id) => (id === WIDE_TX ? WIDTH : 1) });
const buildMs = performance.now() - t0;

// Dual proof 1,000 → 10,000.
const SRC = 1_000;
const dual = dualProof(chain, SRC, N);
const srcId = BigInt(SRC);
const dstId = BigInt(N);
const srcAlh = alhOf(chain, SRC);
const dstAlh = alhOf(chain, N);

// htree inclusion of entry 37 of the 64-entry tx; the check includes the entry digest, as verifiedGet does.
const ENTRY = 37;
const wideHeader = hdr(chain, WIDE_TX);
const entrySpecs = Array.from({ length: WIDTH }, (_, e) =>
  plainEntrySpec(utf8(`key:${WIDE_TX}:${e}`), utf8(`value:${WIDE_TX}:${e}`)),
);
const entryDigests = entrySpecs.map((s) => entryDigest(1, s));
const htreeProof = htreeInclusionProof(entryDigests, ENTRY);
const entrySpec = entrySpecs[ENTRY]!;

// AHT inclusion of tx 1,000 in the tree of size 9,999 (= the target's blTxId).
const ahtProof = dual.inclusionProof;
const ahtSize = BigInt(N - 1);
const ahtRootN = hdr(chain, N).blRoot;

// Asynchronous-AHT history: txs 301..500 all have blTxId = 300, so a dual proof 500 → 600 carries a
// LinearAdvanceProof over 200 txs (199 AHT inclusion proofs in a tree of size 599).
t0 = performance.now();
const asyncChain = buildChain(600, { blTxId: (id) => (id > 300 && id <= 500 ? 300 : id - 1) });
const asyncMs = performance.now() - t0;
const lapDual = dualProof(asyncChain, 500, 600);
const lapSrcAlh = alhOf(asyncChain, 500);
const lapDstAlh = alhOf(asyncChain, 600);
if (lapDual.linearAdvanceProof?.inclusionProofs.length !== 199)
  throw new Error("fixture: expected a 200-tx LAP");

interface Case {
  readonly name: string;
  readonly run: () => void;
}

const cases: Case[] = [
  { name: "dual proof 1,000→10,000", run: () => verifyDualProof(dual, srcId, dstId, srcAlh, dstAlh) },
  {
    name: "htree inclusion (64 entries) + entry digest",
    run: () => verifyHtreeInclusion(htreeProof, entryDigest(1, entrySpec), wideHeader.eh),
  },
  {
    name: "AHT inclusion (1,000 in 9,999)",
    run: () => verifyAhtInclusion(ahtProof, srcId, ahtSize, leafHash(srcAlh), ahtRootN),
  },
  {
    name: "dual proof 500→600 + 200-tx LAP",
    run: () => verifyDualProof(lapDual, 500n, 600n, lapSrcAlh, lapDstAlh),
  },
];

// ---- SHA-256 call census and the bare baseline ---------------------------------------------------------------

interface Census {
  readonly calls: number;
  readonly bytes: number;
  readonly sizes: string;
  readonly bare: () => void;
}

function census(run: () => void): Census {
  const sizes = recordSha256Calls(run);
  const inputs = sizes.map((n, k) => crypto.randomBytes(n + 16).subarray(k % 16, (k % 16) + n));
  const histogram = new Map<number, number>();
  for (const n of sizes) histogram.set(n, (histogram.get(n) ?? 0) + 1);
  const bare =
    typeof crypto.hash === "function"
      ? () => {
          for (const x of inputs) crypto.hash("sha256", x, "buffer");
        }
      : () => {
          for (const x of inputs) crypto.createHash("sha256").update(x).digest();
        };
  return {
    calls: sizes.length,
    bytes: sizes.reduce((a, b) => a + b, 0),
    sizes: [...histogram.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([n, c]) => `${c}×${n}B`)
      .join(" "),
    bare,
  };
}

const censuses = cases.map((c) => census(c.run));
for (const c of cases) c.run(); // every fixture must verify

// ---- measurement -------------------------------------------------------------------------------------------

const verifyUs: number[][] = cases.map(() => []);
const bareUs: number[][] = cases.map(() => []);

for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ time: TASK_MS, warmupTime: 100, name: `round ${round + 1}` });
  cases.forEach((c, k) => {
    const first = round % 2 === 0;
    const add = (what: "verify" | "bare") =>
      bench.add(`${k}:${what}`, what === "verify" ? c.run : censuses[k]!.bare);
    add(first ? "verify" : "bare");
    add(first ? "bare" : "verify");
  });
  for (const task of bench.runSync()) {
    const result = task.result;
    if (result.state !== "completed") throw new Error(`task ${task.name} ${result.state}`);
    const [k, what] = task.name.split(":") as [string, "verify" | "bare"];
    (what === "verify" ? verifyUs : bareUs)[Number(k)]!.push(result.latency.mean * 1000);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

console.log(
  `immudb-ts verify benchmark — node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? "?"}, ` +
    `crypto.hash: ${typeof crypto.hash === "function" ? "yes" : "no"}`,
);
console.log(
  `fixtures: ${N} txs in ${buildMs.toFixed(0)} ms, async-AHT history of 600 txs in ${asyncMs.toFixed(0)} ms; ` +
    `${ROUNDS} rounds × ${TASK_MS} ms per task, medians\n`,
);
console.log(
  `${pad("check", 44)}${lpad("sha256", 7)}${lpad("bytes", 8)}${lpad("verify µs", 11)}${lpad("bare µs", 9)}` +
    `${lpad("ratio", 7)}${lpad("µs/hash", 9)}`,
);
cases.forEach((c, k) => {
  const cs = censuses[k]!;
  const v = median(verifyUs[k]!);
  const b = median(bareUs[k]!);
  const ratios = verifyUs[k]!.map((x, r) => x / bareUs[k]![r]!);
  console.log(
    `${pad(c.name, 44)}${lpad(String(cs.calls), 7)}${lpad(String(cs.bytes), 8)}${lpad(v.toFixed(1), 11)}` +
      `${lpad(b.toFixed(1), 9)}${lpad(`${median(ratios).toFixed(2)}x`, 7)}${lpad((v / cs.calls).toFixed(2), 9)}`,
  );
});
console.log("\nSHA-256 input sizes per check:");
cases.forEach((c, k) => {
  console.log(`  ${pad(c.name, 44)}${censuses[k]!.sizes}`);
});
console.log(
  "\nratio = median over rounds of (verify time / bare time of the same SHA-256 calls); target ≤ 2x.",
);
