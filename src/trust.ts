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
import { bytesEqual, verifyStateSignature } from "./verify/index.js";

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
    let expected = source.stored;
    let base: ProvenState = { txId: source.txId, txHash: source.txHash };
    for (let round = 0; ; round++) {
      const current = await this.stored();
      if (!sameState(current, expected)) {
        if (!current) throw new StateError("the trusted state disappeared from the state store");
        await this.#reconcile(target, current);
        if (target.txId <= current.txId) return; // target is in current's past: nothing to store
        expected = current;
        base = current;
      }
      if (target.txId < base.txId) return; // a read of an older tx, proven against `base`
      if (target.txId === base.txId) {
        if (!bytesEqual(target.txHash, base.txHash)) {
          throw new VerificationError("dual-proof", `two different states for tx ${target.txId}`);
        }
        if (expected) return; // already trusted
      }
      const next: TrustedState = {
        serverUuid: this.#serverUuid,
        database: this.#database,
        txId: target.txId,
        txHash: target.txHash,
        ...(target.signature ? { signature: target.signature } : {}),
      };
      if (await this.#store.compareAndSet(expected, next)) return;
      if (round > 1000) throw new StateError("could not store the trusted state: too much contention");
    }
  }

  /** Proves `target` and `current` lie on one history. */
  async #reconcile(target: ProvenState, current: TrustedState): Promise<void> {
    if (target.txId === current.txId) {
      if (!bytesEqual(target.txHash, current.txHash)) {
        throw new VerificationError(
          "dual-proof",
          `the server showed two different histories: tx ${target.txId} has two different hashes`,
        );
      }
      return;
    }
    const cur: ProvenState = { txId: current.txId, txHash: current.txHash };
    if (target.txId > current.txId) {
      // Adjacent and chained by the header's prevAlh: no RPC needed.
      const h = target.header;
      if (
        h &&
        h.id === target.txId &&
        target.txId === current.txId + 1n &&
        bytesEqual(h.prevAlh, current.txHash)
      ) {
        return;
      }
      await this.#deps.proveConsistent(cur, target);
    } else {
      await this.#deps.proveConsistent(target, cur);
    }
  }
}

function sameState(a: TrustedState | undefined, b: TrustedState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.txId === b.txId && bytesEqual(a.txHash, b.txHash);
}
