/**
 * `npm run demo`: the main job, end to end. Uses the immudb at $IMMUDB_URL if set; otherwise builds (once) and
 * starts a local immudb on loopback, and stops it at the end. Prints each step.
 */
import { ImmudbClient } from "../src/index.js";
import { type ImmudbServer, startImmudb } from "../test/harness/immudb-server.js";

const text = new TextDecoder();

async function main(): Promise<void> {
  let server: ImmudbServer | undefined;
  let url = process.env.IMMUDB_URL;
  if (url) {
    console.log(`1. using the immudb at ${redact(url)}`);
  } else {
    console.log("1. starting a local immudb 1.11.1 (the first run builds it from the Go module proxy)...");
    server = await startImmudb();
    url = server.url;
    console.log(`   immudb is up on 127.0.0.1:${server.port}, data in a temporary directory`);
  }
  try {
    const client = await ImmudbClient.connect(url);
    try {
      const health = await client.health();
      const session = await client.session();
      console.log(
        `2. connected: server ${health.version}, uuid ${session.serverUuid}, database ${session.database}`,
      );

      const key = `demo:${Date.now()}`;
      const header = await client.set(key, "hello, immudb");
      console.log(
        `3. set ${key} = "hello, immudb" -> committed in tx ${header.id} (${header.nEntries} entry)`,
      );

      const entry = await client.get(key);
      console.log(
        `4. get ${key} -> "${text.decode(entry?.value)}" (tx ${entry?.tx}, revision ${entry?.revision})`,
      );

      await client.set(key, "hello again");
      const first = await client.get(key, { atRevision: 1n });
      const latest = await client.get(key);
      console.log(
        `5. history is kept: revision 1 = "${text.decode(first?.value)}", latest (revision ${latest?.revision}) = "${text.decode(latest?.value)}"`,
      );
      console.log(`6. a missing key reads as ${String(await client.get(`${key}:missing`))}`);
    } finally {
      await client.close();
    }
  } finally {
    if (server) {
      await server.dispose();
      console.log("7. stopped the local immudb");
    }
  }
  console.log("demo finished");
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

main().catch((err: unknown) => {
  console.error("demo failed:", err);
  process.exitCode = 1;
});
