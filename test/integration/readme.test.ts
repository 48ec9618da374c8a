/**
 * Runs every TypeScript snippet of README.md against a real immudb, so the README cannot drift from the code.
 *
 * Each ```ts block becomes a small ES module run with tsx in a temporary working directory:
 * - `from "immudb-ts"` / `"immudb-ts/verify"` resolve to this checkout's sources;
 * - the URL `immudb://immudb:immudb@127.0.0.1:3322/defaultdb` points to the test server;
 * - a block that does not connect itself gets `const client = await ImmudbClient.connect(URL)` before it and
 *   `await client.close()` after it;
 * - an HTML comment `<!-- readme-test: signing -->` right before a block runs it against a server started
 *   with a state-signing key, whose public key is in `signing.pub`; `<!-- readme-test: skip -->` skips it
 *   (used only for shell blocks' neighbours that cannot run here; each skip says why in the README source).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const README_URL = "immudb://immudb:immudb@127.0.0.1:3322/defaultdb";
/** A second server in snippets that need two (replication): the signing server stands in for it. */
const README_URL_2 = "immudb://immudb:immudb@127.0.0.1:3323/defaultdb";

interface Snippet {
  readonly line: number;
  readonly code: string;
  readonly mode: "plain" | "signing" | "skip";
}

function snippets(): Snippet[] {
  const lines = readFileSync(join(root, "README.md"), "utf8").split("\n");
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```ts") continue;
    const marker = /<!-- readme-test: (\w+) -->/.exec(lines[i - 1] ?? "")?.[1];
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== "```") end++;
    out.push({
      line: start,
      code: lines.slice(start, end).join("\n"),
      mode: marker === "signing" ? "signing" : marker === "skip" ? "skip" : "plain",
    });
    i = end;
  }
  return out;
}

function toModule(
  snippet: Snippet,
  server: ImmudbServer,
  second: ImmudbServer,
  exported: readonly string[],
): string {
  const url = server.url;
  let code = snippet.code
    .replaceAll('"immudb-ts/verify"', JSON.stringify(join(root, "src", "verify", "index.ts")))
    .replaceAll('"immudb-ts"', JSON.stringify(join(root, "src", "index.ts")))
    .replaceAll(README_URL, url)
    .replaceAll(README_URL_2, second.url)
    .replaceAll("port: 3322", `port: ${server.port}`);
  const imports: string[] = [];
  const body: string[] = [];
  for (const l of code.split("\n")) (/^import\s/.test(l) ? imports : body).push(l);
  code = body.join("\n");
  // Names of the package used without an import (the README shows them imported once, above).
  const imported = imports.join("\n");
  const missing = exported.filter(
    (n) => new RegExp(`\\b${n}\\b`).test(code) && !new RegExp(`\\b${n}\\b`).test(imported),
  );
  if (missing.length > 0) {
    imports.push(`import { ${missing.join(", ")} } from ${JSON.stringify(join(root, "src", "index.ts"))};`);
  }
  if (!/ImmudbClient\.connect\(/.test(code)) {
    imports.push(
      `import { ImmudbClient as __Client } from ${JSON.stringify(join(root, "src", "index.ts"))};`,
    );
    code = `const client = await __Client.connect(${JSON.stringify(url)});\ntry {\n${code}\n} finally {\n  await client.close();\n}`;
  }
  return `${imports.join("\n")}\n${code}\nexport {};\n`;
}

let plain: ImmudbServer;
let signing: ImmudbServer;
let exported: string[] = [];

beforeAll(async () => {
  exported = Object.keys(await import("../../src/index.js"));
  [plain, signing] = await Promise.all([startImmudb(), startImmudb({ signing: true })]);
});

afterAll(async () => {
  await Promise.all([plain?.dispose(), signing?.dispose()]);
});

describe("README snippets", () => {
  const all = snippets();

  it("has snippets to run", () => {
    expect(all.length).toBeGreaterThan(5);
  });

  for (const s of all) {
    const title = `README.md line ${s.line}: ${s.code
      .split("\n")
      .find((l) => l.trim() && !l.startsWith("import"))
      ?.trim()}`;
    if (s.mode === "skip") continue;
    it(title, async () => {
      const server = s.mode === "signing" ? signing : plain;
      const dir = mkdtempSync(join(tmpdir(), "immudb-ts-readme-"));
      try {
        if (server.signingPublicKeyPem) writeFileSync(join(dir, "signing.pub"), server.signingPublicKeyPem);
        const file = join(dir, "snippet.mts");
        writeFileSync(file, toModule(s, server, server === plain ? signing : plain, exported));
        const { stdout, stderr } = await promisify(execFile)(
          join(root, "node_modules", ".bin", "tsx"),
          [file],
          {
            cwd: dir,
            timeout: 60_000,
          },
        );
        expect(stderr).toBe("");
        void stdout;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
