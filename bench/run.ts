/**
 * `npm run bench`: the comparative benchmark of immudb-ts against immudb's Go SDK (v1.11.1, the reference) and
 * immudb-node 1.1.1, on one real immudb 1.11.1 on loopback (or `IMMUDB_URL`). See bench/README.md for the
 * workloads and the fairness rules, docs/decisions/0002-benchmark-method.md for why it is built this way.
 *
 * Every client runs as a separate process per workload cell (bench/drivers/immudb-ts.ts and
 * bench/drivers/immudb-node.ts, bundled with esbuild and run with plain `node`; bench/go-sdk, built with Go),
 * speaking the protocol of bench/lib/protocol.ts. Rounds alternate the clients' order (ABC, BCA, CAB, …).
 *
 * Environment:
 * - `BENCH_QUICK=1`: a ~2-minute smoke run (1 round, 1 s cells, 20,000-key/row bulk workloads), written to
 *   bench/results/quick/.
 * - `BENCH_ROUNDS`, `BENCH_SECONDS` (measured seconds per cell), `BENCH_WARMUP_SECONDS`, `BENCH_BULK` (keys/rows
 *   of scan and SQL), `BENCH_ONLY` (comma-separated cell ids, e.g. `verifiedSet-c64,scan`), `BENCH_CLIENTS`
 *   (comma-separated: immudb-ts,go-sdk,immudb-node), `BENCH_OUT` (output directory).
 * - `IMMUDB_URL`: use this server (`immudb://user:password@host:port`) instead of starting one. Databases named
 *   `bench_*` are created and deleted on it.
 * - `IMMUDB_TS_BIN`: the immudb binary to start (otherwise built once into the cache by scripts/build-immudb.sh).
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { cpus, homedir, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { ImmudbClient } from "../src/index.js";
import { parseConnectionUrl } from "../src/options.js";
import { type ImmudbServer, startImmudb } from "../test/harness/immudb-server.js";
import type { ClientMode, Result, Spec, Workload } from "./lib/protocol.js";
import { type Cell, CLIENTS, type ClientName, type Environment, report, type Sample } from "./lib/report.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.env.BENCH_QUICK === "1";
const ROUNDS = intEnv("BENCH_ROUNDS", QUICK ? 1 : 3);
const CELL_MS = numEnv("BENCH_SECONDS", QUICK ? 1 : 3) * 1000;
const WARMUP_MS = numEnv("BENCH_WARMUP_SECONDS", QUICK ? 0.3 : 1) * 1000;
const BULK = intEnv("BENCH_BULK", QUICK ? 20_000 : 100_000);
const OUT = process.env.BENCH_OUT ?? join(root, "bench", "results", ...(QUICK ? ["quick"] : []));
const VALUE_SIZE = 100;
/** Keys read by get/verifiedGet: loaded once, in READ_TXS transactions (so proofs span a real history). */
const READ_KEYS = 10_000;
const READ_TXS = 1_000;
const SETALL_BATCH = 1_000;
const SQL_BATCH = 500;
const PAGE_SIZE = 2_500;
const RETRY = { baseMs: 1, capMs: 20 } as const;
const RO_DB = "bench_ro";
/** Also run immudb-ts with its in-memory trusted state on the verified cells (BENCH_MEMORY_VARIANT=0: off). */
const MEMORY_VARIANT = process.env.BENCH_MEMORY_VARIANT !== "0";

const CELLS: readonly Cell[] = [
  kv("set", 1),
  kv("set", 64),
  kv("get", 1),
  kv("get", 64),
  kv("verifiedSet", 1),
  kv("verifiedSet", 64, ["shared", "perWorker"]),
  kv("verifiedGet", 1),
  kv("verifiedGet", 64, ["shared", "perWorker"]),
  bulk("setAll", "setAll", "keys"),
  bulk("scan", "scan", "keys"),
  bulk("sqlInsert", "sqlInsert", "rows"),
  bulk("sqlSelect", "sqlSelect", "rows"),
];

function kv(workload: Workload, concurrency: number, modes: readonly ClientMode[] = ["shared"]): Cell {
  return { id: `${workload}-c${concurrency}`, workload, concurrency, modes, unit: "ops" };
}

function bulk(id: string, workload: Workload, unit: "keys" | "rows"): Cell {
  return { id, workload, concurrency: 1, modes: ["shared"], unit };
}

function intEnv(name: string, fallback: number): number {
  const v = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function numEnv(name: string, fallback: number): number {
  const v = Number.parseFloat(process.env[name] ?? "");
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function cacheDir(): string {
  const base =
    process.env.IMMUDB_TS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "immudb-ts");
  return join(base, "bench");
}

/** Paths of the three drivers, built into the cache (outside the repository). */
interface Drivers {
  readonly goBinary: string;
  readonly tsBundle: string;
  readonly nodeBundle: string;
}

async function buildDrivers(): Promise<Drivers> {
  const cache = cacheDir();
  mkdirSync(join(cache, "drivers"), { recursive: true });
  const goBinary = join(cache, "go-sdk-bench");
  log(
    "building the Go SDK driver (bench/go-sdk, GOWORK=off; the first build downloads modules: a few minutes)",
  );
  execFileSync("go", ["build", "-trimpath", "-o", goBinary, "."], {
    cwd: join(root, "bench", "go-sdk"),
    env: { ...process.env, GOWORK: "off", GOFLAGS: "-mod=mod", CGO_ENABLED: "0" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  // The bundles import their npm dependencies from the repository's node_modules, through a symlink.
  const link = join(cache, "drivers", "node_modules");
  rmSync(link, { force: true });
  symlinkSync(join(root, "node_modules"), link);
  const tsBundle = join(cache, "drivers", "immudb-ts.mjs");
  const nodeBundle = join(cache, "drivers", "immudb-node.mjs");
  for (const [entry, outfile] of [
    ["immudb-ts.ts", tsBundle],
    ["immudb-node.ts", nodeBundle],
  ] as const) {
    await build({
      entryPoints: [join(root, "bench", "drivers", entry)],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      logLevel: "warning",
    });
  }
  return { goBinary, tsBundle, nodeBundle };
}

function command(drivers: Drivers, client: ClientName): { file: string; args: string[] } {
  if (client === "go-sdk") return { file: drivers.goBinary, args: [] };
  const extra = process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
  return {
    file: process.execPath,
    args: [...extra, client === "immudb-ts" ? drivers.tsBundle : drivers.nodeBundle],
  };
}

/** Runs one driver process and parses its result line. */
function runDriver(drivers: Drivers, client: ClientName, spec: Spec, cwd: string): Promise<Result> {
  const { file, args } = command(drivers, client);
  const env: NodeJS.ProcessEnv = { IMMUDB_TS_ROOT: root };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("IMMUDB_")) env[k] = v;
  env.IMMUDB_TS_ROOT = root;
  const budgetMs = spec.warmupMs + spec.durationMs + 120_000;
  return new Promise((resolve) => {
    const child = spawn(file, [...args, JSON.stringify(spec)], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), budgetMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out
        .split("\n")
        .reverse()
        .find((l) => l.startsWith("{") && l.includes('"workload"'));
      if (line) {
        try {
          resolve(JSON.parse(line) as Result);
          return;
        } catch {
          // fall through
        }
      }
      const why = signal ? `killed by ${signal}` : `exited with ${code}`;
      resolve(failed(client, spec.workload, `driver ${why} without a result: ${err.trim().slice(-500)}`));
    });
  });
}

function failed(client: ClientName, workload: Workload, error: string): Result {
  return {
    client,
    version: "",
    workload,
    status: "fails",
    error,
    ops: 0,
    units: 0,
    durationMs: 0,
    p50Ms: 0,
    p99Ms: 0,
    cpuUserMs: 0,
    cpuSysMs: 0,
    maxRssKiB: 0,
    retries: 0,
    errors: 1,
    clients: 0,
  };
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

async function connect(target: Target, database = "defaultdb"): Promise<ImmudbClient> {
  return ImmudbClient.connect({ ...target, database, timeoutMs: 120_000 });
}

/** Creates a fresh database (deleting a leftover of the same name first). */
async function freshDatabase(admin: ImmudbClient, name: string): Promise<void> {
  await dropDatabase(admin, name);
  await admin.createDatabase(name);
}

async function dropDatabase(admin: ImmudbClient, name: string): Promise<void> {
  const dbs = await admin.listDatabases();
  if (!dbs.some((d) => d.name === name)) return;
  await admin.unloadDatabase(name).catch(() => undefined);
  await admin.deleteDatabase(name);
}

function readKey(i: number): string {
  return `k:${String(i).padStart(8, "0")}`;
}

/** Loads the read-only database once: keys for get/verifiedGet, keys for scan, and the SQL table for select. */
async function loadReadOnly(
  admin: ImmudbClient,
  target: Target,
  drivers: Drivers,
  work: string,
): Promise<void> {
  await freshDatabase(admin, RO_DB);
  const c = await connect(target, RO_DB);
  try {
    const value = new Uint8Array(VALUE_SIZE).fill(0x76);
    const per = READ_KEYS / READ_TXS;
    let next = 0;
    const writer = async () => {
      for (let tx = next++; tx < READ_TXS; tx = next++) {
        await c.setAll(Array.from({ length: per }, (_, i) => ({ key: readKey(tx * per + i), value })));
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    for (let first = 0; first < BULK; first += SETALL_BATCH) {
      const n = Math.min(SETALL_BATCH, BULK - first);
      await c.setAll(
        Array.from({ length: n }, (_, i) => ({ key: `scan:${String(first + i).padStart(8, "0")}`, value })),
      );
    }
  } finally {
    await c.close();
  }
  // The SQL table is loaded with the reference client's insert workload (untimed here).
  const res = await runDriver(
    drivers,
    "go-sdk",
    spec(target, "sqlInsert", 1, "shared", RO_DB, "items", work, 0),
    work,
  );
  if (res.status !== "ok") throw new Error(`loading the SQL table failed: ${res.error}`);
}

function spec(
  target: Target,
  workload: Workload,
  concurrency: number,
  mode: ClientMode,
  database: string,
  table: string,
  stateDir: string,
  warmupMs = WARMUP_MS,
): Spec {
  return {
    ...target,
    database,
    workload,
    concurrency,
    mode,
    warmupMs,
    durationMs: CELL_MS,
    valueSize: VALUE_SIZE,
    keyPrefix: "w:",
    readPrefix: workload === "scan" ? "scan:" : "k:",
    readCount: READ_KEYS,
    batchSize: workload === "setAll" ? SETALL_BATCH : SQL_BATCH,
    pageSize: PAGE_SIZE,
    total: BULK,
    table,
    stateDir,
    retry: RETRY,
  };
}

/** Databases the cell writes to are fresh; reads use the database loaded once. */
function writes(workload: Workload): boolean {
  return (
    workload === "set" || workload === "verifiedSet" || workload === "setAll" || workload === "sqlInsert"
  );
}

function goVersion(): string {
  try {
    return execFileSync("go", ["version"], { encoding: "utf8" })
      .trim()
      .replace(/^go version /, "");
  } catch {
    return "unknown";
  }
}

function gitCommit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    return dirty ? `${sha} + uncommitted changes in src/` : sha;
  } catch {
    return "unknown";
  }
}

function loads(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a ?? 0, b ?? 0, c ?? 0];
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
  const cells = CELLS.filter((c) => !only || only.includes(c.id) || only.includes(c.workload));
  const clients = (process.env.BENCH_CLIENTS?.split(",").filter(Boolean) ?? [...CLIENTS]) as ClientName[];
  for (const c of clients) if (!CLIENTS.includes(c)) throw new Error(`unknown client ${c} in BENCH_CLIENTS`);
  const drivers = await buildDrivers();
  const work = mkdtempSync(join(tmpdir(), "immudb-bench-"));
  let server: ImmudbServer | undefined;
  let admin: ImmudbClient | undefined;
  const loadStart = loads();
  try {
    let target: Target;
    let serverWhere: string;
    if (process.env.IMMUDB_URL) {
      const u = parseConnectionUrl(process.env.IMMUDB_URL);
      target = {
        host: u.host ?? "127.0.0.1",
        port: u.port ?? 3322,
        user: u.user ?? "immudb",
        password: u.password ?? "immudb",
      };
      serverWhere = `IMMUDB_URL (${target.host}:${target.port})`;
    } else {
      log("starting immudb on loopback");
      server = await startImmudb({ args: ["--max-sessions", "1000"] });
      target = { host: server.host, port: server.port, user: "immudb", password: "immudb" };
      serverWhere = `started by the benchmark on ${server.host}:${server.port} (--max-sessions 1000, otherwise defaults)`;
    }
    admin = await connect(target);
    const serverVersion = (await admin.health()).version;
    log(
      `immudb ${serverVersion}; loading ${RO_DB} (${READ_KEYS} keys in ${READ_TXS} txs, ${BULK} scan keys, ${BULK} SQL rows)`,
    );
    await loadReadOnly(admin, target, drivers, work);

    const samples: Sample[] = [];
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const order = clients.map((_, i) => clients[(i + round) % clients.length]!);
      log(`round ${round + 1}/${ROUNDS}: ${order.join(", ")}`);
      for (const cell of cells) {
        for (const client of order) {
          // immudb-node cannot verify against immudb >= 1.2 whatever the mode: one mode is enough to show it.
          const runs: { mode: ClientMode; variant?: "memory state" }[] = (
            client === "immudb-node" ? cell.modes.slice(0, 1) : cell.modes
          ).map((mode) => ({ mode }));
          // Informational: immudb-ts with its default in-memory trusted state (not used for ratios or targets).
          if (client === "immudb-ts" && cell.workload.startsWith("verified") && MEMORY_VARIANT) {
            runs.push({ mode: "shared", variant: "memory state" });
          }
          for (const { mode, variant } of runs) {
            const id = `${++n}`;
            const db = writes(cell.workload) ? `bench_w${id}` : RO_DB;
            if (db !== RO_DB) await freshDatabase(admin, db);
            const table = cell.workload === "sqlInsert" ? "items_w" : "items";
            const s: Spec = {
              ...spec(target, cell.workload, cell.concurrency, mode, db, table, join(work, `state-${id}`)),
              ...(client === "immudb-ts" ? { stateStore: variant ? "memory" : "file" } : {}),
            };
            const load1 = loadavg()[0] ?? 0;
            const result = await runDriver(drivers, client, s, work);
            if (db !== RO_DB) await dropDatabase(admin, db);
            const { password: _, ...shown } = s;
            samples.push({
              round,
              cell: cell.id,
              client,
              mode,
              ...(variant ? { variant } : {}),
              result,
              load1,
              spec: shown,
            });
            const rate = result.durationMs > 0 ? (result.units / result.durationMs) * 1000 : 0;
            log(
              `  ${cell.id.padEnd(16)} ${client.padEnd(12)} ${(variant ? `${mode}, ${variant}` : mode).padEnd(9)} ${result.status.padEnd(5)} ` +
                (result.status === "ok"
                  ? `${rate.toFixed(0).padStart(8)} ${cell.unit}/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  retries ${result.retries}`
                  : (result.error ?? "").slice(0, 160)),
            );
          }
        }
      }
    }
    const env: Environment = {
      date: new Date().toISOString(),
      quick: QUICK,
      rounds: ROUNDS,
      cellSeconds: CELL_MS / 1000,
      warmupSeconds: WARMUP_MS / 1000,
      bulk: BULK,
      valueSize: VALUE_SIZE,
      readKeys: READ_KEYS,
      readTxs: READ_TXS,
      setAllBatch: SETALL_BATCH,
      sqlBatch: SQL_BATCH,
      pageSize: PAGE_SIZE,
      retry: RETRY,
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        os: `${process.platform} ${release()} ${process.arch}`,
      },
      versions: {
        server: `immudb ${serverVersion}`,
        node: process.version,
        go: goVersion(),
        immudbTs: `${(JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version} (${gitCommit()})`,
        goSdk: samples.find((s) => s.client === "go-sdk" && s.result.version)?.result.version ?? "v1.11.1",
        immudbNode:
          samples.find((s) => s.client === "immudb-node" && s.result.version)?.result.version ?? "1.1.1",
      },
      server: serverWhere,
      loadavg: { start: loadStart, end: loads() },
      wallSeconds: Math.round((Date.now() - t0) / 1000),
    };
    const { json, markdown, svg } = report(env, cells, clients, samples);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, "results.json"), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(OUT, "results.md"), markdown);
    writeFileSync(join(OUT, "chart.svg"), svg);
    process.stdout.write(markdown);
    log(`\nwrote ${relative(root, OUT) || OUT}/results.{json,md} and chart.svg in ${env.wallSeconds} s`);
  } finally {
    await admin?.close().catch(() => undefined);
    await server?.dispose();
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
