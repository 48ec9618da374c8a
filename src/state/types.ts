/**
 * The trusted-state storage contract: what a verifying client remembers about each database it has verified.
 *
 * @module
 */

/**
 * A trusted state of one database on one server: the last transaction a verified operation proved, and its
 * accumulated linear hash (Alh). Later answers from the server must be consistent with it.
 */
export interface TrustedState {
  /** The server's identity (the `serverUUID` of `OpenSession`). Non-empty. */
  readonly serverUuid: string;
  /** The database name. Non-empty. */
  readonly database: string;
  /** The transaction id, an unsigned 64-bit integer. `0n` is allowed (empty database). */
  readonly txId: bigint;
  /** The Alh of transaction `txId`: exactly 32 bytes. */
  readonly txHash: Uint8Array;
  /** The server's DER-encoded ECDSA signature of this state, when the server signs its states. */
  readonly signature?: Uint8Array;
}

/**
 * Where a client keeps its trusted states and server identity pins.
 *
 * Every operation is a short local step; no RPC ever happens inside a store operation. A verified operation
 * therefore reads the state with {@link StateStore.get}, talks to the server and verifies, then stores the new
 * state with {@link StateStore.compareAndSet}, re-reading and retrying when another operation got there first.
 *
 * Implementations must never let a state move backwards, never replace a state with an unrelated one, and
 * report unusable stored data as a `StateError` rather than as "nothing stored".
 * `checkTransition` and `checkPin` implement these rules once for every store.
 */
export interface StateStore {
  /**
   * The trusted state, or `undefined` on first contact with this database of this server.
   * Throws `StateError` if the stored data is unusable.
   */
  get(serverUuid: string, database: string): Promise<TrustedState | undefined>;
  /**
   * Compare-and-set: stores `next` only if the stored state is still `expected` (same `txId` and `txHash`;
   * `undefined` = nothing stored). Returns `false` if it changed meanwhile (the caller re-reads and retries).
   * Returns `true` without writing when `next` equals the stored state.
   *
   * Throws `StateError` if `next.txId < stored.txId` (never regress), or if `next.txId == stored.txId` with a
   * different hash (a fork: the server showed two histories). When `expected` is stale, a `next` older than the
   * stored state is not an error: the call returns `false` and the caller retries against the newer state.
   * Throws `InvalidArgumentError` if `next` is malformed or `expected` names another database or server.
   */
  compareAndSet(expected: TrustedState | undefined, next: TrustedState): Promise<boolean>;
  /**
   * Pins a server address (`"host:port"`) to a server UUID on first use; throws `StateError` (with both UUIDs
   * in the message) if the address was pinned to a different UUID. Never replaces a pin.
   */
  pinServerIdentity(address: string, serverUuid: string): Promise<void>;
  /** Releases resources (timers, handles). Idempotent. Later operations reject with `StateError`. */
  close(): Promise<void>;
}
