#!/usr/bin/env node
// Regenerates src/gen/ from immudb's proto files, taken from the pinned immudb Go module.
//
// 1. `go mod download` fetches github.com/codenotary/immudb@v<config.immudbVersion> from the module proxy.
// 2. The three .proto files are copied into proto/ with the google.api.http and protoc-gen-swagger
//    annotations (and their imports) stripped: they only drive immudb's REST gateway, and buf could not
//    resolve their imports offline. The Apache-2.0 headers are kept.
// 3. `buf generate` runs protoc-gen-es into src/gen/ (committed, never edited by hand).
// Running it twice gives byte-identical output; CI checks that `git status` stays clean.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const version = pkg.config.immudbVersion;

const mod = JSON.parse(
  execFileSync("go", ["mod", "download", "-json", `github.com/codenotary/immudb@v${version}`], {
    encoding: "utf8",
    env: { ...process.env, GOWORK: "off", GOFLAGS: "-mod=mod" },
    cwd: root,
  }),
);
if (!mod.Dir) throw new Error(`go mod download gave no directory: ${JSON.stringify(mod)}`);

const sources = [
  ["pkg/api/schema/schema.proto", "schema.proto"],
  ["pkg/api/proto/authorization.proto", "authorization.proto"],
  ["pkg/api/proto/documents.proto", "documents.proto"],
];

/** Removes `option (<ext>) = { ... };` blocks whose extension is a REST/swagger annotation. */
export function stripAnnotations(text) {
  const lines = text
    .split("\n")
    .filter(
      (l) =>
        !/^import "(google\/api\/annotations|protoc-gen-swagger\/options\/annotations)\.proto";$/.test(
          l.trim(),
        ),
    );
  let src = lines.join("\n");
  const opener = /[ \t]*option \((google\.api\.http|grpc\.gateway\.protoc_gen_swagger\.options\.\w+)\) = \{/g;
  let out = "";
  let pos = 0;
  for (;;) {
    opener.lastIndex = pos;
    const m = opener.exec(src);
    if (!m) break;
    out += src.slice(pos, m.index);
    let i = m.index + m[0].length;
    let depth = 1;
    let inString = false;
    for (; depth > 0; i++) {
      if (i >= src.length) throw new Error(`unterminated option block at offset ${m.index}`);
      const c = src[i];
      if (inString) {
        if (c === "\\") i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{") depth++;
      else if (c === "}") depth--;
    }
    // consume the trailing ';' and the rest of the line
    while (src[i] === " " || src[i] === "\t") i++;
    if (src[i] === ";") i++;
    while (src[i] === " " || src[i] === "\t") i++;
    if (src[i] === "\n") i++;
    pos = i;
  }
  out += src.slice(pos);
  src = out;
  if (/google\.api|protoc_gen_swagger|openapiv2/.test(src))
    throw new Error("an annotation survived stripping");
  return src;
}

const protoDir = join(root, "proto");
mkdirSync(protoDir, { recursive: true });
for (const [from, to] of sources) {
  const text = readFileSync(join(mod.Dir, from), "utf8");
  const header = `// Copied from github.com/codenotary/immudb@v${version} ${from} by scripts/gen-proto.mjs,\n// with the REST gateway / swagger annotations removed. Do not edit.\n`;
  writeFileSync(join(protoDir, to), header + stripAnnotations(text));
}

rmSync(join(root, "src", "gen"), { recursive: true, force: true });
execFileSync(join(root, "node_modules", ".bin", "buf"), ["generate"], { cwd: root, stdio: "inherit" });
console.log(`generated src/gen from immudb v${version}`);
