/**
 * Reliability 4c: the leak check. Runs after the unit and integration suites (vitest project `leaks`, group
 * order 1; see vitest.config.ts). Creates and closes many clients (session and token auth, heartbeats on,
 * verified calls with a file-backed state, calls still in flight at close, a client whose server died) and
 * checks that, once every client is closed, the process is back at the baseline taken before:
 * - timers, immediates and TCP/TLS handles still alive, counted with an async hook from their creation to their
 *   destruction, so unref'd ones count too (grpc-js unrefs idle sockets and the session heartbeat is unref'd:
 *   `process.getActiveResourcesInfo()` does not list them);
 * - open socket file descriptors (`/proc/self/fd`, Linux);
 * - `process.getActiveResourcesInfo()`, type by type;
 * - the server holds no session of a closed client: it runs with `--max-sessions 8`, so one leaked session per
 *   client would make the 9th `connect` fail, and at the end 8 sessions at once must still open.
 */
import { createHook } from "node:async_hooks";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ConnectionError, FileStateStore, ImmudbClient } from "../../src/index.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";
import { delay, figure } from "../integration/reliability/helpers.js";

const MAX_SESSIONS = 8;
let server: ImmudbServer;
let dir: string;

beforeAll(async () => {
  server = await startImmudb({ args: ["--max-sessions", String(MAX_SESSIONS)] });
  dir = mkdtempSync(join(tmpdir(), "immudb-ts-leaks-"));
});
afterAll(async () => {
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Async resources of these types alive (created, not yet destroyed), by id. */
const TRACKED = new Set(["Timeout", "Immediate", "TCPWRAP", "TLSWRAP"]);
const alive = new Map<number, string>();
const hook = createHook({
  init(id, type) {
    if (TRACKED.has(type)) alive.set(id, type);
  },
  destroy(id) {
    alive.delete(id);
  },
});

/** Open socket file descriptors of this process (Linux), or 0 where /proc is not there. */
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

/**
 * What is alive, by kind: `alive:<type>` from the async hook, `fd:socket`, and `active:<type>` from
 * `process.getActiveResourcesInfo()`.
 */
function resources(): Record<string, number> {
  const out: Record<string, number> = { "fd:socket": socketFds() };
  for (const t of alive.values()) out[`alive:${t}`] = (out[`alive:${t}`] ?? 0) + 1;
  for (const r of process.getActiveResourcesInfo()) out[`active:${r}`] = (out[`active:${r}`] ?? 0) + 1;
  return out;
}

/** Resource types with more instances now than in `baseline`. */
function excess(baseline: Record<string, number>): Record<string, number> {
  const now = resources();
  return Object.fromEntries(
    Object.entries(now)
      .filter(([k, n]) => n > (baseline[k] ?? 0))
      .map(([k, n]) => [k, n - (baseline[k] ?? 0)]),
  );
}

/** Waits up to `ms` for the active resources to be back at `baseline`; returns what is still in excess. */
async function settle(baseline: Record<string, number>, ms: number): Promise<Record<string, number>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = excess(baseline);
    if (Object.keys(left).length === 0 || Date.now() > deadline) return left;
    await delay(20);
  }
}

it("closing clients releases every socket, timer and server session", async () => {
  hook.enable();
  try {
    await run();
  } finally {
    hook.disable();
  }
}, 120_000);

async function run(): Promise<void> {
  // Warm up once (module-level state of grpc-js and Node's DNS/HTTP/2 machinery), then take the baseline.
  const warm = await ImmudbClient.connect({ port: server.port });
  await warm.verifiedSet("warm", "1");
  await warm.close();
  await settle({}, 200);
  const baseline = resources();
  const statePath = join(dir, "state.json");
  let clients = 0;
  let peakResources = 0;
  const sample = () => {
    peakResources = Math.max(peakResources, alive.size);
  };

  // 1. Sequentially: 3 × MAX_SESSIONS clients, each with calls, verified calls and a heartbeat.
  for (let i = 0; i < 3 * MAX_SESSIONS; i++) {
    const store = i % 2 === 0 ? new FileStateStore({ path: statePath }) : undefined;
    const c = await ImmudbClient.connect({
      port: server.port,
      heartbeatIntervalMs: 50,
      ...(store ? { stateStore: store } : {}),
    });
    clients++;
    await c.set(`seq-${i}`, "v");
    await c.verifiedGet(`seq-${i}`);
    await delay(i % 8 === 0 ? 120 : 0); // let a few heartbeats run
    sample();
    await c.close();
    await store?.close();
  }

  // 2. In batches of MAX_SESSIONS at once, some closed with calls in flight.
  for (let round = 0; round < 5; round++) {
    const batch = await Promise.all(
      Array.from({ length: MAX_SESSIONS }, () => ImmudbClient.connect({ port: server.port })),
    );
    clients += batch.length;
    const inFlight = Promise.allSettled(
      batch.flatMap((c, j) => [c.get(`seq-${j}`), c.verifiedGet(`seq-${j}`), c.set(`b-${j}`, "v")]),
    );
    sample();
    if (round % 2 === 1) await inFlight;
    await Promise.all(batch.map((c) => c.close()));
    for (const r of await inFlight) {
      // Either done, or refused because the client was closed: never hanging.
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ConnectionError);
    }
  }

  // 3. Token auth (Login/Logout, no session): tokens do not count against --max-sessions, sockets do.
  for (let i = 0; i < 10; i++) {
    const c = await ImmudbClient.connect({ port: server.port, auth: "token" });
    clients++;
    await c.set(`tok-${i}`, "v");
    await c.close();
  }

  // 4. A client whose server died: close() still returns promptly and releases everything.
  const doomed = await startImmudb();
  const orphan = await ImmudbClient.connect({ port: doomed.port, heartbeatIntervalMs: 50 });
  clients++;
  await orphan.set("k", "v");
  await doomed.kill();
  const closing = Date.now();
  await orphan.close();
  const orphanCloseMs = Date.now() - closing;
  await doomed.dispose();
  expect(orphanCloseMs).toBeLessThan(6000);

  const started = Date.now();
  const left = await settle(baseline, 5000);
  const settleMs = Date.now() - started;
  expect(left, `resources still active: ${JSON.stringify(process.getActiveResourcesInfo())}`).toEqual({});

  // No session left on the server: MAX_SESSIONS new ones open at once.
  const full = await Promise.all(
    Array.from({ length: MAX_SESSIONS }, () => ImmudbClient.connect({ port: server.port })),
  );
  await Promise.all(full.map((c) => c.close()));
  expect(await settle(baseline, 5000)).toEqual({});

  figure("leak-check", {
    clientsOpenedAndClosed: clients + MAX_SESSIONS,
    maxSessions: MAX_SESSIONS,
    baselineResources: baseline,
    peakTimersAndHandlesAlive: peakResources,
    excessAfterClose: left,
    settleMs,
    closeWithDeadServerMs: orphanCloseMs,
  });
}
