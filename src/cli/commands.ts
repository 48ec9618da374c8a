/**
 * The CLI's commands for keys, transactions, SQL, databases, users, the trusted state and the server.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import {
  type Entry,
  ImmudbError,
  InvalidArgumentError,
  Permission,
  type SqlParam,
  type SqlParams,
  sql,
  type TrustedState,
  type TxHeader,
} from "../index.js";
import type { Context } from "./context.js";
import {
  type CommandSpec,
  flag,
  list,
  type OptionSpec,
  parseCount,
  parseTxId,
  str,
  UsageError,
} from "./framework.js";
import {
  bytesField,
  bytesForHuman,
  entryToJson,
  fields,
  formatBytes,
  formatCount,
  headerToJson,
  hex,
  plainValue,
  sqlValueForHuman,
  sqlValueToJson,
  table,
  utf8Bytes,
} from "./output.js";

export interface Command {
  readonly spec: CommandSpec;
  run(ctx: Context): Promise<number | undefined>;
}

const VERIFIED: OptionSpec = {
  name: "verified",
  short: "v",
  type: "boolean",
  description: "prove the answer against the trusted state (and advance it)",
};
const LIMIT: OptionSpec = {
  name: "limit",
  short: "n",
  type: "string",
  value: "<n>",
  description: "at most n entries (default 100; 0 = all)",
};
const DESC: OptionSpec = { name: "desc", type: "boolean", description: "newest / last first" };

function limitOf(ctx: Context): number | undefined {
  const s = str(ctx.options, "limit");
  const n = s === undefined ? 100 : parseCount(s, "--limit");
  return n === 0 ? undefined : n;
}

function txOpt(ctx: Context, name: string): bigint | undefined {
  const s = str(ctx.options, name);
  return s === undefined ? undefined : parseTxId(s, `--${name}`);
}

async function trustedNote(ctx: Context): Promise<{ txId: string } | null> {
  const t = await (await ctx.client()).trustedState();
  return t ? { txId: t.txId.toString() } : null;
}

function entryLines(e: Entry, verified: boolean, trusted: { txId: string } | null): string {
  const pairs: [string, string][] = [
    ["key", bytesForHuman(e.key)],
    ["value", bytesForHuman(e.value)],
    ["tx", e.tx.toString()],
    ["revision", e.revision.toString()],
  ];
  if (e.referencedBy) pairs.push(["reference", bytesForHuman(e.referencedBy.key)]);
  if (e.metadata?.expiresAt !== undefined)
    pairs.push(["expires", new Date(Number(e.metadata.expiresAt) * 1000).toISOString()]);
  pairs.push(["verified", verified ? `yes (trusted state: tx ${trusted?.txId ?? "?"})` : "no"]);
  return fields(pairs);
}

// ---- keys ----

const set: Command = {
  spec: {
    name: "set",
    usage: "<key> [value]",
    minArgs: 1,
    maxArgs: 2,
    summary: "write a key (one transaction); --verified proves the write",
    description:
      "The value is the second argument, or the content of --file. Keys and values are UTF-8 text.",
    options: [
      VERIFIED,
      {
        name: "file",
        type: "string",
        value: "<path>",
        description: "read the value from a file (- for stdin)",
      },
    ],
    examples: ["immudb-ts set greeting hello --verified", "immudb-ts set logo --file logo.png"],
  },
  async run(ctx) {
    const [key, value] = ctx.args as [string, string | undefined];
    const file = str(ctx.options, "file");
    if ((value === undefined) === (file === undefined)) {
      throw new UsageError("give the value as an argument or with --file (not both)", "set");
    }
    const bytes = file !== undefined ? readFileSync(file === "-" ? 0 : file) : utf8Bytes(value as string);
    const client = await ctx.client();
    const verified = flag(ctx.options, "verified");
    const h = verified ? await client.verifiedSet(key, bytes) : await client.set(key, bytes);
    const trusted = verified ? await trustedNote(ctx) : null;
    ctx.emit({ key, tx: h.id.toString(), verified, ...(verified ? { trusted } : {}) }, () =>
      verified
        ? `set ${key}: tx ${h.id} (verified; trusted state: tx ${trusted?.txId})`
        : `set ${key}: tx ${h.id}`,
    );
    return 0;
  },
};

const get: Command = {
  spec: {
    name: "get",
    usage: "<key>",
    minArgs: 1,
    summary: "read a key; --verified proves the value against the trusted state",
    options: [
      VERIFIED,
      { name: "at-tx", type: "string", value: "<tx>", description: "the value as of this transaction" },
      {
        name: "revision",
        type: "string",
        value: "<n>",
        description: "the value at this revision (1 = first)",
      },
      { name: "raw", type: "boolean", description: "print only the value's bytes" },
    ],
    examples: ["immudb-ts get greeting --verified", "immudb-ts get greeting --json"],
  },
  async run(ctx) {
    const key = ctx.args[0] as string;
    const atTx = txOpt(ctx, "at-tx");
    const rev = str(ctx.options, "revision");
    const opts = {
      ...(atTx !== undefined ? { atTx } : {}),
      ...(rev !== undefined ? { atRevision: BigInt(parseCount(rev, "--revision")) } : {}),
    };
    const client = await ctx.client();
    const verified = flag(ctx.options, "verified");
    const e = verified ? await client.verifiedGet(key, opts) : await client.get(key, opts);
    if (!e) {
      ctx.emit({ key, found: false }, () => undefined);
      if (!ctx.json) ctx.streams.stderr.write(`immudb-ts: key not found: ${key}\n`);
      return 1;
    }
    if (flag(ctx.options, "raw") && !ctx.json) {
      ctx.out(e.value);
      return 0;
    }
    const trusted = verified ? await trustedNote(ctx) : null;
    ctx.emit({ found: true, ...entryToJson(e), verified, ...(verified ? { trusted } : {}) }, () =>
      entryLines(e, verified, trusted),
    );
    return 0;
  },
};

const scan: Command = {
  spec: {
    name: "scan",
    summary: "list current keys in key order (not verified)",
    options: [
      { name: "prefix", type: "string", value: "<prefix>", description: "only keys starting with it" },
      { name: "seek", type: "string", value: "<key>", description: "start after this key" },
      { name: "end", type: "string", value: "<key>", description: "stop at this key" },
      DESC,
      LIMIT,
    ],
    examples: ["immudb-ts scan --prefix user: --limit 10"],
  },
  async run(ctx) {
    const client = await ctx.client();
    const prefix = str(ctx.options, "prefix");
    const seek = str(ctx.options, "seek");
    const end = str(ctx.options, "end");
    const limit = limitOf(ctx);
    const entries = await client
      .scan({
        ...(prefix !== undefined ? { prefix } : {}),
        ...(seek !== undefined ? { seekKey: seek } : {}),
        ...(end !== undefined ? { endKey: end } : {}),
        ...(limit !== undefined ? { limit } : {}),
        desc: flag(ctx.options, "desc"),
      })
      .toArray(limit ?? Number.POSITIVE_INFINITY);
    ctx.emit({ entries: entries.map(entryToJson), count: entries.length }, () =>
      entries.length === 0
        ? "(no keys)"
        : table(
            ["KEY", "VALUE", "TX", "REV"],
            entries.map((e) => [
              bytesForHuman(e.key),
              bytesForHuman(e.value),
              e.tx.toString(),
              e.revision.toString(),
            ]),
          ),
    );
    return 0;
  },
};

const history: Command = {
  spec: {
    name: "history",
    usage: "<key>",
    minArgs: 1,
    summary: "every revision of a key, oldest first (not verified)",
    options: [
      DESC,
      LIMIT,
      { name: "offset", type: "string", value: "<n>", description: "skip the first n revisions" },
    ],
  },
  async run(ctx) {
    const client = await ctx.client();
    const key = ctx.args[0] as string;
    const limit = limitOf(ctx);
    const offset = str(ctx.options, "offset");
    const entries = await client
      .history(key, {
        desc: flag(ctx.options, "desc"),
        ...(limit !== undefined ? { limit } : {}),
        ...(offset !== undefined ? { offset: parseCount(offset, "--offset") } : {}),
      })
      .toArray(limit ?? Number.POSITIVE_INFINITY);
    ctx.emit(
      { ...bytesField("key", utf8Bytes(key)), revisions: entries.map(entryToJson), count: entries.length },
      () =>
        entries.length === 0
          ? "(no revisions)"
          : table(
              ["REV", "TX", "VALUE", "NOTE"],
              entries.map((e) => [
                e.revision.toString(),
                e.tx.toString(),
                bytesForHuman(e.value),
                e.metadata?.deleted ? "deleted" : e.expired ? "expired" : "",
              ]),
            ),
    );
    return 0;
  },
};

const tx: Command = {
  spec: {
    name: "tx",
    usage: "<id>",
    minArgs: 1,
    summary: "show a transaction; --verified proves its header and entries",
    options: [VERIFIED],
  },
  async run(ctx) {
    const id = parseTxId(ctx.args[0] as string);
    const client = await ctx.client();
    if (flag(ctx.options, "verified")) {
      const v = await client.verifiedTxById(id);
      const trusted = await trustedNote(ctx);
      const entries = v.entries.map((e) => ({
        ...bytesField("key", e.key),
        hValue: hex(e.hValue),
        valueLength: e.valueLength,
      }));
      ctx.emit({ header: headerToJson(v.header), entries, verified: true, trusted }, () =>
        [
          headerLines(v.header, `yes (trusted state: tx ${trusted?.txId})`),
          "",
          table(
            ["KEY", "VALUE SHA-256", "LEN"],
            v.entries.map((e) => [bytesForHuman(e.key), hex(e.hValue), String(e.valueLength)]),
          ),
        ].join("\n"),
      );
      return 0;
    }
    const t = await client.txById(id, { entries: "raw" });
    const entries = t.entries.map((e) => {
      const plain = plainValue(e);
      return {
        kind: e.kind,
        ...bytesField("key", e.key),
        ...(plain !== undefined ? bytesField("value", plain) : {}),
        hValue: hex(e.hValue),
        valueLength: e.valueLength,
        ...(e.value !== undefined ? { rawValueBase64: Buffer.from(e.value).toString("base64") } : {}),
      };
    });
    ctx.emit({ header: headerToJson(t.header), entries, verified: false }, () =>
      [
        headerLines(t.header, "no"),
        "",
        table(
          ["KIND", "KEY", "VALUE"],
          t.entries.map((e) => {
            const plain = plainValue(e);
            return [
              e.kind,
              bytesForHuman(e.key),
              plain !== undefined ? bytesForHuman(plain) : `(${e.valueLength} bytes)`,
            ];
          }),
        ),
      ].join("\n"),
    );
    return 0;
  },
};

function headerLines(h: TxHeader, verified: string): string {
  return fields([
    ["tx", h.id.toString()],
    ["time", new Date(Number(h.ts) * 1000).toISOString()],
    ["entries", String(h.nEntries)],
    ["prev alh", hex(h.prevAlh)],
    ["entries hash", hex(h.eh)],
    ["verified", verified],
  ]);
}

// ---- SQL ----

const PARAM: OptionSpec = {
  name: "param",
  short: "P",
  type: "string",
  multiple: true,
  value: "<name[:type]=value>",
  description:
    "a named parameter (@name); the type is guessed (integer, float, true/false, null, else text) or given: int, float, bool, str, ts, uuid, json, hex",
};

function sqlParams(ctx: Context): SqlParams {
  const out: Record<string, SqlParam> = {};
  for (const p of list(ctx.options, "param")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?=(.*)$/s.exec(p);
    if (!m) throw new UsageError(`--param must look like name=value or name:type=value, got "${p}"`);
    const [, name, type, value] = m as unknown as [string, string, string | undefined, string];
    out[name] = paramValue(type, value, name);
  }
  return out;
}

function paramValue(type: string | undefined, v: string, name: string): SqlParam {
  const bad = () => new UsageError(`--param ${name}: "${v}" is not a valid ${type}`);
  switch (type) {
    case undefined:
      if (/^-?\d+$/.test(v)) return BigInt(v);
      if (/^-?\d*\.\d+(e[+-]?\d+)?$/i.test(v)) return Number(v);
      if (v === "true" || v === "false") return v === "true";
      if (v === "null") return null;
      return v;
    case "int":
      if (!/^-?\d+$/.test(v)) throw bad();
      return BigInt(v);
    case "float":
      if (v.trim() === "" || !Number.isFinite(Number(v))) throw bad();
      return Number(v);
    case "bool":
      if (v !== "true" && v !== "false") throw bad();
      return v === "true";
    case "str":
      return v;
    case "ts": {
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) throw bad();
      return d;
    }
    case "uuid":
      return sql.uuid(v);
    case "json":
      try {
        return sql.json(JSON.parse(v));
      } catch {
        throw bad();
      }
    case "hex":
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(v)) throw bad();
      return new Uint8Array(Buffer.from(v, "hex"));
    default:
      throw new UsageError(`--param ${name}: unknown type "${type}"`);
  }
}

const sqlExec: Command = {
  spec: {
    name: "sql exec",
    usage: "<statements>",
    minArgs: 1,
    summary: "run SQL statements (CREATE, INSERT, UPDATE, ...)",
    options: [PARAM],
    examples: [
      "immudb-ts sql exec 'CREATE TABLE t (id INTEGER AUTO_INCREMENT, name VARCHAR, PRIMARY KEY id)'",
      "immudb-ts sql exec 'INSERT INTO t (name) VALUES (@name)' --param name=alice",
    ],
  },
  async run(ctx) {
    const client = await ctx.client();
    const r = await client.sqlExec(ctx.args[0] as string, sqlParams(ctx));
    const txs = r.txs.map((t) => ({
      tx: t.header ? t.header.id.toString() : null,
      updatedRows: t.updatedRows,
      lastInsertedPks: Object.fromEntries(
        Object.entries(t.lastInsertedPks).map(([k, v]) => [k, v.toString()]),
      ),
    }));
    ctx.emit({ txs, ongoingTx: r.ongoingTx }, () =>
      txs.length === 0
        ? "ok (no transaction committed)"
        : txs
            .map((t) => {
              const pks = Object.entries(t.lastInsertedPks).map(([k, v]) => `${k}.pk=${v}`);
              return `ok: tx ${t.tx ?? "?"}, ${t.updatedRows} row(s) updated${pks.length > 0 ? `, last inserted ${pks.join(", ")}` : ""}`;
            })
            .join("\n"),
    );
    return 0;
  },
};

const sqlQuery: Command = {
  spec: {
    name: "sql query",
    usage: "<select>",
    minArgs: 1,
    summary: "run a SQL query and print the rows as a table (not verified)",
    description:
      "With --json: { columns: [{name, type}], rows: [{column: value}] }; INTEGER values are decimal strings " +
      "(64-bit exact), BLOBs hex, TIMESTAMPs ISO-8601 with microseconds.",
    options: [PARAM],
    examples: ["immudb-ts sql query 'SELECT id, name FROM t WHERE id > @min' --param min=10"],
  },
  async run(ctx) {
    const client = await ctx.client();
    const r = await client.sqlQuery(ctx.args[0] as string, sqlParams(ctx));
    const names = r.columns.map((c) => c.name);
    ctx.emit(
      {
        columns: r.columns.map((c) => ({ name: c.name, type: c.type })),
        rows: r.rows.map((row) =>
          Object.fromEntries(names.map((n, i) => [n, sqlValueToJson(row.values[i] ?? null)])),
        ),
        count: r.rows.length,
      },
      () =>
        `${table(
          names,
          r.rows.map((row) => row.values.map(sqlValueForHuman)),
        )}\n(${formatCount(r.rows.length)} row${r.rows.length === 1 ? "" : "s"})`,
    );
    return 0;
  },
};

const sqlTables: Command = {
  spec: { name: "sql tables", summary: "list the tables of the database" },
  async run(ctx) {
    const tables = await (await ctx.client()).listTables();
    ctx.emit({ tables }, () => (tables.length === 0 ? "(no tables)" : tables.join("\n")));
    return 0;
  },
};

const sqlDescribe: Command = {
  spec: { name: "sql describe", usage: "<table>", minArgs: 1, summary: "show the columns of a table" },
  async run(ctx) {
    const cols = await (await ctx.client()).describeTable(ctx.args[0] as string);
    ctx.emit({ table: ctx.args[0], columns: cols }, () =>
      table(
        ["COLUMN", "TYPE", "NULLABLE", "KEY"],
        cols.map((c) => [
          c.name,
          c.maxLength !== undefined ? `${c.type}[${c.maxLength}]` : c.type,
          c.nullable ? "yes" : "no",
          [
            c.primaryKey ? "primary" : "",
            c.autoIncrement ? "auto_increment" : "",
            c.unique ? "unique" : "",
            c.indexed && !c.primaryKey ? "indexed" : "",
          ]
            .filter(Boolean)
            .join(" "),
        ]),
      ),
    );
    return 0;
  },
};

// ---- databases ----

const dbList: Command = {
  spec: { name: "databases list", summary: "list the databases you have a permission on" },
  async run(ctx) {
    const dbs = await (await ctx.client()).listDatabases();
    ctx.emit(
      {
        databases: dbs.map((d) => ({
          name: d.name,
          loaded: d.loaded,
          numTransactions: d.numTransactions.toString(),
          diskSize: d.diskSize.toString(),
          createdAt: d.createdAt?.toISOString() ?? null,
          createdBy: d.createdBy,
          replica: d.settings.replicationSettings?.replica ?? false,
        })),
      },
      () =>
        table(
          ["NAME", "LOADED", "TXS", "SIZE", "CREATED BY"],
          dbs.map((d) => [
            d.name,
            d.loaded ? "yes" : "no",
            d.numTransactions.toString(),
            formatBytes(d.diskSize),
            d.createdBy,
          ]),
        ),
    );
    return 0;
  },
};

function dbAction(
  name: string,
  summary: string,
  act: (c: import("../index.js").ImmudbClient, db: string, ctx: Context) => Promise<Record<string, unknown>>,
  options?: OptionSpec[],
): Command {
  return {
    spec: {
      name: `databases ${name}`,
      usage: "<name>",
      minArgs: 1,
      summary,
      ...(options ? { options } : {}),
    },
    async run(ctx) {
      const db = ctx.args[0] as string;
      const extra = await act(await ctx.client(), db, ctx);
      ctx.emit({ database: db, action: name, ok: true, ...extra }, () =>
        extra.alreadyExisted ? `database ${db} already exists` : `database ${db}: ${name} ok`,
      );
      return 0;
    },
  };
}

const dbCreate = dbAction(
  "create",
  "create a database (system administrator)",
  async (c, db, ctx) => {
    const r = await c.createDatabase(db, { ifNotExists: flag(ctx.options, "if-not-exists") });
    return { alreadyExisted: r.alreadyExisted };
  },
  [{ name: "if-not-exists", type: "boolean", description: "succeed without changes if it exists" }],
);
const dbLoad = dbAction("load", "load (open) an unloaded database", async (c, db) => {
  await c.loadDatabase(db);
  return {};
});
const dbUnload = dbAction("unload", "unload (close) a database", async (c, db) => {
  await c.unloadDatabase(db);
  return {};
});
const dbDelete = dbAction("delete", "delete an unloaded database and its files", async (c, db) => {
  await c.deleteDatabase(db);
  return {};
});

// ---- users ----

function permissionOf(s: string): Permission {
  switch (s.toLowerCase()) {
    case "r":
    case "read":
      return Permission.Read;
    case "rw":
    case "readwrite":
      return Permission.ReadWrite;
    case "admin":
      return Permission.Admin;
    default:
      throw new UsageError(`permission must be read, readwrite or admin, got "${s}"`);
  }
}

function permissionName(p: number): string {
  return p === Permission.Read
    ? "read"
    : p === Permission.ReadWrite
      ? "readwrite"
      : p === Permission.Admin
        ? "admin"
        : p === Permission.SysAdmin
          ? "sysadmin"
          : String(p);
}

const usersList: Command = {
  spec: { name: "users list", summary: "list users with their permissions" },
  async run(ctx) {
    const users = await (await ctx.client()).listUsers();
    ctx.emit(
      {
        users: users.map((u) => ({
          user: u.user,
          active: u.active,
          createdBy: u.createdBy,
          createdAt: u.createdAt?.toISOString() ?? null,
          permissions: u.permissions.map((p) => ({
            database: p.database,
            permission: permissionName(p.permission),
          })),
          sqlPrivileges: u.sqlPrivileges.map((p) => ({ database: p.database, privilege: p.privilege })),
        })),
      },
      () =>
        table(
          ["USER", "ACTIVE", "PERMISSIONS", "CREATED BY"],
          users.map((u) => [
            u.user,
            u.active ? "yes" : "no",
            u.permissions.map((p) => `${p.database}:${permissionName(p.permission)}`).join(", "),
            u.createdBy,
          ]),
        ),
    );
    return 0;
  },
};

function userAction(
  name: string,
  usage: string,
  nargs: number,
  summary: string,
  act: (c: import("../index.js").ImmudbClient, args: readonly string[], ctx: Context) => Promise<void>,
  options?: OptionSpec[],
): Command {
  return {
    spec: { name: `users ${name}`, usage, minArgs: nargs, summary, ...(options ? { options } : {}) },
    async run(ctx) {
      await act(await ctx.client(), ctx.args, ctx);
      ctx.emit({ user: ctx.args[0], action: name, ok: true }, () => `user ${ctx.args[0]}: ${name} ok`);
      return 0;
    },
  };
}

const usersCreate = userAction(
  "create",
  "<user> <password> <perm> <db>",
  4,
  "create a user with a permission (read, readwrite, admin) on a database",
  async (c, [user, password, perm, db]) => {
    await c.createUser(user as string, password as string, permissionOf(perm as string), db as string);
  },
);
const usersPassword = userAction(
  "password",
  "<user> <new-password>",
  2,
  "change a user's password",
  async (c, [user, pw], ctx) => {
    await c.changePassword(user as string, str(ctx.options, "old-password") ?? "", pw as string);
  },
  [
    {
      name: "old-password",
      type: "string",
      value: "<pw>",
      description: "the current password (needed for immudb)",
    },
  ],
);
const usersGrant = userAction(
  "grant",
  "<user> <perm> <db>",
  3,
  "give a user a permission on a database",
  async (c, [user, perm, db]) => {
    await c.grantPermission(user as string, db as string, permissionOf(perm as string));
  },
);
const usersRevoke = userAction(
  "revoke",
  "<user> <db>",
  2,
  "remove a user's permission on a database",
  async (c, [user, db]) => {
    await c.revokePermission(user as string, db as string, Permission.Read);
  },
);
const usersActivate = userAction("activate", "<user>", 1, "activate a user", async (c, [user]) => {
  await c.setActiveUser(user as string, true);
});
const usersDeactivate = userAction("deactivate", "<user>", 1, "deactivate a user", async (c, [user]) => {
  await c.setActiveUser(user as string, false);
});

// ---- state and server ----

function trustedToJson(t: TrustedState | undefined): Record<string, unknown> | null {
  if (!t) return null;
  return {
    serverUuid: t.serverUuid,
    database: t.database,
    txId: t.txId.toString(),
    txHash: hex(t.txHash),
    ...(t.signature ? { signature: hex(t.signature) } : {}),
  };
}

/** Reads the whole state file (its documented JSON format) without locking; `undefined` if it does not exist. */
function readStateFile(
  path: string,
): { states: Record<string, unknown>[]; identities: Record<string, string> } | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let doc: {
    servers?: Record<string, Record<string, { txId: string; txHash: string; signature?: string }>>;
    identities?: Record<string, string>;
  };
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new ImmudbError("STATE", `the state file ${path} is not valid JSON`);
  }
  const states: Record<string, unknown>[] = [];
  for (const [serverUuid, dbs] of Object.entries(doc.servers ?? {})) {
    for (const [database, s] of Object.entries(dbs)) {
      states.push({
        serverUuid,
        database,
        txId: s.txId,
        txHash: s.txHash,
        ...(s.signature ? { signature: s.signature } : {}),
      });
    }
  }
  return { states, identities: doc.identities ?? {} };
}

const state: Command = {
  spec: {
    name: "state",
    summary: "show the trusted state of the database and where it is stored",
    description:
      "Connects and shows the trusted state of the database (what the next verified call proves against), the " +
      "server's current state (its word, not trusted) and the state file. With --all, lists every trusted state " +
      "in the file without connecting.",
    options: [{ name: "all", type: "boolean", description: "every state in the file, without connecting" }],
  },
  async run(ctx) {
    const path = ctx.statePath;
    if (flag(ctx.options, "all")) {
      const doc = readStateFile(path);
      ctx.emit(
        { path, exists: doc !== undefined, states: doc?.states ?? [], identities: doc?.identities ?? {} },
        () => {
          if (!doc) return `state file: ${path} (does not exist yet)`;
          return [
            `state file: ${path}`,
            "",
            doc.states.length === 0
              ? "(no trusted state)"
              : table(
                  ["SERVER", "DATABASE", "TX", "TX HASH"],
                  doc.states.map((s) => [
                    String(s.serverUuid),
                    String(s.database),
                    String(s.txId),
                    String(s.txHash),
                  ]),
                ),
          ].join("\n");
        },
      );
      return 0;
    }
    const client = await ctx.client();
    const trusted = await client.trustedState();
    const current = await client.currentState();
    const session = client.authMode === "session" ? await client.session() : undefined;
    ctx.emit(
      {
        path,
        address: client.address,
        database: client.database,
        serverUuid: session?.serverUuid ?? trusted?.serverUuid ?? null,
        trusted: trustedToJson(trusted),
        server: { txId: current.txId.toString(), txHash: hex(current.txHash) },
      },
      () =>
        fields([
          ["state file", path],
          ["server", `${client.address} (${session?.serverUuid ?? trusted?.serverUuid ?? "?"})`],
          ["database", client.database],
          [
            "trusted",
            trusted
              ? `tx ${trusted.txId}  ${hex(trusted.txHash)}`
              : "(none yet: the next verified call trusts the server on first use)",
          ],
          ["server says", `tx ${current.txId}  ${hex(current.txHash)} (not proven)`],
        ]),
    );
    return 0;
  },
};

const info: Command = {
  spec: { name: "info", summary: "server health, version and size" },
  async run(ctx) {
    const client = await ctx.client();
    const health = await client.health();
    const si = await client.serverInfo().catch((err: unknown) => {
      if (err instanceof InvalidArgumentError) throw err;
      return undefined;
    });
    ctx.emit(
      {
        address: client.address,
        healthy: health.status,
        version: si?.version ?? health.version,
        ...(si
          ? {
              startedAt: si.startedAt.toISOString(),
              numDatabases: si.numDatabases,
              numTransactions: si.numTransactions.toString(),
              databasesDiskSize: si.databasesDiskSize.toString(),
            }
          : {}),
      },
      () =>
        fields([
          ["server", client.address],
          ["healthy", health.status ? "yes" : "no"],
          ["version", si?.version ?? health.version],
          ...(si
            ? ([
                ["started", si.startedAt.toISOString()],
                ["databases", String(si.numDatabases)],
                ["transactions", si.numTransactions.toString()],
                ["disk", formatBytes(si.databasesDiskSize)],
              ] as [string, string][])
            : []),
        ]),
    );
    return 0;
  },
};

export const BASIC_COMMANDS: readonly Command[] = [
  set,
  get,
  scan,
  history,
  tx,
  sqlExec,
  sqlQuery,
  sqlTables,
  sqlDescribe,
  dbList,
  dbCreate,
  dbLoad,
  dbUnload,
  dbDelete,
  usersList,
  usersCreate,
  usersPassword,
  usersGrant,
  usersRevoke,
  usersActivate,
  usersDeactivate,
  state,
  info,
];
