/**
 * The default trusted-state store: per process, nothing on disk.
 *
 * @module
 */
import { StateError } from "../errors.js";
import { checkPin, checkTransition, copyState, validateKey } from "./rules.js";
import type { StateStore, TrustedState } from "./types.js";

/**
 * Keeps trusted states and server identity pins in memory, for the lifetime of the object. Share one instance
 * between clients to share their trust. Same compare-and-set, never-regress and pinning rules as every store;
 * every operation completes in one event-loop turn, so it needs no lock.
 *
 * States are copied in and out: changing the bytes of a state after storing or reading it changes nothing here.
 */
export class MemoryStateStore implements StateStore {
  /** serverUuid → database → state. */
  readonly #states = new Map<string, Map<string, TrustedState>>();
  /** address → serverUuid. */
  readonly #pins = new Map<string, string>();
  #closed = false;

  /** {@inheritDoc StateStore.get} */
  async get(serverUuid: string, database: string): Promise<TrustedState | undefined> {
    this.#checkOpen();
    validateKey(serverUuid, database);
    const state = this.#states.get(serverUuid)?.get(database);
    return state === undefined ? undefined : copyState(state);
  }

  /** {@inheritDoc StateStore.compareAndSet} */
  async compareAndSet(expected: TrustedState | undefined, next: TrustedState): Promise<boolean> {
    this.#checkOpen();
    const stored = this.#states.get(next.serverUuid)?.get(next.database);
    const transition = checkTransition(stored, expected, next);
    if (transition === "changed") return false;
    if (transition === "store") {
      let databases = this.#states.get(next.serverUuid);
      if (databases === undefined) {
        databases = new Map();
        this.#states.set(next.serverUuid, databases);
      }
      databases.set(next.database, copyState(next));
    }
    return true;
  }

  /** {@inheritDoc StateStore.pinServerIdentity} */
  async pinServerIdentity(address: string, serverUuid: string): Promise<void> {
    this.#checkOpen();
    if (checkPin(this.#pins.get(address), address, serverUuid, "this MemoryStateStore")) {
      this.#pins.set(address, serverUuid);
    }
  }

  /** {@inheritDoc StateStore.close} */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StateError("the state store is closed");
  }
}
