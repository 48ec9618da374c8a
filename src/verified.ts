/**
 * Verified operations: each sends its request with `proveSinceTx` = the trusted state, checks the answer with
 * the pure verification core (entry inclusion, dual proof, signature) and only then hands the proven state to
 * the {@link TrustManager}. Follows the per-operation check sequences of the verification spec (§4), with the
 * hardening it lists (entries of a verified tx re-hashed, references proven down to the referenced value,
 * counts checked before indexing, bound references sent with `boundRef`).
 *
 * @module
 */
import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { entryFromProto, kvMetadataFromProto } from "./convert/index.js";
import {
  dualProofFromProto,
  headerOf,
  inclusionProofFromProto,
  required,
  txEntrySpecsFromProto,
} from "./convert/proofs.js";
import { VerificationError } from "./errors.js";
import {
  type Entry as EntryProto,
  EntryTypeAction,
  ImmuService,
  type InclusionProof as InclusionProofProto,
  type KVMetadataSchema,
  type Signature,
  type VerifiableTx,
} from "./gen/schema_pb.js";
import {
  decodeSqlColumnBytes,
  isSqlKeyType,
  makeSqlRow,
  SqlTimestamp,
  type SqlValue,
  type SqlWireValue,
  type VerifiedSqlRow,
  wireToKeyValue,
} from "./ops/sql.js";
import type { ProvenState, Snapshot, TrustManager } from "./trust.js";
import type { CallOptions, Entry } from "./types.js";
import {
  alh,
  bytesEqual,
  type Digest,
  type DualProof,
  decodeSqlRowValue,
  type EntrySpec,
  encodeSqlPrimaryKeyValue,
  entryDigest,
  htreeRoot,
  type KVMetadata,
  linearAdvanceProofRange,
  plainEntrySpec,
  referenceEntrySpec,
  type SqlPrimaryKeyValue,
  sha256,
  sqlRowKey,
  type TxHeader,
  verifyDualProof,
  verifyHtreeInclusion,
  zAddEntrySpec,
} from "./verify/index.js";

/** Calls a unary RPC in the client's session. */
export type UnaryCaller = <I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  input: MessageInitShape<I>,
  options: CallOptions | undefined,
) => Promise<MessageShape<O>>;

/** A key-value pair to write, with optional metadata. */
export interface KVToWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly metadata?: KVMetadata | undefined;
}

/** A transaction read with `verifiedTxById`: its proven header and entries. */
export interface VerifiedTx {
  /** The proven header. */
  readonly header: TxHeader;
  /** Every entry of the transaction, re-hashed against the header. */
  readonly entries: readonly VerifiedTxEntry[];
}

/** One entry of a verified transaction. */
export interface VerifiedTxEntry {
  /** The stored key, including immudb's one-byte prefix (0 = key-value, 1 = sorted set, 2 = SQL). */
  readonly storedKey: Uint8Array;
  /** The key without the prefix. */
  readonly key: Uint8Array;
  /** SHA-256 of the stored value. */
  readonly hValue: Digest;
  /** Length of the stored value. */
  readonly valueLength: number;
  /** Entry metadata, if any. */
  readonly metadata?: KVMetadata;
}

/** A key request of a streamed verified read. */
export interface StreamedKeyRequest {
  readonly key: Uint8Array;
  readonly atTx: bigint;
  readonly sinceTx: bigint;
  readonly atRevision: bigint;
  readonly noWait: boolean;
}

/** How a verified read gets its answer: the unary RPC or the stream; `metadataStripped` for the stream. */
type EntryFetch = (
  req: StreamedKeyRequest,
  proveSinceTx: bigint,
) => Promise<StreamedVerifiableEntry & { readonly metadataStripped: boolean }>;

/** The four messages of a `streamVerifiableGet` answer, decoded. */
export interface StreamedVerifiableEntry {
  /** `Entry{tx, key, referencedBy}`: the server strips the value and the metadata. */
  readonly entry: EntryProto;
  readonly verifiableTx: VerifiableTx;
  readonly inclusionProof: InclusionProofProto;
  /** The value (of the referenced key, for a reference). */
  readonly value: Uint8Array;
}

const EXCLUDE_ALL = {
  kvEntriesSpec: { action: EntryTypeAction.EXCLUDE },
  zEntriesSpec: { action: EntryTypeAction.EXCLUDE },
  sqlEntriesSpec: { action: EntryTypeAction.EXCLUDE },
};

/** Runs verified operations for one client. */
export class Verifier {
  readonly #call: UnaryCaller;
  readonly #trust: () => Promise<TrustManager>;

  constructor(call: UnaryCaller, trust: () => Promise<TrustManager>) {
    this.#call = call;
    this.#trust = trust;
  }

  /** Dual proof `lo → hi` fetched from the server and checked; used to reconcile concurrent results. */
  async proveConsistent(lo: ProvenState, hi: ProvenState, options?: CallOptions): Promise<void> {
    const res = await this.#call(
      ImmuService.method.verifiableTxById,
      { tx: hi.txId, proveSinceTx: lo.txId, entriesSpec: EXCLUDE_ALL },
      options,
    );
    await this.#verifyDual(dualProofFromProto(required(res.dualProof, "dual proof")), lo, hi, options);
  }

  /**
   * `verifyDualProof`, filling in a LinearAdvanceProof an older server did not send only when that is the one
   * thing missing: every other check (headers, Alhs, AHT proofs, linear proof) runs first, so a lying header
   * cannot make the client issue fill-in RPCs.
   */
  async #verifyDual(
    dp: DualProof,
    source: { txId: bigint; txHash: Digest },
    target: { txId: bigint; txHash: Digest },
    options: CallOptions | undefined,
  ): Promise<void> {
    try {
      verifyDualProof(dp, source.txId, target.txId, source.txHash, target.txHash);
      return;
    } catch (err) {
      const lapMissing =
        err instanceof VerificationError &&
        err.reason === "linear-advance-proof" &&
        linearAdvanceProofRange(dp, source.txId, target.txId) !== undefined;
      if (!lapMissing) throw err;
    }
    const filled = await this.#withLinearAdvance(dp, source.txId, target.txId, options);
    verifyDualProof(filled, source.txId, target.txId, source.txHash, target.txHash);
  }

  /** Fills a LinearAdvanceProof an older server (< 1.4.1) did not send (spec 3.8). Nothing fetched is trusted. */
  async #withLinearAdvance(
    dp: DualProof,
    sourceTxId: bigint,
    targetTxId: bigint,
    options: CallOptions | undefined,
  ): Promise<DualProof> {
    const range = linearAdvanceProofRange(dp, sourceTxId, targetTxId);
    if (!range) return dp;
    const inclusionProofs: Digest[][] = [];
    for (let tx = range.start + 1n; tx < range.end; tx++) {
      const r = await this.#call(
        ImmuService.method.verifiableTxById,
        { tx: targetTxId, proveSinceTx: tx, entriesSpec: EXCLUDE_ALL },
        options,
      );
      inclusionProofs.push([...dualProofFromProto(r.dualProof).inclusionProof]);
    }
    const r = await this.#call(
      ImmuService.method.verifiableTxById,
      { tx: range.end, proveSinceTx: range.start + 1n, entriesSpec: EXCLUDE_ALL },
      options,
    );
    const linear = dualProofFromProto(r.dualProof).linearProof;
    return { ...dp, linearAdvanceProof: { linearProofTerms: linear.terms, inclusionProofs } };
  }

  /** Checks the dual proof `source → target` unless the source is an empty database (nothing to prove from). */
  async #checkDual(
    dp: DualProof,
    source: { txId: bigint; txHash: Digest },
    target: { txId: bigint; txHash: Digest },
    options: CallOptions | undefined,
  ): Promise<void> {
    if (source.txId === 0n) return;
    await this.#verifyDual(dp, source, target, options);
  }

  /**
   * Verifies the answer to a write: the tx holds exactly the expected entries (re-hashed into a recomputed
   * `eH`), and it extends the trusted state. Returns the proven header.
   */
  async #verifyWrite(
    trust: TrustManager,
    snap: Snapshot,
    vtx: VerifiableTx,
    expected: readonly EntrySpec[],
    options: CallOptions | undefined,
  ): Promise<TxHeader> {
    const tx = required(vtx.tx, "transaction");
    const serverHeader = headerOf(tx.header, "transaction header");
    if (serverHeader.nEntries !== expected.length || tx.entries.length !== expected.length) {
      throw new VerificationError(
        "entry-count",
        `expected ${expected.length} entries, the server reported ${serverHeader.nEntries} and sent ${tx.entries.length}`,
      );
    }
    const specs = txEntrySpecsFromProto(tx.entries);
    const digests = specs.map((s) => entryDigest(serverHeader.version, s));
    const header: TxHeader = { ...serverHeader, eh: htreeRoot(digests) };
    const used = new Set<number>();
    for (const e of expected) {
      const i = specs.findIndex((s, j) => !used.has(j) && bytesEqual(s.key, e.key));
      const digest = i >= 0 ? digests[i] : undefined;
      if (digest === undefined || !bytesEqual(digest, entryDigest(header.version, e))) {
        throw new VerificationError(
          "entry-mismatch",
          "the transaction does not hold the entry that was written",
        );
      }
      used.add(i);
    }
    const dp = dualProofFromProto(vtx.dualProof);
    if (!bytesEqual(dp.targetTxHeader.eh, header.eh)) {
      throw new VerificationError(
        "eh-mismatch",
        "the dual proof's target header does not match the transaction",
      );
    }
    const target: ProvenState = {
      txId: header.id,
      txHash: alh(header),
      signature: signatureOf(vtx.signature),
      header,
    };
    if (snap.txId >= target.txId) {
      throw new VerificationError(
        "dual-proof",
        `new tx ${target.txId} is not after the trusted tx ${snap.txId}`,
      );
    }
    await this.#checkDual(dp, snap, target, options);
    trust.checkSignature({ ...target, signature: target.signature });
    await trust.commit(snap, target);
    return header;
  }

  /**
   * The skeleton of every verified write: take the trusted state, send the request built for it
   * (`proveSinceTx`), and verify the answer holds exactly the `expected` entries and extends that state.
   */
  async #write(
    send: (proveSinceTx: bigint) => Promise<{ vtx: VerifiableTx; expected: readonly EntrySpec[] }>,
    options: CallOptions | undefined,
  ): Promise<TxHeader> {
    const trust = await this.#trust();
    const snap = await trust.snapshot();
    const { vtx, expected } = await send(snap.txId);
    return this.#verifyWrite(trust, snap, vtx, expected, options);
  }

  /** `VerifiableSet` of one or more entries in one transaction. */
  set(
    kvs: readonly KVToWrite[],
    extra: {
      noWait: boolean;
      preconditions: MessageInitShape<typeof ImmuService.method.set.input>["preconditions"];
    },
    options: CallOptions | undefined,
  ): Promise<TxHeader> {
    const setRequest = {
      KVs: kvs.map((kv) => ({ key: kv.key, value: kv.value, metadata: kvMetadataToProto(kv.metadata) })),
      noWait: extra.noWait,
      preconditions: extra.preconditions ?? [],
    };
    const expected = kvs.map((kv) => plainEntrySpec(kv.key, kv.value, kv.metadata));
    return this.#write(
      async (proveSinceTx) => ({
        vtx: await this.#call(ImmuService.method.verifiableSet, { setRequest, proveSinceTx }, options),
        expected,
      }),
      options,
    );
  }

  /** `VerifiableSetReference` (bound when `atTx > 0`). */
  setReference(
    key: Uint8Array,
    referencedKey: Uint8Array,
    atTx: bigint,
    noWait: boolean,
    options: CallOptions | undefined,
  ): Promise<TxHeader> {
    const referenceRequest = { key, referencedKey, atTx, boundRef: atTx > 0n, noWait };
    return this.#write(
      async (proveSinceTx) => ({
        vtx: await this.#call(
          ImmuService.method.verifiableSetReference,
          { referenceRequest, proveSinceTx },
          options,
        ),
        expected: [referenceEntrySpec(key, referencedKey, atTx)],
      }),
      options,
    );
  }

  /** `VerifiableZAdd` (bound when `atTx > 0`: the Go SDK forgets `boundRef` here). */
  zAdd(
    set: Uint8Array,
    score: number,
    key: Uint8Array,
    atTx: bigint,
    noWait: boolean,
    options: CallOptions | undefined,
  ): Promise<TxHeader> {
    const zAddRequest = { set, score, key, atTx, boundRef: atTx > 0n, noWait };
    return this.#write(
      async (proveSinceTx) => ({
        vtx: await this.#call(ImmuService.method.verifiableZAdd, { zAddRequest, proveSinceTx }, options),
        expected: [zAddEntrySpec(set, score, key, atTx)],
      }),
      options,
    );
  }

  /**
   * `VerifiableGet`: proves the entry is in its transaction and that transaction is in the trusted history.
   * For a reference, proves the reference entry, then the referenced value with a second verified read; the
   * trusted state moves only once both are proven.
   */
  get(
    key: Uint8Array,
    req: { atTx: bigint; sinceTx: bigint; atRevision: bigint; noWait: boolean },
    options: CallOptions | undefined,
  ): Promise<Entry> {
    return this.#get({ key, ...req }, options, async (r, proveSinceTx) => {
      const res = await this.#call(
        ImmuService.method.verifiableGet,
        {
          keyRequest: {
            key: r.key,
            atTx: r.atTx,
            sinceTx: r.sinceTx,
            atRevision: r.atRevision,
            noWait: r.noWait,
          },
          proveSinceTx,
        },
        options,
      );
      return {
        entry: required(res.entry, "entry"),
        verifiableTx: required(res.verifiableTx, "verifiable tx"),
        inclusionProof: required(res.inclusionProof, "inclusion proof"),
        value: required(res.entry, "entry").value,
        metadataStripped: false,
      };
    });
  }

  /**
   * `streamVerifiableGet`: the same checks as {@link get}, on the four messages of the stream (`receive` runs
   * the stream). The stream drops the entry's metadata, which is hashed into the entry digest: when the entry
   * does not verify without it, its metadata is read from its transaction (`TxById`, digests only) and the
   * inclusion checked again with it — a wrong one cannot hash to the proven leaf.
   */
  streamGet(
    req: StreamedKeyRequest,
    receive: (req: StreamedKeyRequest, proveSinceTx: bigint) => Promise<StreamedVerifiableEntry>,
    options: CallOptions | undefined,
  ): Promise<Entry> {
    return this.#get(req, options, async (r, proveSinceTx) => ({
      ...(await receive(r, proveSinceTx)),
      metadataStripped: true,
    }));
  }

  async #get(req: StreamedKeyRequest, options: CallOptions | undefined, fetch: EntryFetch): Promise<Entry> {
    const trust = await this.#trust();
    const snap = await trust.snapshot();
    const first = await this.#proveEntry(trust, snap, req, fetch, options);
    const ref = first.entry.referencedBy;
    if (!ref) {
      await trust.commit(snap, first.proven);
      return first.entry;
    }
    // The resolved value is not covered by the reference's proof: prove it where it was written, from the state
    // the reference was proven to (not yet trusted), and accept nothing unless both check out.
    const resolved = await this.#proveEntry(
      trust,
      first.proven,
      { key: first.entry.key, atTx: first.entry.tx, sinceTx: 0n, atRevision: 0n, noWait: true },
      fetch,
      options,
    );
    if (
      resolved.entry.referencedBy ||
      !bytesEqual(resolved.entry.value, first.entry.value) ||
      resolved.entry.tx !== first.entry.tx
    ) {
      throw new VerificationError("entry-mismatch", "the referenced value differs from the proven one");
    }
    // `resolved.proven` is `first.proven` or a later tx proven from it.
    await trust.commit(snap, resolved.proven.txId > first.proven.txId ? resolved.proven : first.proven);
    return { ...resolved.entry, referencedBy: ref };
  }

  /** One verified read proven from `base` (entry inclusion, dual proof, signature); commits nothing. */
  async #proveEntry(
    trust: TrustManager,
    base: { txId: bigint; txHash: Digest },
    req: StreamedKeyRequest,
    fetch: EntryFetch,
    options: CallOptions | undefined,
  ): Promise<{ entry: Entry; proven: ProvenState }> {
    const res = await fetch(req, base.txId);
    const entryProto = res.entry;
    const vtx = res.verifiableTx;
    const dp = dualProofFromProto(vtx.dualProof);
    const ref = entryProto.referencedBy;
    let vTx: bigint;
    let spec: EntrySpec;
    if (ref) {
      vTx = ref.tx;
      if (!bytesEqual(ref.key, req.key)) {
        throw new VerificationError("entry-mismatch", "the server returned a reference for another key");
      }
      spec = referenceEntrySpec(req.key, entryProto.key, ref.atTx, kvMetadataFromProto(ref.metadata));
    } else {
      vTx = entryProto.tx;
      if (!bytesEqual(entryProto.key, req.key)) {
        throw new VerificationError("entry-mismatch", "the server returned an entry for another key");
      }
      spec = plainEntrySpec(req.key, res.value, kvMetadataFromProto(entryProto.metadata));
    }
    if (req.atTx !== 0n && vTx !== req.atTx) {
      throw new VerificationError("entry-mismatch", `asked for tx ${req.atTx}, the server proved tx ${vTx}`);
    }
    const { header, source, target } = direction(base, vTx, dp);
    const proof = inclusionProofFromProto(res.inclusionProof);
    let metadata = spec.metadata;
    try {
      verifyHtreeInclusion(proof, entryDigest(header.version, spec), header.eh);
    } catch (err) {
      // Only a streamed plain entry can have lost its metadata on the way.
      if (!res.metadataStripped || ref || !(err instanceof VerificationError) || header.version === 0)
        throw err;
      metadata = await this.#storedMetadata(vTx, spec.key, options);
      if (!metadata) throw err;
      verifyHtreeInclusion(proof, entryDigest(header.version, { ...spec, metadata }), header.eh);
    }
    // Other widths can reach the same root with the same terms; the proven header says how many entries there are.
    if (proof.width !== header.nEntries) {
      throw new VerificationError(
        "htree-inclusion",
        `the inclusion proof is for a tree of ${proof.width} entries, the tx has ${header.nEntries}`,
      );
    }
    await this.#checkDual(dp, source, target, options);
    const proven: ProvenState = {
      ...target,
      signature: signatureOf(vtx.signature),
      header: dp.targetTxHeader,
    };
    trust.checkSignature({ ...proven, signature: proven.signature });
    const entry = entryFromProto(entryProto);
    return {
      entry: { ...entry, value: res.value, ...(metadata && !entry.metadata ? { metadata } : {}) },
      proven,
    };
  }

  /** `VerifiableTxById`, plus a re-hash of every returned entry against the proven header. */
  async txById(txId: bigint, options: CallOptions | undefined): Promise<VerifiedTx> {
    const trust = await this.#trust();
    const snap = await trust.snapshot();
    const res = await this.#call(
      ImmuService.method.verifiableTxById,
      { tx: txId, proveSinceTx: snap.txId },
      options,
    );
    const dp = dualProofFromProto(res.dualProof);
    const { header, source, target } = direction(snap, txId, dp);
    const tx = required(res.tx, "transaction");
    const sent = headerOf(tx.header, "transaction header");
    if (!bytesEqual(alh(sent), alh(header))) {
      throw new VerificationError("header-mismatch", "the transaction header differs from the proven one");
    }
    if (tx.entries.length !== header.nEntries) {
      throw new VerificationError(
        "entry-count",
        `the header counts ${header.nEntries} entries, the server sent ${tx.entries.length}`,
      );
    }
    const specs = txEntrySpecsFromProto(tx.entries);
    if (!bytesEqual(htreeRoot(specs.map((s) => entryDigest(header.version, s))), header.eh)) {
      throw new VerificationError("eh-mismatch", "the entries do not hash to the proven header");
    }
    await this.#checkDual(dp, source, target, options);
    const proven: ProvenState = {
      ...target,
      signature: signatureOf(res.signature),
      header: dp.targetTxHeader,
    };
    trust.checkSignature({ ...proven, signature: proven.signature });
    await trust.commit(snap, proven);
    return {
      header,
      entries: specs.map((s, i) => ({
        storedKey: s.key,
        key: s.key.subarray(1),
        hValue: s.hValue,
        valueLength: tx.entries[i]?.vLen ?? 0,
        ...(s.metadata ? { metadata: s.metadata } : {}),
      })),
    };
  }

  /**
   * A streamed verified write (`streamVerifiableSet`, or `streamExecAll` followed by `VerifiableTxById` for
   * writes above the stream's 32 MiB cap; see `src/ops/stream.ts`). `send` writes the entries with
   * `proveSinceTx` = the trusted state and returns the server's answer together with the entry specs of what it
   * sent (values hashed while they were sent). The answer is then checked exactly like {@link set}: the tx holds
   * exactly those entries, it extends the trusted state (dual proof), signature, then trust commit.
   */
  streamSet(
    send: (proveSinceTx: bigint) => Promise<{ vtx: VerifiableTx; expected: readonly EntrySpec[] }>,
    options: CallOptions | undefined,
  ): Promise<TxHeader> {
    return this.#write(send, options);
  }

  /** The metadata of the entry stored under `storedKey` in tx `txId`, as the server reports it (not proven). */
  async #storedMetadata(
    txId: bigint,
    storedKey: Uint8Array,
    options: CallOptions | undefined,
  ): Promise<KVMetadata | undefined> {
    const tx = await this.#call(
      ImmuService.method.txById,
      {
        tx: txId,
        entriesSpec: { ...EXCLUDE_ALL, kvEntriesSpec: { action: EntryTypeAction.ONLY_DIGEST } },
      },
      options,
    );
    const e = tx.entries.find((x) => bytesEqual(x.key, storedKey));
    return e ? kvMetadataFromProto(e.metadata) : undefined;
  }

  /**
   * `VerifiableSQLGet` (spec 4.7): rebuilds the row key from the caller's primary-key values and the column
   * metadata the server reports, proves the row (its key and stored value, no metadata) is in its transaction
   * under the proven header's `eH`, proves that transaction against the trusted state (dual proof), checks the
   * signature, and only then moves the trusted state. Hardening over the Go SDK: the number of primary-key
   * columns must equal the number of values, the digest version is the proven header's, the decoded row must
   * hold the requested primary key, and with `atTx` the proven tx must be that one.
   *
   * @param pkValues - the wire values sent, in primary-key column order (see `toSqlPrimaryKey`).
   * @param req - `atTx`: the row version written by exactly this tx (0: the latest); `sinceTx` is sent as
   *   asked, though immudb 1.11 ignores it (see `VerifiedSqlGetOptions.sinceTx`).
   */
  async sqlGet(
    table: string,
    pkValues: readonly SqlWireValue[],
    req: { readonly atTx: bigint; readonly sinceTx: bigint },
    options: CallOptions | undefined,
  ): Promise<VerifiedSqlRow> {
    const { atTx, sinceTx } = req;
    const trust = await this.#trust();
    const snap = await trust.snapshot();
    const res = await this.#call(
      ImmuService.method.verifiableSQLGet,
      {
        sqlGetRequest: { table, pkValues: pkValues.map((value) => ({ value })), atTx, sinceTx },
        proveSinceTx: snap.txId,
      },
      options,
    );
    const sqlEntry = required(res.sqlEntry, "SQL entry");
    const vtx = required(res.verifiableTx, "verifiable tx");
    const dp = dualProofFromProto(vtx.dualProof);
    const vTx = sqlEntry.tx;
    if (atTx !== 0n && vTx !== atTx) {
      throw new VerificationError("entry-mismatch", `asked for tx ${atTx}, the server proved tx ${vTx}`);
    }

    // Primary key → row key, from the caller's values and the reported column types and lengths.
    if (res.PKIDs.length !== pkValues.length) {
      throw new VerificationError(
        "sql-row",
        `the table has ${res.PKIDs.length} primary-key columns, ${pkValues.length} values were given`,
      );
    }
    const column = (id: number) => {
      const type = res.ColTypesById[id];
      const maxLen = res.ColLenById[id];
      const name = res.ColNamesById[id] ?? `#${id}`;
      if (type === undefined || maxLen === undefined) {
        throw new VerificationError("sql-row", `the server sent no type or length for column ${name}`);
      }
      return { name, type, maxLen };
    };
    const encodedPk = res.PKIDs.map((id, i) => {
      const c = column(id);
      if (!isSqlKeyType(c.type)) {
        throw new VerificationError("sql-row", `primary-key column ${c.name} has type ${c.type}`);
      }
      const value = wireToKeyValue(pkValues[i] as SqlWireValue, c.type, c.name, i + 1);
      return encodeSqlPrimaryKeyValue(value, c.type, c.maxLen);
    });
    const rowKey = sqlRowKey(res.DatabaseId, res.TableId, encodedPk);

    // The stored row: columns the table no longer has (dropped, id <= MaxColId) are skipped.
    const stored = decodeSqlRowValue(sqlEntry.value);
    const byId = new Map<number, SqlValue>();
    for (const [id, bytes] of stored) {
      const type = res.ColTypesById[id];
      if (type === undefined) {
        if (id > res.MaxColId) {
          throw new VerificationError(
            "sql-row",
            `the row holds column ${id}, above the table's ${res.MaxColId}`,
          );
        }
        continue;
      }
      byId.set(id, decodeSqlColumnBytes(bytes, type, res.ColNamesById[id] ?? `#${id}`));
    }
    res.PKIDs.forEach((id, i) => {
      const c = column(id);
      const v = byId.get(id);
      const enc =
        v === undefined || v === null || !isSqlKeyType(c.type)
          ? undefined
          : encodeSqlPrimaryKeyValue(
              v instanceof SqlTimestamp ? v.micros : (v as SqlPrimaryKeyValue),
              c.type,
              c.maxLen,
            );
      if (enc === undefined || !bytesEqual(enc, encodedPk[i] as Uint8Array)) {
        throw new VerificationError("sql-row", `the row does not hold the requested value of ${c.name}`);
      }
    });

    const { header, source, target } = direction(snap, vTx, dp);
    verifyHtreeInclusion(
      inclusionProofFromProto(res.inclusionProof),
      entryDigest(header.version, { key: rowKey, hValue: sha256(sqlEntry.value) }),
      header.eh,
    );
    await this.#checkDual(dp, source, target, options);
    const proven: ProvenState = {
      ...target,
      signature: signatureOf(vtx.signature),
      header: dp.targetTxHeader,
    };
    trust.checkSignature({ ...proven, signature: proven.signature });
    await trust.commit(snap, proven);

    const ids = Object.keys(res.ColTypesById)
      .map(Number)
      .sort((a, b) => a - b);
    const columns = ids.map((id) => ({
      name: res.ColNamesById[id] ?? `#${id}`,
      type: res.ColTypesById[id] ?? "",
    }));
    return {
      tx: vTx,
      header,
      row: makeSqlRow(
        table,
        columns,
        ids.map((id) => byId.get(id) ?? null),
      ),
    };
  }
}

/**
 * Which header holds the proven tx, and which way the dual proof goes (spec 4.2 step 3): forward from the
 * trusted state to a newer tx, or backward from an older tx to the trusted state.
 */
function direction(
  snap: { readonly txId: bigint; readonly txHash: Digest },
  vTx: bigint,
  dp: DualProof,
): { header: TxHeader; source: ProvenState; target: ProvenState } {
  if (snap.txId <= vTx) {
    const t = dp.targetTxHeader;
    if (t.id !== vTx)
      throw new VerificationError("header-mismatch", `the proof targets tx ${t.id}, not ${vTx}`);
    return { header: t, source: snap, target: { txId: vTx, txHash: alh(t) } };
  }
  const s = dp.sourceTxHeader;
  if (s.id !== vTx)
    throw new VerificationError("header-mismatch", `the proof starts at tx ${s.id}, not ${vTx}`);
  return { header: s, source: { txId: vTx, txHash: alh(s) }, target: snap };
}

function signatureOf(sig: Signature | undefined): Uint8Array | undefined {
  return sig && sig.signature.length > 0 ? sig.signature : undefined;
}

/** Converts KV metadata to the request message; `undefined` when there is none. */
export function kvMetadataToProto(
  md: KVMetadata | undefined,
): MessageInitShape<typeof KVMetadataSchema> | undefined {
  if (!md) return undefined;
  return {
    deleted: md.deleted ?? false,
    nonIndexable: md.nonIndexable ?? false,
    ...(md.expiresAt !== undefined ? { expiration: { expiresAt: md.expiresAt } } : {}),
  };
}
