#!/usr/bin/env node
// Regenerates the reference test vectors (test/vectors/data/*.json) by running the Go generator in
// vectors-gen/, which imports immudb v1.11.1 from the Go module proxy (nothing of immudb is copied into
// this repository). Output is deterministic: running it twice leaves `git status test/vectors/data` clean.
//
// Requires Go >= 1.25 on PATH. Usage: npm run vectors
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const genDir = path.join(root, "vectors-gen");
const outDir = path.join(root, "test", "vectors", "data");
mkdirSync(outDir, { recursive: true });

const env = { ...process.env, GOWORK: "off", GOFLAGS: "-mod=mod" };
const started = Date.now();
// the generator reads immudb's fixed stores (test/data_*) and test keys from the module's directory
const dir = spawnSync("go", ["list", "-m", "-f", "{{.Dir}}", "github.com/codenotary/immudb"], {
  cwd: genDir,
  env,
  encoding: "utf8",
});
if (dir.status === 0 && dir.stdout.trim() !== "") env.IMMUDB_MODULE_DIR = dir.stdout.trim();
const result = spawnSync("go", ["run", ".", outDir], { cwd: genDir, stdio: "inherit", env });
if (result.error) {
  console.error(`gen-vectors: cannot run go (${result.error.message}); Go >= 1.25 is required`);
  process.exit(1);
}
if (result.status !== 0) {
  console.error(`gen-vectors: the generator failed (exit ${result.status})`);
  process.exit(result.status ?? 1);
}
console.error(
  `gen-vectors: done in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${path.relative(root, outDir)}`,
);
