/**
 * Keeps the parity tables honest: every RPC of ImmuService and AuthorizationService, and every public method of
 * immudb-py, must be named in docs/parity/*.md with its immudb-ts counterpart (or why it has none).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AuthorizationService } from "../../src/gen/authorization_pb.js";
import { ImmuService } from "../../src/gen/schema_pb.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const docs = readdirSync(join(root, "docs", "parity"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => readFileSync(join(root, "docs", "parity", f), "utf8"))
  .concat(readFileSync(join(root, "docs", "parity.md"), "utf8"))
  .join("\n");

describe("parity tables", () => {
  it("name every RPC of ImmuService and AuthorizationService", () => {
    const rpcs = [...ImmuService.methods, ...AuthorizationService.methods].map((m) => m.name);
    expect(rpcs.length).toBeGreaterThan(70);
    expect(rpcs.filter((n) => !new RegExp(`\\b${n}\\b`).test(docs))).toEqual([]);
  });

  it("name every public method of immudb-py", () => {
    const methods = readFileSync(join(root, "test", "unit", "immudb-py-methods.txt"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(methods.length).toBeGreaterThan(80);
    expect(methods.filter((n) => !new RegExp(`\`${n}\\b`).test(docs))).toEqual([]);
  });
});
