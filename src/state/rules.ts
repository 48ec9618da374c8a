/**
 * The rules every {@link StateStore} applies, as small pure functions: input validation, the compare-and-set
 * transition and identity pinning. Stores call them so the rules exist exactly once.
 *
 * @module
 */
import { InvalidArgumentError, StateError } from "../errors.js";
import type { StateStore, TrustedState } from "./types.js";

/** Largest transaction id (immudb tx ids are uint64). */
export const MAX_TX_ID = 0xffff_ffff_ffff_ffffn;

/** Length of a transaction hash (Alh), in bytes. */
export const TX_HASH_LENGTH = 32;

/**
 * What {@link StateStore.compareAndSet} must do, as decided by {@link checkTransition}:
 * - `"store"`: write `next` and return `true`;
 * - `"unchanged"`: `next` equals the stored state; return `true` without writing;
 * - `"changed"`: the stored state is no longer `expected`; return `false` without writing.
 */
export type Transition = "store" | "unchanged" | "changed";

/**
 * Decides a compare-and-set from the stored state, the state the caller expects and the state it wants to
 * store. Pure; never touches `stored`.
 *
 * Order of the checks:
 * 1. `next` is validated, and `expected` must name the same server and database ({@link InvalidArgumentError}).
 * 2. `next.txId == stored.txId` with a different hash throws {@link StateError}, even when `expected` is stale:
 *    two verified states disagreeing on one transaction means the server showed two histories.
 * 3. A stale `expected` (the stored state has another `txId`/`txHash`, or is present/absent when `expected` is
 *    not) gives `"changed"`, so the caller re-reads and retries against the newer state.
 * 4. `next.txId < stored.txId` throws {@link StateError} (a state never moves backwards).
 * 5. `next` equal to the stored state gives `"unchanged"`; anything else gives `"store"`.
 */
export function checkTransition(
  stored: TrustedState | undefined,
  expected: TrustedState | undefined,
  next: TrustedState,
): Transition {
  validateTransition(expected, next);
  if (stored !== undefined && stored.txId === next.txId && !bytesEqual(stored.txHash, next.txHash)) {
    throw new StateError(
      `state fork on database ${JSON.stringify(next.database)} of server ${next.serverUuid}: tx ${next.txId} ` +
        `has hash ${toHex(next.txHash)}, but the trusted state has ${toHex(stored.txHash)}`,
    );
  }
  if (!sameState(stored, expected)) return "changed";
  if (stored === undefined) return "store";
  if (next.txId < stored.txId) {
    throw new StateError(
      `refusing to move the trusted state of database ${JSON.stringify(next.database)} on server ` +
        `${next.serverUuid} backwards, from tx ${stored.txId} to tx ${next.txId}`,
    );
  }
  return next.txId === stored.txId ? "unchanged" : "store";
}

/**
 * Validates the arguments of {@link StateStore.compareAndSet}: `next` (and `expected`, when given) must be
 * well-formed and name the same server and database. Throws {@link InvalidArgumentError}.
 */
export function validateTransition(expected: TrustedState | undefined, next: TrustedState): void {
  validateTrustedState(next, "next");
  if (expected === undefined) return;
  validateTrustedState(expected, "expected");
  if (expected.serverUuid !== next.serverUuid || expected.database !== next.database) {
    throw new InvalidArgumentError(
      `expected is the state of database ${JSON.stringify(expected.database)} on server ` +
        `${expected.serverUuid}, but next is for database ${JSON.stringify(next.database)} on server ` +
        `${next.serverUuid}`,
    );
  }
}

/**
 * Decides a {@link StateStore.pinServerIdentity} call from the current pin of `address`: returns `true` if the
 * pin must be written (first use), `false` if it is already in place. Throws {@link StateError} if `address`
 * is pinned to another UUID; `where` names the store in that message (e.g. a file path).
 */
export function checkPin(
  pinned: string | undefined,
  address: string,
  serverUuid: string,
  where: string,
): boolean {
  validateIdentity(address, serverUuid);
  if (pinned === undefined) return true;
  if (pinned === serverUuid) return false;
  throw new StateError(
    `server identity mismatch: ${address} is pinned to server ${pinned}, but the server now identifies as ` +
      `${serverUuid}. If the server was legitimately replaced, remove the pin of ${address} from ${where}`,
  );
}

/** Validates the arguments of {@link StateStore.pinServerIdentity}; throws {@link InvalidArgumentError}. */
export function validateIdentity(address: string, serverUuid: string): void {
  if (typeof address !== "string" || address.length === 0) {
    throw new InvalidArgumentError("address must be a non-empty string");
  }
  if (typeof serverUuid !== "string" || serverUuid.length === 0) {
    throw new InvalidArgumentError("serverUuid must be a non-empty string");
  }
}

/** Validates the key arguments of {@link StateStore.get}; throws {@link InvalidArgumentError}. */
export function validateKey(serverUuid: string, database: string): void {
  if (typeof serverUuid !== "string" || serverUuid.length === 0) {
    throw new InvalidArgumentError("serverUuid must be a non-empty string");
  }
  if (typeof database !== "string" || database.length === 0) {
    throw new InvalidArgumentError("database must be a non-empty string");
  }
}

/**
 * Checks the shape of a {@link TrustedState}: non-empty `serverUuid` and `database`, a uint64 `txId`, a 32-byte
 * `txHash`, and a non-empty `signature` when present. Throws {@link InvalidArgumentError}; `what` names it.
 */
export function validateTrustedState(state: TrustedState, what = "state"): void {
  if (typeof state !== "object" || state === null) {
    throw new InvalidArgumentError(`${what} must be a TrustedState object`);
  }
  if (typeof state.serverUuid !== "string" || state.serverUuid.length === 0) {
    throw new InvalidArgumentError(`${what}.serverUuid must be a non-empty string`);
  }
  if (typeof state.database !== "string" || state.database.length === 0) {
    throw new InvalidArgumentError(`${what}.database must be a non-empty string`);
  }
  if (typeof state.txId !== "bigint" || state.txId < 0n || state.txId > MAX_TX_ID) {
    throw new InvalidArgumentError(`${what}.txId must be a bigint in [0, 2^64 - 1]`);
  }
  if (!(state.txHash instanceof Uint8Array) || state.txHash.length !== TX_HASH_LENGTH) {
    throw new InvalidArgumentError(`${what}.txHash must be a Uint8Array of ${TX_HASH_LENGTH} bytes`);
  }
  if (
    state.signature !== undefined &&
    (!(state.signature instanceof Uint8Array) || state.signature.length === 0)
  ) {
    throw new InvalidArgumentError(`${what}.signature must be a non-empty Uint8Array when present`);
  }
}

/** Whether two optional states are the same point of history (same `txId` and `txHash`; both absent counts). */
export function sameState(a: TrustedState | undefined, b: TrustedState | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.txId === b.txId && bytesEqual(a.txHash, b.txHash);
}

/** A deep copy, so neither the caller nor the store can change the other's bytes afterwards. */
export function copyState(state: TrustedState): TrustedState {
  const copy: TrustedState = {
    serverUuid: state.serverUuid,
    database: state.database,
    txId: state.txId,
    txHash: state.txHash.slice(),
  };
  return state.signature === undefined ? copy : { ...copy, signature: state.signature.slice() };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
