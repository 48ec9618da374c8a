/**
 * Reliability 4a: load on one client. 10,000 requests in flight at once on one client all resolve correctly;
 * more concurrent writes than immudb's 30 tx holders per database (`max concurrency limit exceeded`) succeed
 * because that refusal is retried (it is raised before anything is written); a verified write refused so may
 * have been committed (its proof is built after the commit) and is reported as an unknown outcome, never resent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImmudbClient, type ImmudbError, UnknownOutcomeError } from "../../../src/index.js";
import { GrpcTransport } from "../../../src/transport/grpc.js";
import { type ImmudbServer, startImmudb } from "../../harness/immudb-server.js";
import { figure } from "./helpers.js";

const text = new TextDecoder();
let server: ImmudbServer;

beforeAll(async () => {
  server = await startImmudb();
});
afterAll(async () => {
  await server?.dispose();
});

/**
 * Counts transport calls by RPC and outcome, and the peak number in flight, until restored. A plain wrapper, not
 * `vi.spyOn`, which would keep every argument and result of 10,000 calls alive and distort the heap figures.
 */
function watchTransport() {
  const outcomes = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  const original = GrpcTransport.prototype.unary;
  GrpcTransport.prototype.unary = function (
    this: GrpcTransport,
    ...args: Parameters<GrpcTransport["unary"]>
  ) {
    const name = args[0].name;
    inFlight++;
    peak = Math.max(peak, inFlight);
    const p = original.apply(this, args);
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    p.then(
      () => {
        inFlight--;
        count(`${name} ok`);
      },
      (e: ImmudbError) => {
        inFlight--;
        count(`${name} ${e.message.replace(/^.*?: /, "")}`);
      },
    );
    return p as never;
  } as GrpcTransport["unary"];
  return {
    outcomes,
    get peak() {
      return peak;
    },
    restore: () => {
      GrpcTransport.prototype.unary = original;
    },
  };
}

/** Samples heapUsed every 5 ms while `fn` runs; returns its result, the time taken and the peak heap. */
async function measured<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number; peakHeapMiB: number }> {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  const started = performance.now();
  try {
    const result = await fn();
    return { result, ms: Math.round(performance.now() - started), peakHeapMiB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

describe("one client under load", () => {
  it("200 (default retry) and 1,000 (maxAttempts 10) concurrent writes all succeed: 'max concurrency limit exceeded' is retried, never duplicated", async () => {
    const c = await ImmudbClient.connect({ port: server.port });
    const patient = await ImmudbClient.connect({ port: server.port, retry: { maxAttempts: 10 } });
    const watch = watchTransport();
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `w200-${i}`);
      const r200 = await measured(() => Promise.all(keys.map((k) => c.set(k, k))));
      const keys1k = Array.from({ length: 1000 }, (_, i) => `w1k-${i}`);
      const r1k = await measured(() => Promise.all(keys1k.map((k) => patient.set(k, k))));
      watch.restore();
      const busy = watch.outcomes.get("Set max concurrency limit exceeded") ?? 0;
      // Each key was written exactly once (a refused attempt wrote nothing, so its retry is no duplicate).
      const entries = await c.getAll([...keys, ...keys1k]);
      for (const [i, e] of entries.entries()) {
        expect(e?.revision, String(i)).toBe(1n);
        expect(text.decode(e?.value)).toBe(i < 200 ? keys[i] : keys1k[i - 200]);
      }
      const txs = new Set([...r200.result, ...r1k.result].map((h) => h.id));
      expect(txs.size).toBe(1200); // one transaction per write
      figure("concurrent-writes", {
        "200 sets": { ms: r200.ms, allSucceeded: true },
        "1000 sets (retry.maxAttempts 10)": { ms: r1k.ms, allSucceeded: true },
        busyRefusalsRetried: busy,
        peakInFlight: watch.peak,
        duplicates: 0,
      });
    } finally {
      watch.restore();
      await c.close();
      await patient.close();
    }
  });

  it("200 concurrent verified writes: each proven, or reported as unknown outcome when refused as busy", async () => {
    const c = await ImmudbClient.connect({ port: server.port });
    const watch = watchTransport();
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `vw-${i}`);
      const settled = await Promise.allSettled(keys.map((k) => c.verifiedSet(k, k)));
      watch.restore();
      let ok = 0;
      let unknown = 0;
      let unknownCommitted = 0;
      for (const [i, s] of settled.entries()) {
        const e = await c.get(keys[i]!);
        if (s.status === "fulfilled") {
          ok++;
          expect(e?.tx).toBe(s.value.id);
        } else {
          // Never a plain failure: the refusal may come after the commit, so the outcome is unknown.
          expect(s.reason).toBeInstanceOf(UnknownOutcomeError);
          expect(((s.reason as UnknownOutcomeError).cause as Error).message).toMatch(
            /max concurrency limit exceeded/,
          );
          unknown++;
          if (e) unknownCommitted++;
        }
        if (e) expect(e.revision).toBe(1n); // never resent
      }
      expect(ok + unknown).toBe(200);
      expect(watch.outcomes.get("VerifiableSet ok") ?? 0).toBe(ok);
      figure("concurrent-verified-writes", {
        writes: 200,
        proven: ok,
        unknownOutcome: unknown,
        unknownCommitted,
      });
    } finally {
      watch.restore();
      await c.close();
    }
  });

  it("10,000 concurrent gets, and 10,000 mixed gets/verifiedGets, on one client all resolve correctly", async () => {
    const c = await ImmudbClient.connect({ port: server.port, retry: { maxAttempts: 10 } });
    try {
      const keys = Array.from({ length: 500 }, (_, i) => `load-${i}`);
      for (let i = 0; i < keys.length; i += 250) {
        await c.setAll(keys.slice(i, i + 250).map((k) => ({ key: k, value: `value of ${k}` })));
      }
      const watch = watchTransport();
      const gets = await measured(() =>
        Promise.all(Array.from({ length: 10_000 }, (_, i) => c.get(keys[i % keys.length]!))),
      );
      const peakGets = watch.peak;
      watch.restore();
      for (const [i, e] of gets.result.entries())
        expect(text.decode(e?.value)).toBe(`value of ${keys[i % 500]}`);
      expect(peakGets).toBe(10_000); // all of them in flight at once

      const watch2 = watchTransport();
      const mixed = await measured(() =>
        Promise.all(
          Array.from({ length: 10_000 }, (_, i) =>
            i % 10 === 0 ? c.verifiedGet(keys[i % keys.length]!) : c.get(keys[i % keys.length]!),
          ),
        ),
      );
      watch2.restore();
      for (const [i, e] of mixed.result.entries())
        expect(text.decode(e?.value)).toBe(`value of ${keys[i % 500]}`);
      const busy = [...watch2.outcomes].filter(([k]) => !k.endsWith(" ok")).reduce((n, [, v]) => n + v, 0);
      figure("10k-in-flight", {
        "10000 gets": { ms: gets.ms, peakHeapMiB: gets.peakHeapMiB, peakInFlight: peakGets, failures: 0 },
        "9000 gets + 1000 verifiedGets": {
          ms: mixed.ms,
          peakHeapMiB: mixed.peakHeapMiB,
          peakInFlight: watch2.peak,
          busyRefusalsRetried: busy,
          failures: 0,
        },
      });
    } finally {
      await c.close();
    }
  });
});
