/**
 * TrustManager: how proven states become trusted, with concurrent calls and forks. Pure: the "server" is a
 * chain of headers built in memory (test/unit/verify/helpers.ts), honest or forked.
 */
import { describe, expect, it } from "vitest";
import { VerificationError } from "../../src/errors.js";
import { MemoryStateStore } from "../../src/state/index.js";
import { type ProvenState, type Snapshot, TrustManager } from "../../src/trust.js";
import { verifyDualProof } from "../../src/verify/index.js";
import { alhOf, buildChain, type Chain, dualProof, hdr } from "./verify/helpers.js";

const honest = buildChain(40);
// Shares txs 1-10 with `honest`, then diverges (different entries, so different Alhs).
const fork = buildChain(40, { entries: (id) => (id > 10 ? 2 : 1) });

function setup(server: Chain, stored?: number) {
  const store = new MemoryStateStore();
  const calls = { headers: 0, proofs: 0, currentState: 0 };
  const trust = new TrustManager({
    store,
    serverUuid: "uuid",
    database: "db",
    signingKey: undefined,
    initial: undefined,
    deps: {
      currentState: async () => {
        calls.currentState++;
        return { txId: 5n, txHash: alhOf(server, 5), signature: undefined };
      },
      proveConsistent: async (lo, hi) => {
        calls.proofs++;
        verifyDualProof(
          dualProof(server, Number(lo.txId), Number(hi.txId)),
          lo.txId,
          hi.txId,
          lo.txHash,
          hi.txHash,
        );
      },
      headers: async (from, to) => {
        calls.headers++;
        return server.headers.slice(Number(from) - 1, Number(to));
      },
    },
  });
  const ready =
    stored === undefined
      ? Promise.resolve()
      : store
          .compareAndSet(undefined, {
            serverUuid: "uuid",
            database: "db",
            txId: BigInt(stored),
            txHash: alhOf(server, stored),
          })
          .then(() => undefined);
  return { trust, store, calls, ready };
}

function proven(chain: Chain, id: number): ProvenState {
  return { txId: BigInt(id), txHash: alhOf(chain, id), header: hdr(chain, id) };
}

describe("TrustManager", () => {
  it("first contact: the snapshot is the server's state and is stored only when a commit proves something", async () => {
    const { trust, calls } = setup(honest);
    const snap = await trust.snapshot();
    expect(snap).toMatchObject({ txId: 5n, stored: undefined });
    expect(await trust.stored()).toBeUndefined();
    await trust.commit(snap, proven(honest, 7));
    expect((await trust.stored())?.txId).toBe(7n);
    expect(calls.currentState).toBe(1);
  });

  it("unchanged state: a newer proven state is stored with no extra call", async () => {
    const { trust, calls, ready } = setup(honest, 12);
    await ready;
    const snap = await trust.snapshot();
    await trust.commit(snap, proven(honest, 20));
    expect((await trust.stored())?.txId).toBe(20n);
    expect(calls).toMatchObject({ headers: 0, proofs: 0 });
  });

  it("concurrent results from one snapshot are reconciled together with one header scan", async () => {
    const { trust, calls, ready } = setup(honest, 12);
    await ready;
    const snap: Snapshot = await trust.snapshot();
    await Promise.all([13, 17, 15, 21, 14, 19, 16].map((id) => trust.commit(snap, proven(honest, id))));
    expect((await trust.stored())?.txId).toBe(21n);
    expect(calls.proofs).toBe(0);
    expect(calls.headers).toBeLessThanOrEqual(2);
  });

  it("a read proven against a formerly trusted state needs no reconciliation", async () => {
    const { trust, calls, ready } = setup(honest, 12);
    await ready;
    const old = await trust.snapshot();
    await trust.commit(old, proven(honest, 18));
    await trust.commit(old, { txId: old.txId, txHash: old.txHash });
    expect((await trust.stored())?.txId).toBe(18n);
    expect(calls).toMatchObject({ headers: 0, proofs: 0 });
  });

  it("a result from another branch is rejected, the others accepted, and the state stays on one history", async () => {
    const { trust, ready } = setup(honest, 12);
    await ready;
    const snap = await trust.snapshot();
    await trust.commit(snap, proven(honest, 14)); // the state moves on: later commits must reconcile
    const results = await Promise.allSettled([
      trust.commit(snap, proven(honest, 16)),
      trust.commit(snap, proven(fork, 17)),
      trust.commit(snap, proven(honest, 15)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(VerificationError);
    const state = await trust.stored();
    expect(state?.txId).toBe(16n);
    expect(state?.txHash).toEqual(alhOf(honest, 16));
  });

  it("a forked server is caught even when it serves a consistent-looking header scan of its own branch", async () => {
    // The client trusts honest tx 12; the server now lies from its fork (which shares only txs 1-10).
    const { trust, ready } = setup(fork, 12);
    await ready;
    const snap = await trust.snapshot();
    await trust.commit(snap, proven(honest, 13)); // honest child of 12: accepted without asking the server
    const err = await trust.commit(snap, proven(fork, 15)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((await trust.stored())?.txHash).toEqual(alhOf(honest, 13));
  });

  it("two different hashes for one tx are a fork", async () => {
    const { trust, ready } = setup(honest, 12);
    await ready;
    const snap = await trust.snapshot();
    await trust.commit(snap, proven(honest, 14));
    await expect(trust.commit(snap, proven(fork, 14))).rejects.toBeInstanceOf(VerificationError);
    await expect(
      trust.commit(await trust.snapshot(), { txId: 14n, txHash: alhOf(fork, 14) }),
    ).rejects.toBeInstanceOf(VerificationError);
  });
});
