/**
 * Builds (or reuses) the pinned immudb binary once per test run. Integration tests then start their own
 * servers with test/harness/immudb-server.ts. If the binary cannot be had, the whole integration run fails:
 * it never skips.
 */
import { immudbBinary } from "../harness/immudb-server.js";

export default function setup(): void {
  const bin = immudbBinary();
  process.env.IMMUDB_TS_BIN = bin;
  console.log(`integration tests use immudb binary ${bin}`);
}
