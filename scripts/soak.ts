/**
 * `npm run soak`: a steady mixed load on a real immudb server for `SOAK_SECONDS` (default 600 = 10 minutes),
 * sampling the client process's heap, RSS, live handles and open sessions, and failing (exit code 1) when any
 * of them grows beyond a stated bound after the warm-up. The CI test (test/integration/reliability/soak.test.ts)
 * runs it for 60 s; docs/reliability.md has the figures of a full-length run.
 *
 * Load: `SOAK_CLIENTS` clients (default 4), each with `SOAK_CONCURRENCY` loops (default 4) of set, get,
 * verifiedSet, verifiedGet, verifiedTxById, scan pages, history, SQL insert and query; one client is closed
 * and replaced every `SOAK_CHURN_SECONDS` (default 5), so sessions are opened and closed all the time. The server
 * runs with `--max-sessions` = clients + 2: a session leaked by `close()` would soon make `connect` fail.
 *
 * Measured every `SOAK_SAMPLE_SECONDS` (default 5, after a full GC when node runs with --expose-gc, which the npm
 * script passes):
 * - heap: `heapUsed` after GC;
 * - rss;
 * - sockets: TCP/TLS handles alive (async hook, unref'd ones included) plus open socket file descriptors;
 * - timers: timers and immediates alive (async hook; every call in flight has its deadline timer, so this
 *   moves with the load);
 * - sessions: sessions this process opened and has not closed (OpenSession vs CloseSession calls and sessions
 *   the server reported lost), and the server's `immudb_active_sessions` gauge (immudb refreshes it once a
 *   minute; shown when available).
 *
 * Bounds, checked between the start after the warm-up (`SOAK_WARMUP_SECONDS`, default 20% of the run, at most
 * 60 s; median of the first 3 samples) and the end (median of the last 3): heap growth at most max(16 MiB, 20%);
 * rss growth at most 64 MiB; sockets at most +4; timers at most +32; sessions never above the number of clients
 * + 1 (one being replaced), and none left open at the end. Any failed operation also fails the soak, except
 * SQL write conflicts (`CONFLICT`: immudb's answer to concurrent inserts into one table), which are counted.
 *
 * Prints one line per sample and, last, a JSON summary line: `{"pass": bool, "reasons": [...], ...}`.
 */
import { createHook } from "node:async_hooks";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { ImmudbClient } from "../src/index.js";
import { GrpcTransport } from "../src/transport/grpc.js";
import { freePort, startImmudb } from "../test/harness/immudb-server.js";

const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
};
const SECONDS = env("SOAK_SECONDS", 600);
const CLIENTS = env("SOAK_CLIENTS", 4);
const CONCURRENCY = env("SOAK_CONCURRENCY", 4);
const CHURN_MS = env("SOAK_CHURN_SECONDS", 5) * 1000;
const SAMPLE_MS = env("SOAK_SAMPLE_SECONDS", 5) * 1000;
const WARMUP_MS = env("SOAK_WARMUP_SECONDS", Math.min(60, SECONDS * 0.2)) * 1000;
const MiB = 2 ** 20;
const BOUNDS = { heapBytes: 16 * MiB, heapRatio: 0.2, rssBytes: 64 * MiB, sockets: 4, timers: 32 };

// ---- instrumentation ----

const TRACKED = new Set(["Timeout", "Immediate", "TCPWRAP", "TLSWRAP"]);
const SOCKETS = new Set(["TCPWRAP", "TLSWRAP"]);
const alive = new Map<number, string>();
createHook({
  init(id, type) {
    if (TRACKED.has(type)) alive.set(id, type);
  },
  destroy(id) {
    alive.delete(id);
  },
}).enable();

function socketFds(): number {
  if (!existsSync("/proc/self/fd")) return 0;
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** Sessions opened by this process and not closed or lost since. */
const sessions = new Set<string>();
const originalUnary = GrpcTransport.prototype.unary;
GrpcTransport.prototype.unary = function (this: GrpcTransport, ...args: Parameters<GrpcTransport["unary"]>) {
  const [method, , options] = args;
  const p = originalUnary.apply(this, args);
  const id = options?.metadata?.sessionid;
  if (method.name === "OpenSession") {
    p.then((r) => sessions.add((r as unknown as { sessionID: string }).sessionID)).catch(() => undefined);
  } else if (method.name === "CloseSession" && id) {
    sessions.delete(id);
  } else if (id) {
    p.catch((e: { code?: string }) => {
      if (e?.code === "SESSION_NOT_FOUND") sessions.delete(id);
    });
  }
  return p as never;
} as GrpcTransport["unary"];

const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  readonly t: number;
  readonly heap: number;
  readonly rss: number;
  readonly sockets: number;
  readonly timers: number;
  readonly sessions: number;
  readonly serverSessions: number | undefined;
  readonly ops: number;
  readonly errors: number;
}

// ---- the run ----

async function main(): Promise<number> {
  const metricsPort = await freePort();
  const server = await startImmudb({
    args: [
      "--max-sessions",
      String(CLIENTS + 2),
      "--metrics-server=true",
      "--metrics-server-port",
      String(metricsPort),
    ],
  });
  const serverSessions = async (): Promise<number | undefined> => {
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
        signal: AbortSignal.timeout(2000),
      });
      const m = /^immudb_active_sessions (\d+)/m.exec(await res.text());
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  };
  const connect = () => ImmudbClient.connect({ port: server.port, heartbeatIntervalMs: 2000 });
  const clients: ImmudbClient[] = [];
  let ops = 0;
  let errors = 0;
  let conflicts = 0;
  const errorSamples: string[] = [];
  let stop = false;
  const started = Date.now();
  const samples: Sample[] = [];

  try {
    const admin = await connect();
    await admin.sqlExec(
      "CREATE TABLE IF NOT EXISTS soak (id INTEGER AUTO_INCREMENT, k VARCHAR, v VARCHAR, PRIMARY KEY id)",
    );
    await admin.close();
    for (let i = 0; i < CLIENTS; i++) clients.push(await connect());

    const loop = async (slot: number, lane: number) => {
      for (let n = 0; !stop; n++) {
        const c = clients[slot]!;
        const key = `soak-${slot}-${lane}-${n % 500}`;
        try {
          switch (n % 9) {
            case 0:
              await c.set(key, `v${n}`);
              break;
            case 1:
              await c.get(key);
              break;
            case 2:
              await c.verifiedSet(key, `v${n}`);
              break;
            case 3:
              await c.verifiedGet(key).catch((e: { code?: string }) => {
                if (e?.code !== "KEY_NOT_FOUND") throw e;
              });
              break;
            case 4: {
              const t = await c.trustedState();
              if (t && t.txId > 0n) await c.verifiedTxById(t.txId);
              break;
            }
            case 5:
              await c.scan({ prefix: `soak-${slot}-${lane}-` }).toArray(50);
              break;
            case 6:
              await c.history(key).toArray(10);
              break;
            case 7:
              await c.sqlExec("INSERT INTO soak (k, v) VALUES (@k, @v)", { k: key, v: `v${n}` });
              break;
            default:
              await c.sqlQuery("SELECT id, v FROM soak WHERE k = @k ORDER BY id DESC LIMIT 5", { k: key });
          }
          ops++;
        } catch (err) {
          // A loop may run into the client it uses being replaced: that is the churn, not a failure.
          if ((err as { code?: string })?.code === "CLOSED" && clients[slot] !== c) continue;
          if ((err as { code?: string })?.code === "CONFLICT") {
            conflicts++;
            continue;
          }
          errors++;
          if (errorSamples.length < 5) errorSamples.push(String(err));
        }
      }
    };
    const loops = clients.flatMap((_, slot) =>
      Array.from({ length: CONCURRENCY }, (_, lane) => loop(slot, lane)),
    );

    // Churn: replace one client at a time (connect the new one first, then close the old one).
    const churn = (async () => {
      for (let i = 0; !stop; i++) {
        await sleepUnlessStopped(CHURN_MS, () => stop);
        if (stop) break;
        const slot = i % CLIENTS;
        const old = clients[slot]!;
        try {
          clients[slot] = await connect();
          await old.close();
        } catch (err) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`churn: ${err}`);
        }
      }
    })();

    // Sampling.
    const print = (s: Sample) =>
      console.log(
        `t=${(s.t / 1000).toFixed(0).padStart(4)}s heap=${mib(s.heap)} rss=${mib(s.rss)} sockets=${s.sockets} ` +
          `timers=${s.timers} ` +
          `sessions=${s.sessions} server-sessions=${s.serverSessions ?? "?"} ops=${s.ops} errors=${s.errors}`,
      );
    const end = started + SECONDS * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, Math.max(0, end - Date.now()))));
      gc?.();
      const mem = process.memoryUsage();
      const s: Sample = {
        t: Date.now() - started,
        heap: mem.heapUsed,
        rss: mem.rss,
        sockets: [...alive.values()].filter((t) => SOCKETS.has(t)).length + socketFds(),
        timers: [...alive.values()].filter((t) => !SOCKETS.has(t)).length,
        sessions: sessions.size,
        serverSessions: await serverSessions(),
        ops,
        errors,
      };
      samples.push(s);
      print(s);
    }
    stop = true;
    await Promise.all([...loops, churn]);
  } finally {
    stop = true;
    await Promise.all(clients.map((c) => c.close()));
    await server.dispose();
  }

  // ---- verdict ----
  const reasons: string[] = [];
  const afterWarmup = samples.filter((s) => s.t >= WARMUP_MS);
  const head = afterWarmup.slice(0, 3);
  const tail = afterWarmup.slice(-3);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const at = (xs: Sample[]) => ({
    heap: median(xs.map((s) => s.heap)),
    rss: median(xs.map((s) => s.rss)),
    sockets: median(xs.map((s) => s.sockets)),
    timers: median(xs.map((s) => s.timers)),
  });
  let start: ReturnType<typeof at> | undefined;
  let growth: Partial<ReturnType<typeof at>> = {};
  if (afterWarmup.length < 6) {
    reasons.push(`too few samples after the warm-up (${afterWarmup.length} < 6): run longer`);
  } else {
    start = at(head);
    const end = at(tail);
    growth = {
      heap: end.heap - start.heap,
      rss: end.rss - start.rss,
      sockets: end.sockets - start.sockets,
      timers: end.timers - start.timers,
    };
    const heapBound = Math.max(BOUNDS.heapBytes, start.heap * BOUNDS.heapRatio);
    if (growth.heap! > heapBound) reasons.push(`heap grew by ${mib(growth.heap!)} (> ${mib(heapBound)})`);
    if (growth.rss! > BOUNDS.rssBytes) reasons.push(`rss grew by ${mib(growth.rss!)} (> 64 MiB)`);
    if (growth.sockets! > BOUNDS.sockets)
      reasons.push(`sockets grew by ${growth.sockets} (> ${BOUNDS.sockets})`);
    if (growth.timers! > BOUNDS.timers) reasons.push(`timers grew by ${growth.timers} (> ${BOUNDS.timers})`);
  }
  const maxSessions = Math.max(0, ...samples.map((s) => s.sessions));
  if (maxSessions > CLIENTS + 1) reasons.push(`${maxSessions} sessions open (> ${CLIENTS + 1})`);
  const maxServerSessions = Math.max(0, ...samples.map((s) => s.serverSessions ?? 0));
  if (maxServerSessions > CLIENTS + 2) reasons.push(`the server reported ${maxServerSessions} sessions`);
  if (errors > 0) reasons.push(`${errors} operations failed, e.g. ${errorSamples.join(" | ")}`);
  if (ops === 0) reasons.push("no operation completed");
  if (sessions.size !== 0) reasons.push(`${sessions.size} sessions still open after closing every client`);

  const summary = {
    pass: reasons.length === 0,
    reasons,
    seconds: SECONDS,
    clients: CLIENTS,
    concurrency: CONCURRENCY,
    ops,
    opsPerSecond: Math.round(ops / SECONDS),
    errors,
    sqlConflicts: conflicts,
    clientsReplaced: Math.floor((SECONDS * 1000) / CHURN_MS),
    gcForced: gc !== undefined,
    warmupSeconds: WARMUP_MS / 1000,
    afterWarmup: start && {
      heapMiB: +mib(start.heap, false),
      rssMiB: +mib(start.rss, false),
      sockets: start.sockets,
      timers: start.timers,
    },
    growth: {
      heapMiB: growth.heap === undefined ? undefined : +mib(growth.heap, false),
      rssMiB: growth.rss === undefined ? undefined : +mib(growth.rss, false),
      sockets: growth.sockets,
      timers: growth.timers,
    },
    maxSessions,
    maxServerSessions,
    sessionsLeftOpen: sessions.size,
    bounds: {
      heap: "max(16 MiB, 20%)",
      rss: "64 MiB",
      sockets: BOUNDS.sockets,
      timers: BOUNDS.timers,
      sessions: CLIENTS + 1,
    },
  };
  console.log(JSON.stringify(summary));
  return summary.pass ? 0 : 1;
}

function mib(bytes: number, unit = true): string {
  const v = (bytes / MiB).toFixed(1);
  return unit ? `${v}MiB` : v;
}

async function sleepUnlessStopped(ms: number, stopped: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!stopped() && Date.now() < end)
    await new Promise((r) => setTimeout(r, Math.min(200, end - Date.now())));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
