/**
 * Transport benchmark: our grpc-js based GrpcTransport against a connect-node client, both talking to one real
 * immudb server on loopback. Measures Health and Get (one small key) at concurrency 1 and 64: throughput, p50/p99
 * latency and client CPU time per call. Stacks alternate within every round (each cell runs grpc-js and
 * connect-node back to back, in alternating order), so drift and background load hit both alike; the report gives
 * the median over rounds and the min–max spread. Feeds docs/decisions/0001-transport.md.
 *
 *   npx tsx bench/transport.ts
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_SECONDS per cell and round (default 2.5), BENCH_WARMUP_SECONDS per
 * cell (default 0.5), IMMUDB_TS_BIN (reuse a built server binary).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { ImmuService } from "../src/gen/schema_pb.js";
import { GrpcTransport, type RpcOptions } from "../src/transport/grpc.js";
import { type ImmudbServer, startImmudb } from "../test/harness/immudb-server.js";
import { ConnectTransport } from "./lib/connect-transport.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const ROUNDS = intEnv("BENCH_ROUNDS", 5);
const CELL_MS = numEnv("BENCH_SECONDS", 2.5) * 1000;
const WARMUP_MS = numEnv("BENCH_WARMUP_SECONDS", 0.5) * 1000;
const CONCURRENCIES = [1, 64] as const;
/** Deadline sent with every call, like the client does (its default `timeoutMs`). */
const CALL_TIMEOUT_MS = 30_000;
const MAX_RECEIVE = 64 * 1024 * 1024;
const MAX_SEND = 32 * 1024 * 1024;

const utf8 = (s: string) => new TextEncoder().encode(s);
const KEY = utf8("bench:transport:key");
const VALUE = utf8("v".repeat(100));

/** What both stacks offer: GrpcTransport's unary shape. */
interface UnaryTransport {
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: RpcOptions,
  ): Promise<MessageShape<O>>;
  close(): void;
}

interface Stack {
  readonly name: string;
  readonly transport: UnaryTransport;
  sessionId: string;
}

type RpcName = "Health" | "Get";
const RPCS: readonly RpcName[] = ["Health", "Get"];

interface Sample {
  readonly ops: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUs: number;
  readonly calls: number;
}

function intEnv(name: string, fallback: number): number {
  const v = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function numEnv(name: string, fallback: number): number {
  const v = Number.parseFloat(process.env[name] ?? "");
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function call(stack: Stack, rpc: RpcName): Promise<unknown> {
  if (rpc === "Health")
    return stack.transport.unary(ImmuService.method.health, {}, { timeoutMs: CALL_TIMEOUT_MS });
  return stack.transport.unary(
    ImmuService.method.get,
    { key: KEY },
    { metadata: { sessionid: stack.sessionId }, timeoutMs: CALL_TIMEOUT_MS },
  );
}

/** Runs `concurrency` closed-loop callers for `durationMs`. */
async function measure(stack: Stack, rpc: RpcName, concurrency: number, durationMs: number): Promise<Sample> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  const cpu0 = process.cpuUsage();
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await call(stack, rpc);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  const n = sorted.length;
  return {
    ops: (n / elapsed) * 1000,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    cpuUs: (cpu.user + cpu.system) / n,
    calls: n,
  };
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmt(x: number): string {
  if (x >= 1000) return Math.round(x).toString();
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function stat(xs: readonly number[]): string {
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
}

function ratio(xs: readonly number[]): string {
  return `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
}

function version(pkg: string): string {
  const json = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as {
    version: string;
  };
  return json.version;
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ");
}

async function openSession(stack: Stack): Promise<void> {
  const res = await stack.transport.unary(
    ImmuService.method.openSession,
    { username: utf8("immudb"), password: utf8("immudb"), databaseName: "defaultdb" },
    { timeoutMs: CALL_TIMEOUT_MS },
  );
  stack.sessionId = res.sessionID;
}

async function closeSession(stack: Stack): Promise<void> {
  if (!stack.sessionId) return;
  await stack.transport
    .unary(ImmuService.method.closeSession, {}, { metadata: { sessionid: stack.sessionId }, timeoutMs: 5000 })
    .catch(() => undefined);
}

async function main(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    config: { immudbVersion: string };
  };
  const cpuList = cpus();
  const header = [
    `date: ${new Date().toISOString()}`,
    `machine: ${cpuList[0]?.model ?? "unknown cpu"}, ${cpuList.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${process.platform}/${process.arch}`,
    `node: ${process.version}`,
    `packages: @grpc/grpc-js ${version("@grpc/grpc-js")}, @connectrpc/connect ${version("@connectrpc/connect")}, @connectrpc/connect-node ${version("@connectrpc/connect-node")}, @bufbuild/protobuf ${version("@bufbuild/protobuf")}`,
    `server: immudb ${pkg.config.immudbVersion} on 127.0.0.1 (same machine, plaintext h2c, one HTTP/2 connection per stack)`,
    `method: ${ROUNDS} rounds × ${CELL_MS / 1000} s per cell, ${WARMUP_MS / 1000} s warm-up per cell; stacks alternate within each cell; closed loop, ${CALL_TIMEOUT_MS / 1000} s deadline per call; Get = 19-byte key, 100-byte value`,
  ];
  for (const line of header) console.log(line);
  console.log(`load average (1/5/15 min) at start: ${load()}`);

  let server: ImmudbServer | undefined;
  const stacks: Stack[] = [];
  try {
    server = await startImmudb();
    stacks.push(
      {
        name: "grpc-js",
        transport: new GrpcTransport({
          address: `127.0.0.1:${server.port}`,
          maxReceiveMessageBytes: MAX_RECEIVE,
          maxSendMessageBytes: MAX_SEND,
        }),
        sessionId: "",
      },
      {
        name: "connect-node",
        transport: new ConnectTransport({
          baseUrl: `http://127.0.0.1:${server.port}`,
          maxReceiveMessageBytes: MAX_RECEIVE,
          maxSendMessageBytes: MAX_SEND,
        }),
        sessionId: "",
      },
    );

    for (const s of stacks) await openSession(s);
    const first = stacks[0]!;
    await first.transport.unary(
      ImmuService.method.set,
      { KVs: [{ key: KEY, value: VALUE }] },
      { metadata: { sessionid: first.sessionId }, timeoutMs: CALL_TIMEOUT_MS },
    );
    // Both stacks must read back what was written, or the numbers mean nothing.
    for (const s of stacks) {
      const entry = await s.transport.unary(
        ImmuService.method.get,
        { key: KEY },
        { metadata: { sessionid: s.sessionId }, timeoutMs: CALL_TIMEOUT_MS },
      );
      if (
        Buffer.compare(Buffer.from(entry.value), Buffer.from(VALUE)) !== 0 ||
        typeof entry.tx !== "bigint"
      ) {
        throw new Error(`${s.name}: Get returned an unexpected entry`);
      }
    }

    const cells = RPCS.flatMap((rpc) => CONCURRENCIES.map((concurrency) => ({ rpc, concurrency })));
    for (const { rpc, concurrency } of cells)
      for (const s of stacks) await measure(s, rpc, concurrency, WARMUP_MS);
    console.log(`load average after warm-up: ${load()}`);

    const samples = new Map<string, Sample[]>();
    const key = (stack: string, rpc: RpcName, c: number) => `${stack}|${rpc}|${c}`;
    const t0 = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? stacks : [...stacks].reverse();
      for (const { rpc, concurrency } of cells) {
        for (const s of order) {
          const sample = await measure(s, rpc, concurrency, CELL_MS);
          const k = key(s.name, rpc, concurrency);
          samples.set(k, [...(samples.get(k) ?? []), sample]);
        }
      }
      console.log(
        `round ${round + 1}/${ROUNDS} done (${((performance.now() - t0) / 1000).toFixed(0)} s), load ${load()}`,
      );
    }

    const rows = [
      "| RPC | conc | stack | ops/s | p50 ms | p99 ms | client CPU µs/call |",
      "|---|---:|---|---:|---:|---:|---:|",
    ];
    const ratios = [
      "| RPC | conc | ops/s grpc-js ÷ connect-node | CPU/call connect-node ÷ grpc-js |",
      "|---|---:|---:|---:|",
    ];
    for (const { rpc, concurrency } of cells) {
      for (const s of stacks) {
        const xs = samples.get(key(s.name, rpc, concurrency)) ?? [];
        rows.push(
          `| ${rpc} | ${concurrency} | ${s.name} | ${stat(xs.map((x) => x.ops))} | ${stat(xs.map((x) => x.p50))} | ${stat(
            xs.map((x) => x.p99),
          )} | ${stat(xs.map((x) => x.cpuUs))} |`,
        );
      }
      // Paired per round: both stacks ran back to back, so the ratio cancels most background drift.
      const g = samples.get(key("grpc-js", rpc, concurrency)) ?? [];
      const c = samples.get(key("connect-node", rpc, concurrency)) ?? [];
      const opsRatio = g.map((x, i) => x.ops / c[i]!.ops);
      const cpuRatio = g.map((x, i) => c[i]!.cpuUs / x.cpuUs);
      ratios.push(`| ${rpc} | ${concurrency} | ${ratio(opsRatio)} | ${ratio(cpuRatio)} |`);
    }
    console.log("");
    console.log("Median over rounds (min–max across rounds):");
    console.log("");
    for (const r of rows) console.log(r);
    console.log("");
    console.log("Paired ratios per round, median (min–max); > 1 favours grpc-js:");
    console.log("");
    for (const r of ratios) console.log(r);
    console.log("");
    console.log(`load average (1/5/15 min) at end: ${load()}`);
  } finally {
    for (const s of stacks) await closeSession(s);
    for (const s of stacks) s.transport.close();
    await server?.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
