/**
 * Conversion of proof messages into the verification core's input types. Anything missing that a proof needs
 * is a {@link VerificationError} ("malformed-proof"): an incomplete proof never counts as a proof.
 *
 * @module
 */
import { VerificationError } from "../errors.js";
import type {
  DualProof as DualProofProto,
  InclusionProof as InclusionProofProto,
  LinearAdvanceProof as LinearAdvanceProofProto,
  LinearProof as LinearProofProto,
  TxEntry as TxEntryProto,
  TxHeader as TxHeaderProto,
} from "../gen/schema_pb.js";
import { digestFromProto } from "../verify/index.js";
import type {
  Digest,
  DualProof,
  EntrySpec,
  InclusionProof,
  LinearAdvanceProof,
  LinearProof,
  TxHeader,
} from "../verify/types.js";
import { kvMetadataFromProto, txHeaderFromProto } from "./index.js";

/** Requires a sub-message to be present. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new VerificationError("malformed-proof", `the server sent no ${what}`);
  return value;
}

/** Converts a header that the proof needs. */
export function headerOf(h: TxHeaderProto | undefined, what: string): TxHeader {
  return txHeaderFromProto(required(h, what));
}

function digests(terms: readonly Uint8Array[]): Digest[] {
  return terms.map((t) => digestFromProto(t));
}

/** Converts an htree inclusion proof. */
export function inclusionProofFromProto(p: InclusionProofProto | undefined): InclusionProof {
  const proof = required(p, "inclusion proof");
  return { leaf: proof.leaf, width: proof.width, terms: digests(proof.terms) };
}

function linearProofFromProto(p: LinearProofProto | undefined): LinearProof {
  const proof = required(p, "linear proof");
  return { sourceTxId: proof.sourceTxId, targetTxId: proof.TargetTxId, terms: digests(proof.terms) };
}

function linearAdvanceProofFromProto(p: LinearAdvanceProofProto): LinearAdvanceProof {
  return {
    linearProofTerms: digests(p.linearProofTerms),
    inclusionProofs: p.inclusionProofs.map((ip) => digests(ip.terms)),
  };
}

/** Converts a dual proof. */
export function dualProofFromProto(p: DualProofProto | undefined): DualProof {
  const proof = required(p, "dual proof");
  const lap = proof.LinearAdvanceProof;
  return {
    sourceTxHeader: headerOf(proof.sourceTxHeader, "dual proof source header"),
    targetTxHeader: headerOf(proof.targetTxHeader, "dual proof target header"),
    inclusionProof: digests(proof.inclusionProof),
    consistencyProof: digests(proof.consistencyProof),
    targetBlTxAlh: digestFromProto(proof.targetBlTxAlh),
    lastInclusionProof: digests(proof.lastInclusionProof),
    linearProof: linearProofFromProto(proof.linearProof),
    ...(lap ? { linearAdvanceProof: linearAdvanceProofFromProto(lap) } : {}),
  };
}

/** Converts the raw entries of a tx into entry specs (prefixed keys, metadata, hValue). */
export function txEntrySpecsFromProto(entries: readonly TxEntryProto[]): EntrySpec[] {
  return entries.map((e) => {
    const metadata = kvMetadataFromProto(e.metadata);
    return { key: e.key, hValue: digestFromProto(e.hValue), ...(metadata ? { metadata } : {}) };
  });
}
