/**
 * Trusted-state storage: where a verifying client remembers, per server and database, the last state it
 * proved. {@link MemoryStateStore} is the per-process default; {@link FileStateStore} persists it across runs.
 *
 * @module
 */
export { FileStateStore, type FileStateStoreOptions, STATE_FILE_VERSION } from "./file.js";
export { MemoryStateStore } from "./memory.js";
export {
  checkPin,
  checkTransition,
  copyState,
  MAX_TX_ID,
  sameState,
  type Transition,
  TX_HASH_LENGTH,
  validateIdentity,
  validateKey,
  validateTransition,
  validateTrustedState,
} from "./rules.js";
export type { StateStore, TrustedState } from "./types.js";
