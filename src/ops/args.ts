/**
 * Request builders shared by the operation modules: argument checks (before any RPC) and the protobuf shapes
 * of keys, metadata and preconditions.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "../errors.js";
import {
  type Precondition,
  Precondition_KeyMustExistPreconditionSchema,
  Precondition_KeyMustNotExistPreconditionSchema,
  Precondition_KeyNotModifiedAfterTXPreconditionSchema,
  PreconditionSchema,
} from "../gen/schema_pb.js";
import { toBytes, toKey, toUint64 } from "../internal/bytes.js";
import type { GetOptions, WriteOptions } from "../types.js";
import type { KVToWrite } from "../verified.js";

/** An entry to write, as users pass it. */
export interface EntryInput {
  readonly key: Uint8Array | string;
  readonly value: Uint8Array | string;
  /** Expiry: a `Date` or Unix seconds. Overrides the call's `expiresAt`. */
  readonly expiresAt?: bigint | Date;
  /** Keep out of the index. Overrides the call's `nonIndexable`. */
  readonly nonIndexable?: boolean;
}

/**
 * Checks and converts entries to write; keys must be distinct. With `maxMessageBytes` (the client's
 * `maxSendMessageBytes`), entries whose keys and values alone exceed one message are refused here, before any
 * RPC, rather than by gRPC once the call is under way.
 */
export function toKVs(
  entries: readonly EntryInput[],
  options: WriteOptions | undefined,
  maxMessageBytes?: number,
): KVToWrite[] {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new InvalidArgumentError("entries must be a non-empty array");
  const seen = new Set<string>();
  const kvs = entries.map((e, i) => {
    const key = toKey(e?.key, `entries[${i}].key`);
    const id = Buffer.from(key).toString("base64");
    if (seen.has(id))
      throw new InvalidArgumentError(`entries[${i}].key is a duplicate; keys must be distinct`);
    seen.add(id);
    const expiresAt = e.expiresAt ?? options?.expiresAt;
    const nonIndexable = e.nonIndexable ?? options?.nonIndexable ?? false;
    const metadata =
      expiresAt !== undefined || nonIndexable
        ? {
            ...(expiresAt !== undefined ? { expiresAt: toUnixSeconds(expiresAt) } : {}),
            ...(nonIndexable ? { nonIndexable: true } : {}),
          }
        : undefined;
    return { key, value: toBytes(e.value, `entries[${i}].value`), metadata };
  });
  if (maxMessageBytes !== undefined) {
    const bytes = kvs.reduce((n, kv) => n + kv.key.length + kv.value.length, 0);
    if (bytes > maxMessageBytes) {
      throw new InvalidArgumentError(
        `the keys and values take ${bytes} bytes, over the ${maxMessageBytes}-byte message limit ` +
          "(maxSendMessageBytes): write large values with streamSet or streamSetAll",
      );
    }
  }
  return kvs;
}

/** A `Date` or Unix seconds as Unix seconds. */
export function toUnixSeconds(t: bigint | Date): bigint {
  if (typeof t === "bigint") return t;
  if (t instanceof Date && Number.isFinite(t.getTime())) return BigInt(Math.floor(t.getTime() / 1000));
  throw new InvalidArgumentError("expiresAt must be a Date or a bigint of Unix seconds");
}

/** Converts preconditions to their protobuf messages. */
export function toPreconditions(options: WriteOptions | undefined) {
  const out: Precondition[] = [];
  for (const p of options?.preconditions ?? []) {
    const key = toKey(p.key, "precondition key");
    if (p.type === "mustExist") {
      out.push(
        create(PreconditionSchema, {
          precondition: {
            case: "keyMustExist",
            value: create(Precondition_KeyMustExistPreconditionSchema, { key }),
          },
        }),
      );
    } else if (p.type === "mustNotExist") {
      out.push(
        create(PreconditionSchema, {
          precondition: {
            case: "keyMustNotExist",
            value: create(Precondition_KeyMustNotExistPreconditionSchema, { key }),
          },
        }),
      );
    } else if (p.type === "notModifiedAfterTx") {
      const txID = toUint64(p.txId, "precondition txId");
      out.push(
        create(PreconditionSchema, {
          precondition: {
            case: "keyNotModifiedAfterTX",
            value: create(Precondition_KeyNotModifiedAfterTXPreconditionSchema, { key, txID }),
          },
        }),
      );
    } else throw new InvalidArgumentError("unknown precondition type");
  }
  return out;
}

/** Checks and converts a key and its read options to a `KeyRequest`. */
export function keyRequest(key: unknown, options: GetOptions | undefined) {
  const k = toKey(key);
  const atTx = options?.atTx === undefined ? 0n : toUint64(options.atTx, "atTx");
  const sinceTx = options?.sinceTx === undefined ? 0n : toUint64(options.sinceTx, "sinceTx");
  let atRevision = 0n;
  if (options?.atRevision !== undefined) {
    if (typeof options.atRevision !== "bigint") throw new InvalidArgumentError("atRevision must be a bigint");
    if (options.atRevision < -(2n ** 63n) || options.atRevision >= 2n ** 63n) {
      throw new InvalidArgumentError(`atRevision is out of the int64 range: ${options.atRevision}`);
    }
    atRevision = options.atRevision;
  }
  if (options?.atTx !== undefined && (options.sinceTx !== undefined || options.atRevision !== undefined)) {
    throw new InvalidArgumentError("atTx cannot be combined with sinceTx or atRevision");
  }
  return { key: k, atTx, sinceTx, atRevision, noWait: options?.noWait ?? false };
}
