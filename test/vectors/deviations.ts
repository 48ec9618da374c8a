/**
 * Places where immudb-ts is deliberately stricter than immudb's Go verifier: Go accepts the vector, immudb-ts
 * rejects it with the named reason. Every entry must say why; anything not listed here must match Go exactly.
 */
import type { Verdict } from "./load.js";

interface Deviation {
  /** vector file */
  file: "htree" | "aht" | "dual" | "dualV2" | "linear" | "signature" | "sql";
  /** matches the variant / case name */
  name: RegExp;
  /** the VerificationError reason immudb-ts must give */
  reason: string;
  why: string;
}

export const DEVIATIONS: readonly Deviation[] = [
  {
    file: "htree",
    // the audit path of the last leaf i of a tree of width w, presented with width w-1: leaf i == width.
    // Go's htree.VerifyInclusion does not range-check leaf/width and happens to accept it.
    name: /^w=\d+ leaf=\d+: width-1$/,
    reason: "malformed-proof",
    why: "verification-spec 3.1: a TS port rejects leaf < 0, width < 1 and leaf >= width (int32s from the wire)",
  },
];

function matcher(file: Deviation["file"]) {
  return (name: string, v: Verdict): boolean =>
    !v.ok && DEVIATIONS.some((d) => d.file === file && d.name.test(name) && d.reason === v.reason);
}

export const KNOWN_DEVIATIONS = {
  htree: matcher("htree"),
  aht: matcher("aht"),
  dual: matcher("dual"),
  dualV2: matcher("dualV2"),
  linear: matcher("linear"),
  signature: matcher("signature"),
  sql: matcher("sql"),
};
