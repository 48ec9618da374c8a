/**
 * Tamper detection against real immudb servers, through the gRPC proxy of test/harness/grpc-proxy.ts.
 *
 * 1. Every field a verified operation depends on is altered in the server's answer, one class at a time. Each
 *    alteration must end in a VerificationError whose reason names the check that caught it, leave the trusted
 *    state byte for byte as it was, and (where an unverified counterpart exists) the same alteration must reach
 *    the caller of the unverified call, which shows the proxy really lied. Fields that a given proof shape does
 *    not use are listed as such (`verifies`, with the reason) instead of being left out.
 * 2. The LinearAdvanceProof fill-in (never needed against immudb 1.11.1) costs RPCs only when
 *    `linearAdvanceProofRange` asks for it.
 * 3. Fork detection: one client whose calls are spread over two servers that share a prefix and then diverge.
 *
 * The victim client trusts tx 12 of a 25-tx history written by a second, plain client, so that its dual proofs
 * use every part: for tx 24, AHT inclusion of 12 in the tree of 23, consistency 11 → 23, last inclusion of 23,
 * linear proof 23 → 24.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clone, create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryFromProto, txHeaderFromProto } from "../../src/convert/index.js";
import { dualProofFromProto } from "../../src/convert/proofs.js";
import {
  type DualProof as DualProofProto,
  type Entry as EntryProto,
  EntrySchema,
  ExpirationSchema,
  ImmuService,
  InclusionProofSchema,
  KVMetadataSchema,
  LinearAdvanceProofSchema,
  type Signature,
  SignatureSchema,
  TxEntrySchema,
  type TxHeader as TxHeaderProto,
  TxHeaderSchema,
  TxMetadataSchema,
  type Tx as TxProto,
  TxSchema,
} from "../../src/gen/schema_pb.js";
import {
  ImmudbClient,
  MemoryStateStore,
  ServerError,
  type StateStore,
  type TrustedState,
  VerificationError,
  type VerificationReason,
} from "../../src/index.js";
import { GrpcTransport } from "../../src/transport/grpc.js";
import { alh, bytesEqual, linearAdvanceProofRange, stateSigningBytes } from "../../src/verify/index.js";
import {
  type GrpcProxy,
  type ImmuMethodName,
  type ResponseHookContext,
  type ResponseOf,
  startGrpcProxy,
} from "../harness/grpc-proxy.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const DB = "defaultdb";
const utf8 = new TextEncoder();
const text = new TextDecoder();

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

/**
 * A state store whose content a test resets before each case, so that one client serves many cases and no case
 * sees the state another left behind. The client reads the trusted state from its store on every call.
 */
class ResettableStore implements StateStore {
  #inner = new MemoryStateStore();

  async reset(state: TrustedState | undefined): Promise<void> {
    this.#inner = new MemoryStateStore();
    if (state) await this.#inner.compareAndSet(undefined, state);
  }
  get(serverUuid: string, database: string): Promise<TrustedState | undefined> {
    return this.#inner.get(serverUuid, database);
  }
  compareAndSet(expected: TrustedState | undefined, next: TrustedState): Promise<boolean> {
    return this.#inner.compareAndSet(expected, next);
  }
  async pinServerIdentity(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A copy of `b` with byte `i` (default: one in the middle of a digest) inverted. */
function flip(b: Uint8Array, i = 7): Uint8Array {
  if (b.length === 0) throw new Error("flip: nothing to flip");
  const c = b.slice();
  const at = i % c.length;
  c[at] = (c[at] ?? 0) ^ 0xff;
  return c;
}

type Mutate<M extends ImmuMethodName> = (
  msg: ResponseOf<M>,
  ctx: ResponseHookContext<M>,
) => ResponseOf<M> | undefined;

/** An installed alteration: `altered` counts the answers it really changed (compared as encoded bytes). */
interface Alteration {
  readonly altered: number;
  /** True when there was nothing to alter in this answer (see {@link everyTerm}): the case does not count. */
  readonly skipped?: boolean;
  remove(): void;
}

/** Alters the first answer of `method` through `p` (later answers pass unchanged). */
function alterFirst<M extends ImmuMethodName>(p: GrpcProxy, method: M, mutate: Mutate<M>): Alteration {
  const schema = ImmuService.method[method].output as DescMessage;
  let seen = 0;
  let altered = 0;
  p.onResponse(method, (msg, ctx) => {
    if (seen++ > 0) return undefined;
    const before = toBinary(schema, msg as MessageShape<DescMessage>);
    const out = mutate(msg, ctx) ?? msg;
    if (!bytesEqual(before, toBinary(schema, out as MessageShape<DescMessage>))) altered++;
    return out;
  });
  return {
    get altered() {
      return altered;
    },
    remove: () => p.onResponse(method, undefined),
  };
}

/** Runs `fn` and returns what it threw (undefined if it did not). */
async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** `"verifies"` outcome: a field the proof shape does not use, and why. */
interface Unused {
  readonly verifies: string;
}

/** One tamper class. */
interface Case {
  /** The tamper class (the test name). */
  readonly name: string;
  /** Alters the server's answer. */
  readonly alter: (p: GrpcProxy) => Alteration;
  /** The verified call. */
  readonly run: (c: ImmudbClient) => Promise<unknown>;
  /** The reason of the expected VerificationError; or `Unused` for a field the proof does not depend on. */
  readonly expect: VerificationReason | Unused;
  /** The unverified counterpart, altered the same way: must hand the altered data to its caller. */
  readonly plain?: (c: ImmudbClient, p: GrpcProxy) => Promise<void>;
}

/** Where the cases run: a proxy, a victim client on it, its store and the state each case starts from. */
interface Bench {
  readonly proxy: GrpcProxy;
  readonly client: ImmudbClient;
  readonly store: ResettableStore;
  readonly trusted: TrustedState | undefined;
}

/** Outcomes, for the summary printed with TAMPER_REPORT=1. */
const report: { name: string; outcome: string }[] = [];

/** Runs one case from a fresh trusted state and checks its outcome. Returns the outcome for the report. */
async function runCase(b: Bench, k: Case): Promise<string> {
  await b.store.reset(b.trusted);
  const before = await b.client.trustedState();
  expect(before?.txId).toBe(b.trusted?.txId);
  const alteration = k.alter(b.proxy);
  let err: unknown;
  try {
    err = await failure(() => k.run(b.client));
  } finally {
    alteration.remove();
  }
  if (alteration.skipped) return "skipped";
  expect(alteration.altered, `${k.name}: the proxy changed the answer`).toBe(1);
  let outcome: string;
  if (typeof k.expect === "string") {
    expect(err, `${k.name}: ${String(err)}`).toBeInstanceOf(VerificationError);
    const reason = (err as VerificationError).reason;
    expect(reason, `${k.name}: ${String(err)}`).toBe(k.expect);
    const after = await b.client.trustedState();
    expect(after).toEqual(before);
    if (before) expect(bytesEqual(after!.txHash, before.txHash)).toBe(true);
    outcome = `VerificationError(${reason})`;
  } else {
    expect(err, `${k.name} (${k.expect.verifies})`).toBeUndefined();
    outcome = `verifies: ${k.expect.verifies}`;
  }
  if (k.plain) await k.plain(b.client, b.proxy);
  report.push({ name: k.name, outcome });
  return outcome;
}

/** Registers one test per case. */
function cases(bench: () => Bench, list: readonly Case[]): void {
  for (const k of list) {
    it(k.name, async () => {
      await runCase(bench(), k);
    });
  }
}

/**
 * One test that flips term k of a list, for every k the answer has, one case per k (`list` reads the list out
 * of the answer). A write's proof grows with the server's history, so the loop stops at the first k the
 * current answer no longer has; at least `min` terms must have been covered.
 */
function everyTerm(
  bench: () => Bench,
  name: string,
  alter: (p: GrpcProxy, mutate: (list: Uint8Array[]) => void) => Alteration,
  run: (c: ImmudbClient) => Promise<unknown>,
  reason: VerificationReason,
  min = 1,
): void {
  it(`${name}: every term, one byte flipped (k = 0..n-1, one case each)`, async () => {
    let covered = 0;
    for (let k = 0; ; k++) {
      let length = 0;
      const outcome = await runCase(bench(), {
        name: `${name}[${k}] flipped`,
        alter: (p) => {
          const a = alter(p, (list) => {
            length = list.length;
            if (k < list.length) list[k] = flip(list[k]!);
          });
          return {
            get altered() {
              return a.altered;
            },
            get skipped() {
              return k >= length; // this answer has no term k: the loop is done
            },
            remove: () => a.remove(),
          };
        },
        run,
        expect: reason,
      });
      if (outcome === "skipped") break;
      expect(outcome).toBe(`VerificationError(${reason})`);
      covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(min);
  });
}

/** Opens a raw session through a proxy, for unverified RPCs the client facade does not offer. */
async function rawSession(
  address: string,
): Promise<{ transport: GrpcTransport; metadata: Record<string, string>; close(): Promise<void> }> {
  const transport = new GrpcTransport({
    address,
    maxReceiveMessageBytes: 32 << 20,
    maxSendMessageBytes: 32 << 20,
  });
  const res = await transport.unary(ImmuService.method.openSession, {
    username: utf8.encode("immudb"),
    password: utf8.encode("immudb"),
    databaseName: DB,
  });
  const metadata = { sessionid: res.sessionID };
  return {
    transport,
    metadata,
    close: async () => {
      await transport.unary(ImmuService.method.closeSession, {}, { metadata }).catch(() => undefined);
      transport.close();
    },
  };
}

// Header fields, each altered alone.
const HEADER_FIELDS = {
  id: (h: TxHeaderProto) => {
    h.id += 1n;
  },
  prevAlh: (h: TxHeaderProto) => {
    h.prevAlh = flip(h.prevAlh);
  },
  ts: (h: TxHeaderProto) => {
    h.ts += 1n;
  },
  nentries: (h: TxHeaderProto) => {
    h.nentries += 1;
  },
  eH: (h: TxHeaderProto) => {
    h.eH = flip(h.eH);
  },
  blTxId: (h: TxHeaderProto) => {
    h.blTxId -= 1n;
  },
  blRoot: (h: TxHeaderProto) => {
    h.blRoot = flip(h.blRoot);
  },
  version: (h: TxHeaderProto) => {
    h.version = h.version === 1 ? 0 : 1;
  },
  metadata: (h: TxHeaderProto) => {
    h.metadata = create(TxMetadataSchema, { extra: utf8.encode("forged") });
  },
} as const;
type HeaderField = keyof typeof HEADER_FIELDS;
const HEADER_FIELD_NAMES = Object.keys(HEADER_FIELDS) as HeaderField[];

const farFuture = () => BigInt(Math.floor(Date.now() / 1000) + 365 * 86400);
const expiration = (expiresAt: bigint) =>
  create(KVMetadataSchema, { expiration: create(ExpirationSchema, { expiresAt }) });

// ---------------------------------------------------------------------------------------------------------------
// 1. Every field, one class at a time
// ---------------------------------------------------------------------------------------------------------------

describe("tampered answers, one class at a time (plain server)", () => {
  const TRUSTED = 12n;
  let server: ImmudbServer;
  let proxy: GrpcProxy;
  let writer: ImmudbClient;
  let victim: ImmudbClient;
  const store = new ResettableStore();
  let trusted: TrustedState;
  let bench: Bench;
  const b = () => bench;
  let seq = 0;
  const next = () => seq++;

  beforeAll(async () => {
    server = await startImmudb();
    proxy = await startGrpcProxy([{ port: server.port }]);
    // The history, written by a plain client straight to the server:
    writer = await ImmudbClient.connect(server.url);
    for (let i = 1; i <= 20; i++) await writer.set(`fill:${i}`, `f${i}`); // txs 1-20
    expect((await writer.set("ver", "old")).id).toBe(21n);
    expect((await writer.set("ver", "new")).id).toBe(22n);
    expect((await writer.set("target", "tv")).id).toBe(23n);
    const multi = await writer.verifiedSetAll(
      [0, 1, 2, 3, 4, 5].map((i) => ({
        key: `m${i}`,
        value: `mv${i}`,
        ...(i === 3 ? { expiresAt: farFuture() } : {}),
      })),
    );
    expect(multi.id).toBe(24n); // six entries: m2 is leaf 2 of 6, m5 the last leaf; m3 has metadata
    expect((await writer.verifiedSetReference("alias", "ver")).id).toBe(25n); // unbound: resolves to ver@22
    const serverUuid = (await writer.session()).serverUuid;
    const tx12 = await writer.verifiedTxById(TRUSTED);
    trusted = { serverUuid, database: DB, txId: TRUSTED, txHash: alh(tx12.header) };
    victim = await ImmudbClient.connect({ port: proxy.port, stateStore: store });
    bench = { proxy, client: victim, store, trusted };
  });

  afterAll(async () => {
    await victim?.close();
    await writer?.close();
    await proxy?.close();
    await server?.dispose();
  });

  it("honest answers verify from the trusted state (control)", async () => {
    await store.reset(trusted);
    expect(text.decode((await victim.verifiedGet("m2")).value)).toBe("mv2");
    await store.reset(trusted);
    expect(text.decode((await victim.verifiedGet("fill:5")).value)).toBe("f5");
    await store.reset(trusted);
    expect(text.decode((await victim.verifiedGet("alias")).value)).toBe("new");
    await store.reset(trusted);
    expect((await victim.verifiedTxById(24n)).entries).toHaveLength(6);
    await store.reset(trusted);
    expect((await victim.verifiedSet("control", "c")).id).toBeGreaterThan(25n);
  });

  // ----- VerifiableGet: the entry and its htree inclusion proof ---------------------------------------------

  describe("VerifiableGet: entry and inclusion proof", () => {
    /** Alters the entry of a VerifiableGet; `plain` also runs the unverified get with the same alteration. */
    function entry(
      name: string,
      key: string,
      mutate: (e: EntryProto) => void,
      expected: VerificationReason | Unused,
    ): Case {
      return {
        name,
        alter: (p) =>
          alterFirst(p, "verifiableGet", (m) => {
            mutate(m.entry!);
            return undefined;
          }),
        run: (c) => c.verifiedGet(key),
        expect: expected,
        plain: plainGet(key, mutate),
      };
    }
    function proof(
      name: string,
      key: string,
      mutate: (ip: { leaf: number; width: number; terms: Uint8Array[] }) => void,
      expected: VerificationReason | Unused,
    ): Case {
      return {
        name,
        alter: (p) =>
          alterFirst(p, "verifiableGet", (m) => {
            mutate(m.inclusionProof!);
            return undefined;
          }),
        run: (c) => c.verifiedGet(key),
        expect: expected,
      };
    }

    cases(b, [
      entry("entry.value: one byte flipped", "m2", (e) => (e.value = flip(e.value, 1)), "htree-inclusion"),
      entry("entry.key: another key", "m2", (e) => (e.key = utf8.encode("m1")), "entry-mismatch"),
      entry("entry.tx: a later tx (25)", "m2", (e) => (e.tx = 25n), "header-mismatch"),
      entry(
        "entry.tx: an earlier tx, before the trusted one (5)",
        "m2",
        (e) => (e.tx = 5n),
        "header-mismatch",
      ),
      entry(
        "entry.metadata: expiration added",
        "m2",
        (e) => (e.metadata = expiration(farFuture())),
        "htree-inclusion",
      ),
      entry(
        "entry.metadata: expiration changed (+1 s)",
        "m3",
        (e) => (e.metadata = expiration(e.metadata!.expiration!.expiresAt + 1n)),
        "htree-inclusion",
      ),
      entry("entry.metadata: expiration removed", "m3", (e) => (e.metadata = undefined), "htree-inclusion"),
      entry(
        "entry.metadata: nonIndexable added",
        "m2",
        (e) => (e.metadata = create(KVMetadataSchema, { nonIndexable: true })),
        "htree-inclusion",
      ),
      entry("entry.revision: altered", "m2", (e) => (e.revision += 5n), {
        verifies:
          "the revision is the index's count of versions, in no proof (spec 4.2 'not proven'; same in the Go SDK)",
      }),
      entry("entry.expired: set", "m2", (e) => (e.expired = true), {
        verifies: "`expired` is the server's clock-based flag, in no proof (spec 4.2 'not proven')",
      }),
      {
        name: "verifiableTx.tx (header and entries): altered",
        alter: (p) =>
          alterFirst(p, "verifiableGet", (m) => {
            const tx = m.verifiableTx!.tx!;
            tx.header!.ts += 1n;
            tx.entries[0]!.hValue = flip(tx.entries[0]!.hValue);
            return undefined;
          }),
        run: (c) => c.verifiedGet("m2"),
        expect: {
          verifies:
            "VerifiableGet's tx copy is not used: the entry is proven by the inclusion proof against the dual proof's header",
        },
      },
      proof(
        "inclusionProof.terms[0] flipped",
        "m2",
        (ip) => (ip.terms[0] = flip(ip.terms[0]!)),
        "htree-inclusion",
      ),
      proof(
        "inclusionProof.terms[1] flipped",
        "m2",
        (ip) => (ip.terms[1] = flip(ip.terms[1]!)),
        "htree-inclusion",
      ),
      proof(
        "inclusionProof.terms[2] flipped",
        "m2",
        (ip) => (ip.terms[2] = flip(ip.terms[2]!)),
        "htree-inclusion",
      ),
      proof(
        "inclusionProof.terms[0] flipped (last leaf)",
        "m5",
        (ip) => (ip.terms[0] = flip(ip.terms[0]!)),
        "htree-inclusion",
      ),
      proof(
        "inclusionProof.terms[1] flipped (last leaf)",
        "m5",
        (ip) => (ip.terms[1] = flip(ip.terms[1]!)),
        "htree-inclusion",
      ),
      proof("inclusionProof: last term dropped", "m2", (ip) => void ip.terms.pop(), "htree-inclusion"),
      proof("inclusionProof: first term dropped", "m2", (ip) => void ip.terms.shift(), "htree-inclusion"),
      proof(
        "inclusionProof: a term added",
        "m2",
        (ip) => void ip.terms.push(flip(ip.terms[0]!)),
        "htree-inclusion",
      ),
      proof("inclusionProof.leaf: 2 → 3", "m2", (ip) => (ip.leaf = 3), "htree-inclusion"),
      proof("inclusionProof.leaf: 2 → 0", "m2", (ip) => (ip.leaf = 0), "htree-inclusion"),
      proof(
        "inclusionProof.leaf: out of range (= width)",
        "m2",
        (ip) => (ip.leaf = ip.width),
        "malformed-proof",
      ),
      proof("inclusionProof.leaf: negative", "m2", (ip) => (ip.leaf = -1), "malformed-proof"),
      proof("inclusionProof.width: 6 → 4", "m2", (ip) => (ip.width = 4), "htree-inclusion"),
      proof("inclusionProof.width: 6 → 7 (last leaf)", "m5", (ip) => (ip.width = 7), "htree-inclusion"),
      proof("inclusionProof.width: 0", "m2", (ip) => (ip.width = 0), "malformed-proof"),
      // For leaf 2 the trees of width 5-8 have the same audit-path shape, so the terms alone would verify; the
      // proof's width must also be the proven header's entry count.
      proof("inclusionProof.width: 6 → 5 (leaf 2)", "m2", (ip) => (ip.width = 5), "htree-inclusion"),
      proof("inclusionProof.width: 6 → 8 (leaf 2)", "m2", (ip) => (ip.width = 8), "htree-inclusion"),
      {
        name: "inclusionProof: absent",
        alter: (p) =>
          alterFirst(p, "verifiableGet", (m) => {
            m.inclusionProof = undefined;
            return undefined;
          }),
        run: (c) => c.verifiedGet("m2"),
        expect: "malformed-proof",
      },
    ]);

    describe("a reference (alias → ver, resolved to ver@22)", () => {
      cases(b, [
        entry(
          "referencedBy.atTx: 0 → 21 (claims a bound reference)",
          "alias",
          (e) => (e.referencedBy!.atTx = 21n),
          "htree-inclusion",
        ),
        entry(
          "referencedBy.key: another reference key",
          "alias",
          (e) => (e.referencedBy!.key = utf8.encode("alibi")),
          "entry-mismatch",
        ),
        entry(
          "referencedBy.tx: another tx (24)",
          "alias",
          (e) => (e.referencedBy!.tx = 24n),
          "header-mismatch",
        ),
        entry(
          "referencedBy.metadata: expiration added",
          "alias",
          (e) => (e.referencedBy!.metadata = expiration(farFuture())),
          "htree-inclusion",
        ),
        entry("referencedBy.revision: altered", "alias", (e) => (e.referencedBy!.revision += 3n), {
          verifies: "like entry.revision: an index count, in no proof",
        }),
        entry(
          "entry.key (the referenced key): another key",
          "alias",
          (e) => (e.key = utf8.encode("target")),
          "htree-inclusion",
        ),
        entry(
          "resolved entry.value: altered (the reference's proof does not cover it)",
          "alias",
          (e) => (e.value = utf8.encode("forged")),
          "entry-mismatch",
        ),
        entry(
          "resolved entry.tx: an older version's tx (21), value unchanged",
          "alias",
          (e) => (e.tx = 21n),
          "entry-mismatch",
        ),
      ]);
    });
  });

  // ----- dual proofs ----------------------------------------------------------------------------------------

  /** A verified call whose answer carries a dual proof, and where that proof sits in the answer. */
  interface Shape {
    readonly name: string;
    readonly run: (c: ImmudbClient) => Promise<unknown>;
    readonly alter: (p: GrpcProxy, mutate: (dp: DualProofProto) => void) => Alteration;
    /** Expected reason per header field, for the source and the target header. */
    readonly source: Record<HeaderField, VerificationReason>;
    readonly target: Record<HeaderField, VerificationReason>;
    /** Why an added LinearAdvanceProof is not looked at. */
    readonly lapUnused: string;
  }

  const allHeader = (r: VerificationReason, over: Partial<Record<HeaderField, VerificationReason>> = {}) =>
    Object.fromEntries(HEADER_FIELD_NAMES.map((f) => [f, over[f] ?? r])) as Record<
      HeaderField,
      VerificationReason
    >;

  const shapes: Shape[] = [
    {
      name: "VerifiableGet 12 → 24 (forward: the entry's tx is the target)",
      run: (c) => c.verifiedGet("m2"),
      alter: (p, mutate) =>
        alterFirst(p, "verifiableGet", (m) => {
          mutate(m.verifiableTx!.dualProof!);
          return undefined;
        }),
      // the source is the trusted state: any change breaks its Alh
      source: allHeader("alh-mismatch", { id: "header-mismatch" }),
      // the target's Alh is derived from its header: a change is caught by the check that uses the field
      target: allHeader("linear-proof", {
        id: "header-mismatch",
        eH: "htree-inclusion",
        version: "htree-inclusion", // the entry digest is chosen by the header's version
        nentries: "htree-inclusion", // the inclusion proof's width must be the header's entry count
        // 23 → 22: the AHT checks still pass with the same terms (inclusion and consistency only follow the
        // left/right pattern of the path, which trees of 22 and 23 leaves share here; last inclusion does not
        // read the size), but the linear proof must start at blTxId and does not
        blTxId: "linear-proof",
        blRoot: "aht-inclusion",
      }),
      lapUnused:
        "the range (S.blTxId, min(S.id, T.blTxId)) = (11, 12) holds no tx: verifyLinearAdvanceProof returns before reading it",
    },
    {
      name: "VerifiableGet 5 ← 12 (backward: the entry's tx is the source)",
      run: (c) => c.verifiedGet("fill:5"),
      alter: (p, mutate) =>
        alterFirst(p, "verifiableGet", (m) => {
          mutate(m.verifiableTx!.dualProof!);
          return undefined;
        }),
      // the source's Alh is derived from its header: it no longer is the leaf the AHT holds
      source: allHeader("aht-inclusion", {
        id: "header-mismatch",
        eH: "htree-inclusion",
        version: "htree-inclusion",
        nentries: "htree-inclusion", // the inclusion proof's width must be the header's entry count
      }),
      // the target is the trusted state
      target: allHeader("alh-mismatch", { id: "header-mismatch" }),
      lapUnused: "the range (4, min(5, 11)) = (4, 5) holds no tx",
    },
    {
      name: "VerifiableSet 12 → new tx",
      run: (c) => c.verifiedSet(`dp:${next()}`, "v"),
      alter: (p, mutate) =>
        alterFirst(p, "verifiableSet", (m) => {
          mutate(m.dualProof!);
          return undefined;
        }),
      source: allHeader("alh-mismatch", { id: "header-mismatch" }),
      // the target's Alh comes from the returned tx (eH recomputed from its entries)
      target: allHeader("alh-mismatch", { id: "header-mismatch", eH: "eh-mismatch" }),
      lapUnused: "the range (11, 12) holds no tx",
    },
    {
      name: "VerifiableTxById 12 → 24",
      run: (c) => c.verifiedTxById(24n),
      alter: (p, mutate) =>
        alterFirst(p, "verifiableTxById", (m) => {
          mutate(m.dualProof!);
          return undefined;
        }),
      source: allHeader("alh-mismatch", { id: "header-mismatch" }),
      // the returned tx header must hash like the proven one
      target: allHeader("header-mismatch"),
      lapUnused: "the range (11, 12) holds no tx",
    },
  ];

  for (const shape of shapes) {
    describe(`dual proof of ${shape.name}`, () => {
      const dpCase = (
        name: string,
        mutate: (dp: DualProofProto) => void,
        expected: VerificationReason | Unused,
      ): Case => ({
        name,
        alter: (p) => shape.alter(p, mutate),
        run: shape.run,
        expect: expected,
      });
      cases(b, [
        ...HEADER_FIELD_NAMES.map((f) =>
          dpCase(
            `sourceTxHeader.${f} altered`,
            (dp) => HEADER_FIELDS[f](dp.sourceTxHeader!),
            shape.source[f],
          ),
        ),
        ...HEADER_FIELD_NAMES.map((f) =>
          dpCase(
            `targetTxHeader.${f} altered`,
            (dp) => HEADER_FIELDS[f](dp.targetTxHeader!),
            shape.target[f],
          ),
        ),
        dpCase(
          "sourceTxHeader.version: unknown (2)",
          (dp) => (dp.sourceTxHeader!.version = 2),
          "unsupported-header-version",
        ),
        dpCase("sourceTxHeader: absent", (dp) => (dp.sourceTxHeader = undefined), "malformed-proof"),
        dpCase("targetTxHeader: absent", (dp) => (dp.targetTxHeader = undefined), "malformed-proof"),
        dpCase("inclusionProof: last term dropped", (dp) => void dp.inclusionProof.pop(), "aht-inclusion"),
        dpCase(
          "inclusionProof: a term added",
          (dp) => void dp.inclusionProof.push(flip(dp.inclusionProof[0]!)),
          "aht-inclusion",
        ),
        dpCase("inclusionProof: emptied", (dp) => (dp.inclusionProof = []), "aht-inclusion"),
        dpCase(
          "consistencyProof: last term dropped",
          (dp) => void dp.consistencyProof.pop(),
          "aht-consistency",
        ),
        dpCase(
          "consistencyProof: a term added",
          (dp) => void dp.consistencyProof.push(flip(dp.consistencyProof[0]!)),
          "aht-consistency",
        ),
        dpCase(
          "lastInclusionProof: last term dropped",
          (dp) => void dp.lastInclusionProof.pop(),
          "aht-last-inclusion",
        ),
        dpCase(
          "lastInclusionProof: a term added",
          (dp) => void dp.lastInclusionProof.push(flip(dp.lastInclusionProof[0]!)),
          "aht-last-inclusion",
        ),
        dpCase(
          "linearProof.terms: last term dropped",
          (dp) => void dp.linearProof!.terms.pop(),
          "linear-proof",
        ),
        dpCase(
          "linearProof.terms: a term added",
          (dp) => void dp.linearProof!.terms.push(flip(dp.linearProof!.terms[0]!)),
          "linear-proof",
        ),
        dpCase("linearProof.sourceTxId altered", (dp) => (dp.linearProof!.sourceTxId -= 1n), "linear-proof"),
        dpCase("linearProof.TargetTxId altered", (dp) => (dp.linearProof!.TargetTxId += 1n), "linear-proof"),
        dpCase("linearProof: absent", (dp) => (dp.linearProof = undefined), "malformed-proof"),
        dpCase(
          "targetBlTxAlh flipped",
          (dp) => (dp.targetBlTxAlh = flip(dp.targetBlTxAlh)),
          "aht-last-inclusion",
        ),
        dpCase(
          "LinearAdvanceProof: a bogus one added",
          (dp) =>
            (dp.LinearAdvanceProof = create(LinearAdvanceProofSchema, {
              linearProofTerms: [flip(dp.targetBlTxAlh)],
              inclusionProofs: [create(InclusionProofSchema, { terms: [flip(dp.targetBlTxAlh)] })],
            })),
          { verifies: shape.lapUnused },
        ),
      ]);
      everyTerm(
        b,
        "inclusionProof",
        (p, m) => shape.alter(p, (dp) => m(dp.inclusionProof)),
        shape.run,
        "aht-inclusion",
        2,
      );
      everyTerm(
        b,
        "consistencyProof",
        (p, m) => shape.alter(p, (dp) => m(dp.consistencyProof)),
        shape.run,
        "aht-consistency",
        2,
      );
      everyTerm(
        b,
        "lastInclusionProof",
        (p, m) => shape.alter(p, (dp) => m(dp.lastInclusionProof)),
        shape.run,
        "aht-last-inclusion",
        1, // a write's tree grows: at some sizes the last leaf has a single sibling
      );
      everyTerm(
        b,
        "linearProof.terms",
        (p, m) => shape.alter(p, (dp) => m(dp.linearProof!.terms)),
        shape.run,
        "linear-proof",
        2,
      );
    });
  }

  describe("a proof shape that does not use every part: VerifiableTxById 12 → 13 (adjacent)", () => {
    // T.blTxId = 12 is the source itself: spec 3.7 step 4 (AHT inclusion of the source in the target's tree)
    // does not apply, the linear proof 12 → 13 chains the two instead. The server sends no inclusionProof.
    const run = (c: ImmudbClient) => c.verifiedTxById(13n);
    cases(b, [
      {
        name: "inclusionProof: a term added to the empty list",
        alter: (p) =>
          alterFirst(p, "verifiableTxById", (m) => {
            expect(m.dualProof!.inclusionProof).toHaveLength(0);
            m.dualProof!.inclusionProof.push(new Uint8Array(32).fill(7));
            return undefined;
          }),
        run,
        expect: {
          verifies: "sourceTxId 12 is not below T.blTxId 12: no AHT inclusion of the source to check",
        },
      },
      {
        name: "linearProof.terms[0] flipped (the part used instead)",
        alter: (p) =>
          alterFirst(p, "verifiableTxById", (m) => {
            const terms = m.dualProof!.linearProof!.terms;
            terms[0] = flip(terms[0]!);
            return undefined;
          }),
        run,
        expect: "linear-proof",
      },
    ]);
  });

  // ----- answers to writes ----------------------------------------------------------------------------------

  /** A verified write, and how many entries its tx holds. */
  interface Write {
    readonly name: string;
    readonly method: "verifiableSet" | "verifiableSetReference" | "verifiableZAdd";
    readonly run: (c: ImmudbClient) => Promise<unknown>;
    readonly entries: number;
  }
  const writes: Write[] = [
    {
      name: "VerifiableSet",
      method: "verifiableSet",
      run: (c) => c.verifiedSet(`w:${next()}`, "v"),
      entries: 1,
    },
    {
      name: "VerifiableSet of 3 entries (verifiedSetAll)",
      method: "verifiableSet",
      run: (c) => {
        const n = next();
        return c.verifiedSetAll([0, 1, 2].map((i) => ({ key: `wa:${n}:${i}`, value: `v${i}` })));
      },
      entries: 3,
    },
    {
      name: "VerifiableSetReference",
      method: "verifiableSetReference",
      run: (c) => c.verifiedSetReference(`r:${next()}`, "target"),
      entries: 1,
    },
    {
      name: "VerifiableZAdd",
      method: "verifiableZAdd",
      run: (c) => c.verifiedZAdd("board", next(), "target"),
      entries: 1,
    },
  ];

  /** The unverified Set with the same header alteration: returns the altered header. */
  function plainSet(mutate: (h: TxHeaderProto) => void): (c: ImmudbClient, p: GrpcProxy) => Promise<void> {
    return async (c, p) => {
      let original: TxHeaderProto | undefined;
      let altered: TxHeaderProto | undefined;
      p.onResponse("set", (msg) => {
        original = clone(TxHeaderSchema, msg);
        mutate(msg);
        altered = clone(TxHeaderSchema, msg);
        return undefined;
      });
      try {
        const got = await c.set(`plain:${next()}`, "p");
        expect(got).toEqual(txHeaderFromProto(altered!));
        expect(got).not.toEqual(txHeaderFromProto(original!));
      } finally {
        p.onResponse("set", undefined);
      }
    };
  }

  for (const w of writes) {
    describe(`answer to ${w.name}: the returned tx`, () => {
      const txCase = (
        name: string,
        mutate: (tx: TxProto, dp: DualProofProto) => void,
        expected: VerificationReason | Unused,
        plain?: (c: ImmudbClient, p: GrpcProxy) => Promise<void>,
      ): Case => ({
        name,
        alter: (p) =>
          alterFirst(p, w.method, (m) => {
            mutate(m.tx!, m.dualProof!);
            return undefined;
          }),
        run: w.run,
        expect: expected,
        ...(plain ? { plain } : {}),
      });
      const list: Case[] = [
        txCase(
          "entries[0].key flipped",
          (tx) => (tx.entries[0]!.key = flip(tx.entries[0]!.key, 3)),
          "entry-mismatch",
        ),
        txCase(
          "entries[0].hValue flipped",
          (tx) => (tx.entries[0]!.hValue = flip(tx.entries[0]!.hValue)),
          "entry-mismatch",
        ),
        txCase(
          "entries[0].metadata: expiration added",
          (tx) => (tx.entries[0]!.metadata = expiration(farFuture())),
          "entry-mismatch",
        ),
        txCase(
          "entries[0].metadata: deleted added",
          (tx) => (tx.entries[0]!.metadata = create(KVMetadataSchema, { deleted: true })),
          "entry-mismatch",
        ),
        txCase("an entry dropped", (tx) => void tx.entries.pop(), "entry-count"),
        txCase(
          "an entry added",
          (tx) =>
            void tx.entries.push(create(TxEntrySchema, { ...tx.entries[0]!, key: utf8.encode("\0extra") })),
          "entry-count",
        ),
        txCase(
          "an entry added, nentries + 1",
          (tx) => {
            tx.entries.push(create(TxEntrySchema, { ...tx.entries[0]!, key: utf8.encode("\0extra") }));
            tx.header!.nentries += 1;
          },
          "entry-count",
        ),
        txCase("entries[0].vLen altered", (tx) => (tx.entries[0]!.vLen += 1), {
          verifies: "vLen is not hashed anywhere (spec 3.10); a write returns only the header",
        }),
        ...HEADER_FIELD_NAMES.map((f) =>
          txCase(
            `tx.header.${f} altered`,
            (tx) => HEADER_FIELDS[f](tx.header!),
            f === "eH"
              ? {
                  verifies:
                    "the client recomputes eH from the returned entries (TxFromProto) and ignores the sent one",
                }
              : f === "nentries"
                ? "entry-count"
                : f === "id"
                  ? "header-mismatch"
                  : f === "version"
                    ? "eh-mismatch"
                    : "alh-mismatch",
            w.name === "VerifiableSet" ? plainSet(HEADER_FIELDS[f]) : undefined,
          ),
        ),
        // the best lie: the returned tx and the dual proof's target header altered alike
        ...HEADER_FIELD_NAMES.filter((f) => f !== "nentries" && f !== "eH").map((f) =>
          txCase(
            `tx.header.${f} and dualProof.targetTxHeader.${f} altered alike`,
            (tx, dp) => {
              HEADER_FIELDS[f](tx.header!);
              HEADER_FIELDS[f](dp.targetTxHeader!);
            },
            f === "version" ? "eh-mismatch" : f === "blRoot" ? "aht-inclusion" : "linear-proof",
          ),
        ),
      ];
      if (w.entries > 1) {
        list.push(
          txCase("entries reordered", (tx) => void tx.entries.reverse(), "eh-mismatch"),
          txCase(
            "an entry dropped, nentries - 1",
            (tx) => {
              tx.entries.pop();
              tx.header!.nentries -= 1;
            },
            "entry-count",
          ),
          txCase(
            "entries[2].hValue flipped",
            (tx) => (tx.entries[2]!.hValue = flip(tx.entries[2]!.hValue)),
            "entry-mismatch",
          ),
        );
      }
      cases(b, list);
    });
  }

  // ----- answer to VerifiableTxById: the returned tx --------------------------------------------------------

  describe("answer to VerifiableTxById(24): the returned tx", () => {
    /** The unverified TxById through the same proxy, altered alike: returns the altered tx. */
    function plainTxById(mutate: (tx: TxProto) => void): (c: ImmudbClient, p: GrpcProxy) => Promise<void> {
      return async (_c, p) => {
        const raw = await rawSession(p.address);
        let altered: TxProto | undefined;
        p.onResponse("txById", (msg) => {
          mutate(msg);
          altered = clone(TxSchema, msg);
          return undefined;
        });
        try {
          const got = await raw.transport.unary(
            ImmuService.method.txById,
            { tx: 24n },
            { metadata: raw.metadata },
          );
          expect(toBinary(TxSchema, got)).toEqual(toBinary(TxSchema, altered!));
        } finally {
          p.onResponse("txById", undefined);
          await raw.close();
        }
      };
    }
    /** Alters the returned tx (and, for a consistent lie, the dual proof); `plain`: TxById altered alike. */
    const txCase = (
      name: string,
      mutate: (tx: TxProto) => void,
      expected: VerificationReason | Unused,
      plain = false,
      mutateProof?: (dp: DualProofProto) => void,
    ): Case => ({
      name,
      alter: (p) =>
        alterFirst(p, "verifiableTxById", (m) => {
          mutate(m.tx!);
          mutateProof?.(m.dualProof!);
          return undefined;
        }),
      run: (c) => c.verifiedTxById(24n),
      expect: expected,
      ...(plain ? { plain: plainTxById(mutate) } : {}),
    });
    cases(b, [
      ...HEADER_FIELD_NAMES.map((f) =>
        txCase(`tx.header.${f} altered`, (tx) => HEADER_FIELDS[f](tx.header!), "header-mismatch", true),
      ),
      ...HEADER_FIELD_NAMES.map((f) =>
        txCase(
          `tx.header.${f} and dualProof.targetTxHeader.${f} altered alike`,
          (tx) => HEADER_FIELDS[f](tx.header!),
          f === "id"
            ? "header-mismatch"
            : f === "nentries"
              ? "entry-count"
              : f === "eH"
                ? "eh-mismatch"
                : f === "version"
                  ? "malformed-proof" // entry m3 has KV metadata, which a version-0 entry digest cannot hold
                  : f === "blRoot"
                    ? "aht-inclusion"
                    : "linear-proof",
          false,
          (dp) => HEADER_FIELDS[f](dp.targetTxHeader!),
        ),
      ),
      ...[0, 1, 2, 3, 4, 5].map((k) =>
        txCase(
          `entries[${k}].hValue flipped`,
          (tx) => (tx.entries[k]!.hValue = flip(tx.entries[k]!.hValue)),
          "eh-mismatch",
          k === 0,
        ),
      ),
      ...[0, 5].map((k) =>
        txCase(
          `entries[${k}].key flipped`,
          (tx) => (tx.entries[k]!.key = flip(tx.entries[k]!.key, 1)),
          "eh-mismatch",
          k === 0,
        ),
      ),
      txCase(
        "entries[0].metadata: expiration added",
        (tx) => (tx.entries[0]!.metadata = expiration(farFuture())),
        "eh-mismatch",
        true,
      ),
      txCase(
        "entries[3].metadata: expiration removed",
        (tx) => (tx.entries[3]!.metadata = undefined),
        "eh-mismatch",
      ),
      txCase("an entry dropped", (tx) => void tx.entries.pop(), "entry-count", true),
      txCase(
        "an entry added",
        (tx) => void tx.entries.push(clone(TxEntrySchema, tx.entries[0]!)),
        "entry-count",
      ),
      txCase("entries reordered", (tx) => void tx.entries.reverse(), "eh-mismatch"),
      txCase("entries[0].vLen altered", (tx) => (tx.entries[0]!.vLen += 1), {
        verifies:
          "vLen is not hashed (spec 3.10), so no proof covers it; the client passes it on as VerifiedTxEntry.valueLength",
      }),
    ]);
  });

  // ----- answers about another tx than asked ----------------------------------------------------------------

  describe("genuine answers, but for another tx or key than asked", () => {
    /** The genuine answer of `method` to `run`, from the trusted state. */
    async function capture<M extends ImmuMethodName>(
      method: M,
      run: (c: ImmudbClient) => Promise<unknown>,
    ): Promise<ResponseOf<M>> {
      await store.reset(trusted);
      const schema = ImmuService.method[method].output as DescMessage;
      let got: ResponseOf<M> | undefined;
      proxy.onResponse(method, (msg) => {
        got ??= clone(schema, msg as MessageShape<DescMessage>) as ResponseOf<M>;
        return undefined;
      });
      try {
        await run(victim);
      } finally {
        proxy.onResponse(method, undefined);
      }
      return got!;
    }
    const swap =
      <M extends ImmuMethodName>(method: M, answer: () => ResponseOf<M>) =>
      (p: GrpcProxy) =>
        alterFirst(
          p,
          method,
          () =>
            clone(
              ImmuService.method[method].output as DescMessage,
              answer() as MessageShape<DescMessage>,
            ) as ResponseOf<M>,
        );

    it("VerifiableTxById(20) answered with the proof of tx 19", async () => {
      const tx19 = await capture("verifiableTxById", (c) => c.verifiedTxById(19n));
      await runCase(bench, {
        name: "VerifiableTxById(20) answered with the proof of tx 19",
        alter: swap("verifiableTxById", () => tx19),
        run: (c) => c.verifiedTxById(20n),
        expect: "header-mismatch",
      });
    });

    it("VerifiableGet(ver, atTx 21) answered with the proof of ver@22", async () => {
      const at22 = await capture("verifiableGet", (c) => c.verifiedGet("ver", { atTx: 22n }));
      await runCase(bench, {
        name: "VerifiableGet(ver, atTx 21) answered with the proof of ver@22",
        alter: swap("verifiableGet", () => at22),
        run: (c) => c.verifiedGet("ver", { atTx: 21n }),
        expect: "entry-mismatch",
      });
    });

    it("VerifiableGet(m2) answered with the proof of m1 (same tx)", async () => {
      const m1 = await capture("verifiableGet", (c) => c.verifiedGet("m1"));
      await runCase(bench, {
        name: "VerifiableGet(m2) answered with the proof of m1 (same tx)",
        alter: swap("verifiableGet", () => m1),
        run: (c) => c.verifiedGet("m2"),
        expect: "entry-mismatch",
      });
    });

    it("VerifiableSet(k, v) answered with the proof of an earlier write of another key", async () => {
      const other = await capture("verifiableSet", (c) => c.verifiedSet("swap:other", "v"));
      await runCase(bench, {
        name: "VerifiableSet(k, v) answered with the proof of an earlier write of another key",
        alter: swap("verifiableSet", () => other),
        run: (c) => c.verifiedSet("swap:mine", "v"),
        expect: "entry-mismatch",
      });
    });

    it("VerifiableSet answered with a replay of the proof of an earlier identical write (limitation)", async () => {
      const first = await capture("verifiableSet", (c) => c.verifiedSet("replay", "same"));
      const outcome = await runCase(bench, {
        name: "VerifiableSet answered with a replay of the proof of an earlier identical write",
        alter: swap("verifiableSet", () => first),
        run: (c) => c.verifiedSet("replay", "same"),
        expect: {
          verifies:
            "the replayed tx does hold exactly this entry and extends the trusted state; immudb answers carry nothing that binds them to one request (the Go SDK accepts it too)",
        },
      });
      expect(outcome).toMatch(/^verifies/);
    });

    it("VerifiableGet(ver) (latest) answered with the proof of the older version (limitation)", async () => {
      const old = await capture("verifiableGet", (c) => c.verifiedGet("ver", { atTx: 21n }));
      let got: string | undefined;
      await runCase(bench, {
        name: "VerifiableGet(ver) (latest) answered with the proof of the older version ver@21",
        alter: swap("verifiableGet", () => old),
        run: async (c) => {
          got = text.decode((await c.verifiedGet("ver")).value);
        },
        expect: {
          verifies:
            "immudb has no proof that a value is the latest: a stale but genuine version verifies (sinceTx only makes the server wait)",
        },
      });
      expect(got).toBe("old");
    });
  });

  // ----- first contact ---------------------------------------------------------------------------------------

  describe("first contact (no trusted state yet, unsigned server)", () => {
    const first = (
      name: string,
      mutate: (st: ResponseOf<"currentState">) => void,
      reason: VerificationReason,
    ): Case => ({
      name,
      alter: (p) =>
        alterFirst(p, "currentState", (m) => {
          mutate(m);
          return undefined;
        }),
      run: (c) => c.verifiedGet("m2"),
      expect: reason,
    });
    const firstBench = () => ({ ...bench, trusted: undefined });
    cases(firstBench, [
      first(
        "CurrentState.txHash flipped (the state trusted on first use)",
        (st) => (st.txHash = flip(st.txHash)),
        "alh-mismatch",
      ),
      first(
        "CurrentState.txId lowered (20, with the hash of the real head)",
        (st) => (st.txId = 20n),
        "alh-mismatch",
      ),
    ]);
  });

  // ----- 2. the LinearAdvanceProof fill-in -------------------------------------------------------------------

  describe("LinearAdvanceProof fill-in (spec 3.8)", () => {
    const count = (m: string) => proxy.calls.get(m) ?? 0;

    /**
     * Runs a verified call from the trusted state and watches its answer: whether it carries a
     * LinearAdvanceProof, what `linearAdvanceProofRange` says of its dual proof, and how many VerifiableTxById
     * calls (the fill-in RPC) the client made besides the operation's own.
     */
    async function watch<M extends "verifiableGet" | "verifiableSet" | "verifiableTxById">(
      method: M,
      dpOf: (m: ResponseOf<M>) => DualProofProto,
      run: (c: ImmudbClient) => Promise<unknown>,
    ): Promise<{ present: boolean; range: unknown; fillCalls: number }> {
      await store.reset(trusted);
      let present = true;
      let range: unknown = "not seen";
      proxy.onResponse(method, (m) => {
        const dp = dpOf(m);
        present = dp.LinearAdvanceProof !== undefined;
        // the ids the client proves between (for a backward read, the entry's tx is the source)
        range = linearAdvanceProofRange(dualProofFromProto(dp), dp.sourceTxHeader!.id, dp.targetTxHeader!.id);
        return undefined;
      });
      const before = count("verifiableTxById");
      try {
        await run(victim);
      } finally {
        proxy.onResponse(method, undefined);
      }
      const own = method === "verifiableTxById" ? 1 : 0;
      return { present, range, fillCalls: count("verifiableTxById") - before - own };
    }

    it("is never needed against 1.11.1: the field is absent, the range empty, no fill-in calls", async () => {
      const none = { present: false, range: undefined, fillCalls: 0 };
      expect(
        await watch(
          "verifiableGet",
          (m) => m.verifiableTx!.dualProof!,
          (c) => c.verifiedGet("m2"),
        ),
      ).toEqual(none);
      expect(
        await watch(
          "verifiableGet",
          (m) => m.verifiableTx!.dualProof!,
          (c) => c.verifiedGet("fill:5"),
        ),
      ).toEqual(none);
      expect(
        await watch(
          "verifiableTxById",
          (m) => m.dualProof!,
          (c) => c.verifiedTxById(24n),
        ),
      ).toEqual(none);
      expect(
        await watch(
          "verifiableSet",
          (m) => m.dualProof!,
          (c) => c.verifiedSet(`lap:${next()}`, "v"),
        ),
      ).toEqual(none);
    });

    it("a header that makes the range non-trivial costs no fill-in calls: the cheap checks reject it first", async () => {
      await store.reset(trusted);
      let range: { start: bigint; end: bigint } | undefined;
      const a = alterFirst(proxy, "verifiableGet", (m) => {
        const dp = m.verifiableTx!.dualProof!;
        dp.sourceTxHeader!.blTxId = 1n; // claims tx 12 was committed when the tree held 1 tx
        range = linearAdvanceProofRange(dualProofFromProto(dp), TRUSTED, 24n);
        return undefined;
      });
      const before = count("verifiableTxById");
      const err = await failure(() => victim.verifiedGet("m2"));
      a.remove();
      expect(range).toEqual({ start: 1n, end: 12n }); // a fill-in would cost end - start = 11 calls
      expect(err).toBeInstanceOf(VerificationError);
      expect((err as VerificationError).reason).toBe("alh-mismatch");
      expect(count("verifiableTxById") - before).toBe(0);
      expect((await victim.trustedState())?.txId).toBe(TRUSTED);
    });
  });

  /** The unverified Get of `key` through the same proxy, altered alike: returns the altered entry. */
  function plainGet(
    key: string,
    mutate: (e: EntryProto) => void,
  ): (c: ImmudbClient, p: GrpcProxy) => Promise<void> {
    return async (c, p) => {
      let original: EntryProto | undefined;
      let altered: EntryProto | undefined;
      p.onResponse("get", (msg) => {
        original = clone(EntrySchema, msg);
        mutate(msg);
        altered = clone(EntrySchema, msg);
        return undefined;
      });
      try {
        const got = await c.get(key);
        expect(got).toEqual(entryFromProto(altered!));
        expect(got).not.toEqual(entryFromProto(original!));
      } finally {
        p.onResponse("get", undefined);
      }
    };
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------------------------

describe("tampered signatures (signing server, client configured with its key)", () => {
  const TRUSTED = 10n;
  let server: ImmudbServer;
  let proxy: GrpcProxy;
  let writer: ImmudbClient;
  let victim: ImmudbClient;
  const store = new ResettableStore();
  let trusted: TrustedState;
  let bench: Bench;
  let seq = 0;
  /** A key pair that is not the server's. */
  const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  /** A genuine server signature, of another state (tx 14). */
  let sig14: Signature;

  beforeAll(async () => {
    server = await startImmudb({ signing: true });
    proxy = await startGrpcProxy([{ port: server.port }]);
    writer = await ImmudbClient.connect(server.url);
    for (let i = 1; i <= 15; i++) await writer.set(`s:${i}`, `v${i}`);
    const serverUuid = (await writer.session()).serverUuid;
    trusted = {
      serverUuid,
      database: DB,
      txId: TRUSTED,
      txHash: alh((await writer.verifiedTxById(TRUSTED)).header),
    };
    victim = await ImmudbClient.connect({
      port: proxy.port,
      stateStore: store,
      serverSigningKey: server.signingPublicKeyPem!,
    });
    bench = { proxy, client: victim, store, trusted };
    // capture a genuine signature of state 14
    await store.reset(trusted);
    proxy.onResponse("verifiableTxById", (m) => {
      sig14 = clone(SignatureSchema, m.signature!);
      return undefined;
    });
    await victim.verifiedTxById(14n);
    proxy.onResponse("verifiableTxById", undefined);
  });

  afterAll(async () => {
    await victim?.close();
    await writer?.close();
    await proxy?.close();
    await server?.dispose();
  });

  it("honest signed answers verify (control), and the first contact checks CurrentState's signature", async () => {
    await store.reset(trusted);
    await victim.verifiedGet("s:15");
    await store.reset(undefined);
    await victim.verifiedSet("s:control", "c");
    expect((await victim.trustedState())?.signature?.length).toBeGreaterThan(60);
  });

  /** The signature of `state` by the other key, DER as the server sends it. */
  function otherSignature(state: { txId: bigint; txHash: Uint8Array }): Uint8Array {
    return sign("sha256", stateSigningBytes({ db: DB, ...state }), other.privateKey);
  }
  /** The state a VerifiableTx's signature is for: the target of its dual proof. */
  function targetOf(dp: DualProofProto): { txId: bigint; txHash: Uint8Array } {
    const t = txHeaderFromProto(dp.targetTxHeader!);
    return { txId: t.id, txHash: alh(t) };
  }

  type SigMutation = (sig: Signature | undefined, dp: DualProofProto) => Signature | undefined;
  const mutations: [string, SigMutation, VerificationReason | Unused][] = [
    [
      "signature: one byte flipped",
      (s) => create(SignatureSchema, { ...s!, signature: flip(s!.signature, 12) }),
      "signature",
    ],
    ["signature: dropped", () => undefined, "signature"],
    [
      "signature: empty bytes",
      (s) => create(SignatureSchema, { ...s!, signature: new Uint8Array(0) }),
      "signature",
    ],
    [
      "signature: by another key, of the right state",
      (s, dp) => create(SignatureSchema, { ...s!, signature: otherSignature(targetOf(dp)) }),
      "signature",
    ],
    [
      "signature: by another key, with that key in publicKey",
      (_s, dp) =>
        create(SignatureSchema, {
          publicKey: other.publicKey.export({ type: "spki", format: "der" }).subarray(-65),
          signature: otherSignature(targetOf(dp)),
        }),
      "signature",
    ],
    [
      "signature: the server's genuine signature of another state (tx 14)",
      () => clone(SignatureSchema, sig14),
      "signature",
    ],
    [
      "signature: a trailing byte appended",
      (s) => create(SignatureSchema, { ...s!, signature: Uint8Array.from([...s!.signature, 0]) }),
      {
        verifies:
          "like Go's asn1.Unmarshal, the DER parser ignores bytes after the SEQUENCE (spec 5.3): r and s, the signed values, are unchanged",
      },
    ],
  ];

  const ops: {
    name: string;
    method: "verifiableGet" | "verifiableSet" | "verifiableTxById";
    run: (c: ImmudbClient) => Promise<unknown>;
  }[] = [
    { name: "VerifiableGet", method: "verifiableGet", run: (c) => c.verifiedGet("s:15") },
    { name: "VerifiableSet", method: "verifiableSet", run: (c) => c.verifiedSet(`sig:${seq++}`, "v") },
    { name: "VerifiableTxById", method: "verifiableTxById", run: (c) => c.verifiedTxById(15n) },
  ];
  for (const op of ops) {
    describe(op.name, () => {
      cases(
        () => bench,
        mutations.map(([name, mutate, expected]) => ({
          name,
          alter: (p: GrpcProxy) =>
            op.method === "verifiableGet"
              ? alterFirst(p, op.method, (m) => {
                  m.verifiableTx!.signature = mutate(m.verifiableTx!.signature, m.verifiableTx!.dualProof!);
                  return undefined;
                })
              : alterFirst(p, op.method, (m) => {
                  m.signature = mutate(m.signature, m.dualProof!);
                  return undefined;
                }),
          run: op.run,
          expect: expected,
        })),
      );
    });
  }

  describe("CurrentState on first contact", () => {
    const first = (name: string, mutate: (st: ResponseOf<"currentState">) => void): Case => ({
      name,
      alter: (p) =>
        alterFirst(p, "currentState", (m) => {
          mutate(m);
          return undefined;
        }),
      run: (c) => c.verifiedGet("s:15"),
      expect: "signature",
      plain: async (c, p) => {
        // the facade's currentState() checks the signature too
        const a = alterFirst(p, "currentState", (m) => {
          mutate(m);
          return undefined;
        });
        try {
          const err = await failure(() => c.currentState());
          expect(err).toBeInstanceOf(VerificationError);
          expect((err as VerificationError).reason).toBe("signature");
        } finally {
          a.remove();
        }
        expect(await c.trustedState()).toBeUndefined();
      },
    });
    cases(
      () => ({ ...bench, trusted: undefined }),
      [
        first("CurrentState.signature: one byte flipped", (st) => {
          st.signature!.signature = flip(st.signature!.signature, 12);
        }),
        first("CurrentState.signature: dropped", (st) => {
          st.signature = undefined;
        }),
        first("CurrentState.signature: by another key", (st) => {
          st.signature!.signature = otherSignature({ txId: st.txId, txHash: st.txHash });
        }),
        first("CurrentState.txHash flipped (signature kept)", (st) => {
          st.txHash = flip(st.txHash);
        }),
        first("CurrentState.txId altered (signature kept)", (st) => {
          st.txId -= 1n;
        }),
      ],
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 3. Forks
// ---------------------------------------------------------------------------------------------------------------

describe("fork detection: one client over two servers with a shared prefix", () => {
  const SHARED = 10n;
  let origin: ImmudbServer;
  let a: ImmudbServer;
  let b: ImmudbServer;
  let forkDir: string;
  let direct: ImmudbClient[] = [];
  let shared: TrustedState;
  const disposers: Array<() => Promise<unknown> | unknown> = [];

  beforeAll(async () => {
    origin = await startImmudb();
    const w = await ImmudbClient.connect(origin.url);
    for (let i = 1; i <= Number(SHARED); i++) await w.set(`shared:${i}`, `s${i}`);
    await w.close();
    await origin.stop();
    forkDir = mkdtempSync(join(tmpdir(), "immudb-ts-fork-"));
    cpSync(origin.dataDir, forkDir, { recursive: true });
    // A restarts on the original data, B on the copy: same server UUID, same txs 1-10
    [a, b] = await Promise.all([startImmudb({ dataDir: origin.dataDir }), startImmudb({ dataDir: forkDir })]);
    direct = await Promise.all([ImmudbClient.connect(a.url), ImmudbClient.connect(b.url)]);
    const [da, db] = direct as [ImmudbClient, ImmudbClient];
    expect((await da.session()).serverUuid).toBe((await db.session()).serverUuid);
    // then they diverge, at the same height
    for (let i = 1; i <= 10; i++) {
      await da.set("side", `A${i}`);
      await db.set("side", `B${i}`);
    }
    const ha = alh((await da.verifiedTxById(SHARED)).header);
    expect(ha).toEqual(alh((await db.verifiedTxById(SHARED)).header));
    expect(alh((await da.verifiedTxById(20n)).header)).not.toEqual(
      alh((await db.verifiedTxById(20n)).header),
    );
    shared = { serverUuid: (await da.session()).serverUuid, database: DB, txId: SHARED, txHash: ha };
  });

  afterAll(async () => {
    for (const f of disposers.reverse()) await f();
    for (const c of direct) await c.close();
    await a?.stop();
    await b?.stop();
    await a?.dispose();
    await b?.dispose();
    await origin?.dispose();
    if (forkDir) rmSync(forkDir, { recursive: true, force: true });
  });

  /** Which branch holds `h` (by Alh), or "none". */
  async function branchOf(h: { id: bigint } & Parameters<typeof alh>[0]): Promise<"A" | "B" | "none"> {
    const want = alh(h);
    for (const [name, c] of [
      ["A", direct[0]!],
      ["B", direct[1]!],
    ] as const) {
      const got = await c.verifiedTxById(h.id).catch(() => undefined);
      if (got && bytesEqual(alh(got.header), want)) return name;
    }
    return "none";
  }

  /** Calls that manage the session (the proxy spreads the session itself); every other call is routed. */
  const SESSION_CALLS = new Set(["openSession", "closeSession", "keepAlive"]);

  /**
   * A client behind a proxy over [A, B] that trusts the shared tx 10 and sends its n-th data call (verified
   * calls, and the reconciliation's header scans and dual proofs) to backend `pick(n)`.
   */
  async function forkedClient(
    pick: (n: number) => number,
  ): Promise<{ client: ImmudbClient; proxy: GrpcProxy }> {
    const proxy = await startGrpcProxy([{ port: a.port }, { port: b.port }]);
    disposers.push(() => proxy.close());
    let n = 0;
    proxy.setRouter((ctx) => (SESSION_CALLS.has(ctx.method) ? undefined : pick(n++)));
    const stateStore = new MemoryStateStore();
    await stateStore.compareAndSet(undefined, shared);
    const client = await ImmudbClient.connect({ port: proxy.port, stateStore });
    disposers.push(() => client.close());
    return { client, proxy };
  }

  /** The Alh of tx `id` on branch `which`. */
  async function alhOn(which: "A" | "B", id: bigint): Promise<Uint8Array> {
    return alh((await direct[which === "A" ? 0 : 1]!.verifiedTxById(id)).header);
  }

  it("sequential calls alternating A, B: every call that crosses branches fails, the state stays on A", async () => {
    const { client, proxy } = await forkedClient((n) => n % 2);
    const e1 = await client.verifiedGet("side"); // A, proven from the shared tx 10
    expect(text.decode(e1.value)).toBe("A10");
    const onA = await client.trustedState();
    expect(onA?.txId).toBe(20n);
    expect(bytesEqual(onA!.txHash, await alhOn("A", 20n))).toBe(true);

    const e2 = await failure(() => client.verifiedSet("seq", "on B")); // B (writes B's tx 21), from A's tx 20
    expect(e2).toBeInstanceOf(VerificationError);
    expect((e2 as VerificationError).reason).toBe("alh-mismatch");
    expect(await client.trustedState()).toEqual(onA);

    const h3 = await client.verifiedSet("seq", "on A"); // A: its tx 21
    expect(await branchOf(h3)).toBe("A");
    const onA21 = await client.trustedState();
    expect(onA21?.txId).toBe(h3.id);

    const e4 = await failure(() => client.verifiedGet("side")); // B, backward to A's tx 21
    expect(e4).toBeInstanceOf(VerificationError);
    expect((e4 as VerificationError).reason).toBe("alh-mismatch");
    expect(await client.trustedState()).toEqual(onA21);
    expect(proxy.callsByBackend[0]?.get("verifiableGet")).toBe(1);
    expect(proxy.callsByBackend[1]?.get("verifiableGet")).toBe(1);
  });

  it("the same starting on B: B's branch is accepted, A's rejected", async () => {
    const { client } = await forkedClient((n) => 1 - (n % 2));
    expect(text.decode((await client.verifiedGet("side")).value)).toBe("B10");
    const onB = await client.trustedState();
    expect(bytesEqual(onB!.txHash, await alhOn("B", onB!.txId))).toBe(true);
    const err = await failure(() => client.verifiedGet("side"));
    expect(err).toBeInstanceOf(VerificationError);
    expect(await client.trustedState()).toEqual(onB);
  });

  it("32 concurrent verified calls spread over A and B: the fork is caught, and what was accepted is one history", async () => {
    const { client, proxy } = await forkedClient((n) => n % 2);
    // get, get, set, set, ...: with the alternating router, both kinds reach both servers
    const ops = Array.from({ length: 32 }, (_, i) =>
      i % 4 < 2
        ? client.verifiedGet("side").then((e) => ({ kind: "get" as const, value: text.decode(e.value) }))
        : client.verifiedSet(`conc:${i}`, `v${i}`).then((h) => ({ kind: "set" as const, header: h })),
    );
    const settled = await Promise.allSettled(ops);
    const rejected = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
    const accepted = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    for (const backend of [0, 1]) {
      const calls = proxy.callsByBackend[backend]!;
      expect((calls.get("verifiableGet") ?? 0) + (calls.get("verifiableSet") ?? 0)).toBeGreaterThan(0);
    }
    const verificationErrors = rejected.filter((e) => e instanceof VerificationError);
    expect(verificationErrors.length).toBeGreaterThanOrEqual(1);
    // anything else is a server refusing a proveSinceTx beyond its own last tx
    const others = rejected.filter((e) => !(e instanceof VerificationError));
    for (const e of others) expect(e).toBeInstanceOf(ServerError);
    // every accepted result is on one branch...
    const branches = new Set<string>();
    for (const r of accepted) {
      if (r.kind === "get")
        branches.add(r.value.slice(0, 1)); // "A10" or "B10"
      else branches.add(await branchOf(r.header));
    }
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect([...branches]).toHaveLength(1);
    const branch = [...branches][0] as "A" | "B";
    // ...and so is the trusted state
    const st = await client.trustedState();
    expect(bytesEqual(st!.txHash, await alhOn(branch, st!.txId))).toBe(true);
    report.push({
      name: "fork: 32 concurrent calls over A/B",
      outcome: `accepted ${accepted.length} (all on ${branch}), VerificationError ${verificationErrors.length} (${[
        ...new Set(verificationErrors.map((e) => (e as VerificationError).reason)),
      ].join(", ")}), ServerError ${others.length}`,
    });
  });
});

afterAll(() => {
  if (process.env.TAMPER_REPORT) {
    for (const r of report) console.log(`${r.name} → ${r.outcome}`);
  }
});
