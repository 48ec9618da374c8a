/**
 * The trusted state of one client: where verified operations start from, and how their results move it
 * forward. Keeps the one invariant every verified result rests on: all states the client ever accepted lie on
 * one history, and the trusted state only moves forward.
 *
 * Verified calls do not hold a lock across their round trip (the Go SDK does, which limits one client to one
 * verified call per round trip). Each call proves its answer against the state it started from; when it
 * finishes, if the trusted state moved meanwhile (another call or process advanced it), the two are proven
 * consistent with a dual proof between them before the result is accepted. A forking server that answers
 * concurrent calls from different branches is caught there.
 *
 * @module
 */
import { StateError, VerificationError } from "./errors.js";
import type { StateStore, TrustedState } from "./state/index.js";
import type { Digest, SigningPublicKey, TxHeader } from "./verify/index.js";
import { alh, bytesEqual, verifyStateSignature } from "./verify/index.js";

/** A state a verified call starts from. */
export interface Snapshot {
  readonly txId: bigint;
  readonly txHash: Digest;
  /** The state as stored, or `undefined` for a first-contact state that is not stored yet. */
  readonly stored: TrustedState | undefined;
}

/** A state a verified call proved, to be accepted as trusted. */
export interface ProvenState {
  readonly txId: bigint;
  readonly txHash: Digest;
  readonly signature?: Uint8Array | undefined;
  /** Header of the proven tx, when at hand: lets an adjacent state be chained without an RPC. */
  readonly header?: TxHeader | undefined;
}

/** What the trust manager needs from the client: first-contact state, and a dual proof between two states. */
export interface TrustDeps {
  /** The server's current state (first contact). Signature not yet checked. */
  currentState(): Promise<{ txId: bigint; txHash: Digest; signature: Uint8Array | undefined }>;
  /** Proves that `lo` is in the history of `hi` (`lo.txId < hi.txId`); throws VerificationError if not. */
  proveConsistent(lo: ProvenState, hi: ProvenState): Promise<void>;
  /** The headers of txs `from..to` (inclusive, ascending), as the server reports them; not trusted. */
  headers(from: bigint, to: bigint): Promise<TxHeader[]>;
}

/** Trust for one (server, database). */
export class TrustManager {
  readonly #store: StateStore;
  readonly #serverUuid: string;
  readonly #database: string;
  readonly #signingKey: SigningPublicKey | undefined;
  readonly #deps: TrustDeps;
  readonly #initial: { txId: bigint; txHash: Digest } | undefined;

  constructor(options: {
    store: StateStore;
    serverUuid: string;
    database: string;
    signingKey: SigningPublicKey | undefined;
    initial: { txId: bigint; txHash: Digest } | undefined;
    deps: TrustDeps;
  }) {
    this.#store = options.store;
    this.#serverUuid = options.serverUuid;
    this.#database = options.database;
    this.#signingKey = options.signingKey;
    this.#initial = options.initial;
    this.#deps = options.deps;
  }

  /** The server UUID this trust is for. */
  get serverUuid(): string {
    return this.#serverUuid;
  }

  /** The database this trust is for. */
  get database(): string {
    return this.#database;
  }

  /** The stored trusted state, if any. */
  stored(): Promise<TrustedState | undefined> {
    return this.#store.get(this.#serverUuid, this.#database);
  }

  /**
   * The state a verified call starts from: the stored trusted state; on first contact the state the user
   * supplied, or else the server's current state (trust on first use; its signature is checked when a signing
   * key is configured). A first-contact state is stored only once an operation proved itself against it.
   */
  async snapshot(): Promise<Snapshot> {
    const stored = await this.stored();
    if (stored) return { txId: stored.txId, txHash: stored.txHash, stored };
    if (this.#initial) return { ...this.#initial, stored: undefined };
    const current = await this.#deps.currentState();
    this.checkSignature(current);
    return { txId: current.txId, txHash: current.txHash, stored: undefined };
  }

  /** Checks the server's signature of a state when a signing key is configured; otherwise does nothing. */
  checkSignature(state: { txId: bigint; txHash: Digest; signature: Uint8Array | undefined }): void {
    if (!this.#signingKey) return;
    verifyStateSignature(
      { db: this.#database, txId: state.txId, txHash: state.txHash },
      state.signature,
      this.#signingKey,
    );
  }

  /**
   * Accepts `target`, proven from `source`, as trusted: stores it if it is newer, after proving it consistent
   * with whatever the trusted state became meanwhile. Throws VerificationError (nothing stored) if the two
   * histories disagree.
   */
  async commit(source: Snapshot, target: ProvenState): Promise<void> {
    // Without reading the store: proven against the snapshot, which was trusted (or is being trusted now).
    if (target.txId === source.txId && bytesEqual(target.txHash, source.txHash) && source.stored) {
      return; // read of an older tx or of the trusted one: an ancestor of any later trusted state
    }
    if (target.txId > source.txId) {
      // If the store still holds the snapshot, the proof from it is all it takes. Anything else (the state
      // moved, or the store refused) is decided below on a fresh read, which reports forks as such.
      const stored = await this.#store
        .compareAndSet(source.stored, this.#toTrusted(target))
        .catch(() => false);
      if (stored) return;
    }
    for (let round = 0; ; round++) {
      const current = await this.stored();
      if (!sameState(current, source.stored)) {
        if (!current) throw new StateError("the trusted state disappeared from the state store");
        // The trusted state moved since this call started (another call or process advanced it).
        if (source.stored && target.txId === source.txId && bytesEqual(target.txHash, source.txHash)) {
          return; // proven against a state that was trusted before: an ancestor of today's by construction
        }
        if (target.txId === current.txId) {
          if (!bytesEqual(target.txHash, current.txHash)) throw forked(target.txId);
          return;
        }
        if (isChild(target, current)) {
          if (await this.#store.compareAndSet(current, this.#toTrusted(target))) return;
          continue;
        }
        return this.#reconcileBatched(target);
      }
      // Unchanged since the snapshot: the proof of `target` from `source` is all it takes.
      if (target.txId < source.txId) return; // a read of an older tx, proven against the snapshot
      if (target.txId === source.txId) {
        if (!bytesEqual(target.txHash, source.txHash)) throw forked(target.txId);
        if (source.stored) return; // already trusted
      }
      if (await this.#store.compareAndSet(source.stored, this.#toTrusted(target))) return;
      if (round > 1000) throw new StateError("could not store the trusted state: too much contention");
    }
  }

  #toTrusted(target: ProvenState): TrustedState {
    return {
      serverUuid: this.#serverUuid,
      database: this.#database,
      txId: target.txId,
      txHash: target.txHash,
      ...(target.signature ? { signature: target.signature } : {}),
    };
  }

  /**
   * Proves `target` consistent with the trusted state, batching concurrent requests: one scan of the tx headers
   * between the lowest and the highest state checks them all, by recomputing the Alh chain (each header's
   * `prevAlh` must be the Alh of the one before, and every state must appear in the chain). Then the newest
   * state is stored. When the batch does not check out, each state is reconciled on its own with a dual proof,
   * so only the states that really disagree are rejected.
   */
  #reconcileBatched(target: ProvenState): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ target, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        // Let results arriving in the same turn join the batch.
        setImmediate(() => void this.#drain());
      }
    });
  }

  readonly #queue: { target: ProvenState; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #draining = false;

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        try {
          await this.#reconcileAll(batch);
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #reconcileAll(batch: { target: ProvenState; resolve: () => void; reject: (err: unknown) => void }[]) {
    for (let round = 0; round < 100; round++) {
      const current = await this.stored();
      if (!current) throw new StateError("the trusted state disappeared from the state store");
      let accepted = batch;
      if (
        !(await this.#chainChecks(
          current,
          batch.map((b) => b.target),
        ))
      ) {
        // Find out which states disagree, one dual proof each.
        accepted = [];
        for (const b of batch) {
          try {
            await this.#reconcilePair(b.target, current);
            accepted.push(b);
          } catch (err) {
            b.reject(err);
          }
        }
      }
      let newest: ProvenState | undefined;
      for (const b of accepted) if (b.target.txId > (newest?.txId ?? current.txId)) newest = b.target;
      if (newest && !(await this.#store.compareAndSet(current, this.#toTrusted(newest)))) {
        batch = accepted;
        continue; // another process moved the state: check again against the new one
      }
      for (const b of accepted) b.resolve();
      return;
    }
    throw new StateError("could not store the trusted state: too much contention");
  }

  /** One header scan from the lowest to the highest state; true if all of them lie on its Alh chain. */
  async #chainChecks(current: TrustedState, targets: readonly ProvenState[]): Promise<boolean> {
    const points: ProvenState[] = [{ txId: current.txId, txHash: current.txHash }, ...targets];
    let lo = points[0]!;
    let hi = points[0]!;
    for (const p of points) {
      if (p.txId < lo.txId) lo = p;
      if (p.txId > hi.txId) hi = p;
    }
    if (hi.txId - lo.txId > MAX_CHAIN_SCAN) return false;
    const chain = new Map<bigint, Digest>([[lo.txId, lo.txHash]]);
    if (hi.txId > lo.txId) {
      const headers = await this.#deps.headers(lo.txId + 1n, hi.txId);
      let prevId = lo.txId;
      let prevAlh = lo.txHash;
      for (const h of headers) {
        if (h.id !== prevId + 1n || !bytesEqual(h.prevAlh, prevAlh)) return false;
        prevId = h.id;
        prevAlh = alh(h);
        chain.set(h.id, prevAlh);
      }
      if (prevId !== hi.txId) return false;
    }
    return points.every((p) => {
      const a = chain.get(p.txId);
      return a !== undefined && bytesEqual(a, p.txHash);
    });
  }

  /** Proves `target` and `current` lie on one history, with a dual proof between them. */
  async #reconcilePair(target: ProvenState, current: TrustedState): Promise<void> {
    if (target.txId === current.txId) {
      if (!bytesEqual(target.txHash, current.txHash)) throw forked(target.txId);
      return;
    }
    const cur: ProvenState = { txId: current.txId, txHash: current.txHash };
    if (target.txId > current.txId) await this.#deps.proveConsistent(cur, target);
    else await this.#deps.proveConsistent(target, cur);
  }
}

/** Largest gap between states that one header scan reconciles; beyond it, dual proofs are cheaper. */
const MAX_CHAIN_SCAN = 10_000n;

function forked(txId: bigint): VerificationError {
  return new VerificationError(
    "dual-proof",
    `the server showed two different histories: tx ${txId} has two different hashes`,
  );
}

/** `target` is the transaction right after `current`, chained to it by its header's `prevAlh`. */
function isChild(target: ProvenState, current: TrustedState): boolean {
  const h = target.header;
  return (
    h !== undefined &&
    h.id === target.txId &&
    target.txId === current.txId + 1n &&
    bytesEqual(h.prevAlh, current.txHash)
  );
}

function sameState(a: TrustedState | undefined, b: TrustedState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.txId === b.txId && bytesEqual(a.txHash, b.txHash);
}
