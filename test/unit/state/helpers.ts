/**
 * Shared by the state-store tests and their child-process scripts: deterministic states and a temp directory.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrustedState } from "../../../src/state/index.js";

/** The server UUID used by the tests (an xid, like immudb's). */
export const UUID = "c6frrtkbcv4dejs7mdsg";
/** A second server. */
export const UUID2 = "cr2kq1a0h4ps73b0tqv0";
/** The database used by the tests. */
export const DB = "defaultdb";

/** A 32-byte hash derived from `txId` (and `tag`, to make forks). */
export function hashFor(txId: bigint, tag = "a"): Uint8Array {
  return new Uint8Array(createHash("sha256").update(`${tag}:${txId}`).digest());
}

/** A state of `DB` on `UUID` (overridable) with the hash derived from its txId. */
export function st(
  txId: bigint | number,
  opts: { tag?: string; serverUuid?: string; database?: string; signature?: Uint8Array } = {},
): TrustedState {
  const id = BigInt(txId);
  const base: TrustedState = {
    serverUuid: opts.serverUuid ?? UUID,
    database: opts.database ?? DB,
    txId: id,
    txHash: hashFor(id, opts.tag),
  };
  return opts.signature === undefined ? base : { ...base, signature: opts.signature };
}

/** Hex of some bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** A comparable rendering of a state (bytes as hex, signature presence kept). */
export function show(s: TrustedState | undefined): unknown {
  if (s === undefined) return undefined;
  return {
    serverUuid: s.serverUuid,
    database: s.database,
    txId: s.txId,
    txHash: hex(s.txHash),
    ...("signature" in s ? { signature: s.signature === undefined ? "undefined!" : hex(s.signature) } : {}),
  };
}

/** A fresh temp directory and its removal. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "immudb-ts-state-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The pid of a process that has exited (so `process.kill(pid, 0)` fails with ESRCH). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  if (child.pid === undefined) throw new Error("no pid");
  return child.pid;
}
