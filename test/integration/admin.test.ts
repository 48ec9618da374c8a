/**
 * Administration against a real immudb server: databases and their settings, switching databases (with a trusted
 * state per database), index maintenance, truncation, users, permissions, SQL privileges and server information.
 * Server messages asserted here are immudb 1.11.1's exact wording.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  ConnectionError,
  ImmudbClient,
  InvalidArgumentError,
  Permission,
  ServerError,
  SqlPrivilege,
} from "../../src/index.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const text = new TextDecoder();
const DAY_MS = 24 * 60 * 60 * 1000;
const ALL_SQL_PRIVILEGES = ["ALTER", "CREATE", "DELETE", "DROP", "INSERT", "SELECT", "UPDATE"];

let server: ImmudbServer;
/** The system administrator, on defaultdb. */
let admin: ImmudbClient;
/** A closed client: any RPC fails with ConnectionError CLOSED, so an InvalidArgumentError proves no RPC was sent. */
let closed: ImmudbClient;
const suiteStart = Date.now();
const opened: ImmudbClient[] = [];

/** The rejection of `p` (fails the test if `p` resolves). */
async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err as Error,
  );
}

/** Connects as `user` and closes the client at the end of the file. */
async function connectAs(user: string, password: string, database: string): Promise<ImmudbClient> {
  const c = await ImmudbClient.connect({ port: server.port, user, password, database });
  opened.push(c);
  return c;
}

function expectNear(date: Date | undefined, from: number, slackMs = 2000): void {
  expect(date).toBeInstanceOf(Date);
  expect(date!.getTime()).toBeGreaterThanOrEqual(from - slackMs);
  expect(date!.getTime()).toBeLessThanOrEqual(Date.now() + slackMs);
}

async function findDatabase(name: string) {
  return (await admin.listDatabases()).find((d) => d.name === name);
}

async function findUser(name: string) {
  return (await admin.listUsers()).find((u) => u.user === name);
}

beforeAll(async () => {
  server = await startImmudb();
  admin = await ImmudbClient.connect(server.url);
  closed = await ImmudbClient.connect(server.url);
  await closed.close();
});

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await admin?.close();
  await server?.dispose();
});

describe("databases", () => {
  it("creates, lists, unloads, loads and deletes a database", async () => {
    const before = Date.now();
    const created = await admin.createDatabase("adm_rt");
    expect(created).toMatchObject({ name: "adm_rt", alreadyExisted: false });
    expect(created.settings).toMatchObject({ maxKeyLen: 1024, maxTxEntries: 1024, autoload: true });

    let info = await findDatabase("adm_rt");
    expect(info).toMatchObject({ name: "adm_rt", loaded: true, createdBy: "immudb", numTransactions: 0n });
    expect(typeof info!.diskSize).toBe("bigint");
    expectNear(info!.createdAt, before);
    expect(info!.settings).toEqual(created.settings);

    await admin.unloadDatabase("adm_rt");
    info = await findDatabase("adm_rt");
    expect(info?.loaded).toBe(false);
    expect(await failure(admin.unloadDatabase("adm_rt"))).toMatchObject({
      name: "ServerError",
      details: { message: "already closed" },
    });

    await admin.loadDatabase("adm_rt");
    expect((await findDatabase("adm_rt"))?.loaded).toBe(true);
    expect(await failure(admin.loadDatabase("adm_rt"))).toMatchObject({
      name: "ServerError",
      details: { message: "database already loaded" },
    });
    expect(await failure(admin.deleteDatabase("adm_rt"))).toMatchObject({
      name: "ServerError",
      details: { message: "cannot delete an open database" },
    });

    await admin.unloadDatabase("adm_rt");
    await admin.deleteDatabase("adm_rt");
    expect(await findDatabase("adm_rt")).toBeUndefined();
    expect(await admin.databaseList()).not.toContain("adm_rt");

    // Deleted: every database RPC now reports it missing...
    for (const err of [
      await failure(admin.deleteDatabase("adm_rt")),
      await failure(admin.loadDatabase("adm_rt")),
      await failure(admin.useDatabase("adm_rt")),
    ]) {
      expect(err).toBeInstanceOf(ServerError);
      expect((err as ServerError).code).toBe("DATABASE_NOT_FOUND");
    }
    // ...but immudb keeps the name until it restarts.
    expect(await failure(admin.createDatabase("adm_rt"))).toMatchObject({
      name: "ServerError",
      details: { message: "database already exists" },
    });
  });

  it("applies the settings given at creation and reads them back", async () => {
    const settings = {
      maxKeyLen: 64,
      maxTxEntries: 4,
      excludeCommitTime: true,
      indexSettings: { cacheSize: 1000, compactionThld: 1, cleanupPercentage: 25 },
      ahtSettings: { syncThreshold: 1000 },
      truncationSettings: { retentionPeriodMs: 2 * DAY_MS },
    };
    const res = await admin.createDatabase("adm_settings", { settings });
    expect(res.settings).toMatchObject(settings);
    expect(res.settings.maxValueLen).toBe(33554432); // not given: the server's default
    expect((await findDatabase("adm_settings"))?.settings).toEqual(res.settings);

    const c = await connectAs("immudb", "immudb", "adm_settings");
    expect(await c.getDatabaseSettings()).toEqual(res.settings);

    // maxKeyLen counts immudb's one-byte key prefix
    expect((await c.set("k".repeat(63), "v")).id).toBe(1n);
    expect(await failure(c.set("k".repeat(64), "v"))).toMatchObject({
      name: "ServerError",
      details: { message: "max key length exceeded" },
    });
    const tooMany = [1, 2, 3, 4, 5].map((i) => ({ key: `e${i}`, value: "v" }));
    expect(await failure(c.verifiedSetAll(tooMany))).toMatchObject({
      name: "ServerError",
      details: { message: "max number of entries per tx exceeded" },
    });
    // excludeCommitTime: headers carry no timestamp
    expect((await c.verifiedSet("t", "v")).ts).toBe(0n);
  });

  it("updateDatabase changes mutable settings and refuses the ones fixed at creation", async () => {
    const c = await connectAs("immudb", "immudb", "adm_settings");
    const replica = await admin.updateDatabase("adm_settings", {
      autoload: false,
      replicationSettings: {
        replica: true,
        primaryDatabase: "defaultdb",
        primaryHost: "127.0.0.1",
        primaryPort: 1,
        primaryUsername: "immudb",
        primaryPassword: "not-used",
      },
    });
    expect(replica.autoload).toBe(false);
    expect(replica.replicationSettings).toMatchObject({
      replica: true,
      primaryHost: "127.0.0.1",
      primaryPort: 1,
    });
    expect(replica.maxKeyLen).toBe(64);
    expect(await failure(c.set("w", "v"))).toMatchObject({
      name: "ServerError",
      details: { message: "database is read-only because it's a replica" },
    });

    const primary = await admin.updateDatabase("adm_settings", {
      autoload: true,
      replicationSettings: { replica: false },
    });
    expect(primary).toMatchObject({
      autoload: true,
      replicationSettings: { replica: false, primaryHost: "" },
    });
    expect((await c.set("w", "v")).id).toBeGreaterThan(0n);

    // An empty update changes nothing (and is sent with an empty settings message: without one, immudb 1.11.1
    // crashes).
    expect(await admin.updateDatabase("adm_settings", {})).toEqual(primary);

    const fixed = await failure(admin.updateDatabase("adm_settings", { maxKeyLen: 128 }));
    expect(fixed).toBeInstanceOf(ServerError);
    expect((fixed as ServerError).code).toBe("INVALID_ARGUMENT");
    expect((fixed as ServerError).details.message).toContain(
      "max key length can not be changed after database creation ('adm_settings')",
    );
    const shortRetention = await failure(
      admin.updateDatabase("adm_settings", { truncationSettings: { retentionPeriodMs: 60_000 } }),
    );
    expect((shortRetention as ServerError).code).toBe("INVALID_ARGUMENT");
    expect((shortRetention as ServerError).details.message).toContain(
      "RetentionPeriod should at least '24' hours",
    );
    expect((await c.getDatabaseSettings()).maxKeyLen).toBe(64);
  });

  it("ifNotExists returns an existing database unchanged; without it a duplicate is a ServerError", async () => {
    const again = await admin.createDatabase("adm_settings", {
      ifNotExists: true,
      settings: { maxKeyLen: 512 },
    });
    expect(again.alreadyExisted).toBe(true);
    expect(again.settings.maxKeyLen).toBe(64);

    const dup = await failure(admin.createDatabase("adm_settings"));
    expect(dup).toBeInstanceOf(ServerError);
    expect(dup).toMatchObject({
      code: "SERVER",
      details: { message: "database already exists", grpcCode: 2 },
    });

    const fresh = await admin.createDatabase("adm_ifnotexists", { ifNotExists: true });
    expect(fresh).toMatchObject({ name: "adm_ifnotexists", alreadyExisted: false });

    expect(await failure(admin.createDatabase("defaultdb"))).toMatchObject({
      name: "ServerError",
      details: { message: "database is reserved" },
    });
  });

  it("checks database names and settings before any RPC", async () => {
    const badNames: unknown[] = [
      "",
      "Upper",
      "a-b",
      "a b",
      "a.b",
      "a".repeat(129),
      "é".repeat(65),
      42,
      undefined,
    ];
    for (const name of badNames) {
      for (const call of [
        () => closed.createDatabase(name as string),
        () => closed.loadDatabase(name as string),
        () => closed.unloadDatabase(name as string),
        () => closed.deleteDatabase(name as string),
        () => closed.updateDatabase(name as string, {}),
        () => closed.useDatabase(name as string),
        () => closed.truncateDatabase(name as string, { retentionPeriodMs: DAY_MS }),
        () => closed.databaseCreate(name as string),
      ]) {
        expect(await failure(call())).toBeInstanceOf(InvalidArgumentError);
      }
    }
    const badSettings: unknown[] = [
      { maxKeyLen: -1 },
      { maxKeyLen: 1.5 },
      { maxKeyLen: 2 ** 32 },
      { maxKeyLen: "64" },
      { autoload: "yes" },
      { maxKeyLength: 64 },
      { indexSettings: { cacheSize: 2 ** 32 } },
      { indexSettings: { cleanupPercentage: Number.NaN } },
      { truncationSettings: 5 },
      { truncationSettings: { retentionPeriod: DAY_MS } },
      { syncFrequencyMs: -1 },
      { replicationSettings: { primaryPassword: 12345 } },
      "settings",
    ];
    for (const settings of badSettings) {
      const err = await failure(closed.createDatabase("ok_name", { settings: settings as never }));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).not.toContain("12345");
      expect(await failure(closed.updateDatabase("ok_name", settings as never))).toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    // Valid arguments reach the (closed) transport.
    const valid = await failure(closed.createDatabase("é".repeat(64), { settings: { maxKeyLen: 10 } }));
    expect(valid).toBeInstanceOf(ConnectionError);
    expect((valid as ConnectionError).code).toBe("CLOSED");

    // immudb accepts lower-case letters of any script
    expect((await admin.createDatabase("données_2")).name).toBe("données_2");
    expect(await findDatabase("données_2")).toBeDefined();
  });

  it("useDatabase switches the session, and each database keeps its own trusted state", async () => {
    await admin.createDatabase("adm_use");
    const c = await connectAs("immudb", "immudb", "defaultdb");
    await c.verifiedSet("where", "defaultdb");
    const defaultState = await c.trustedState();
    expect(defaultState?.database).toBe("defaultdb");

    await c.useDatabase("adm_use");
    expect(c.database).toBe("adm_use");
    expect((await c.session()).database).toBe("adm_use");
    expect((await c.currentState()).database).toBe("adm_use");
    expect(await c.get("where")).toBeUndefined();
    expect(await c.trustedState()).toBeUndefined();

    const h = await c.verifiedSet("where", "adm_use");
    expect(h.id).toBe(1n);
    await c.set("plain", "x");
    expect(text.decode((await c.verifiedGet("where")).value)).toBe("adm_use");
    expect(text.decode((await c.get("plain"))!.value)).toBe("x");
    const useState = await c.trustedState();
    expect(useState).toMatchObject({ database: "adm_use", serverUuid: defaultState!.serverUuid });
    expect(useState!.txId).toBeGreaterThanOrEqual(1n);
    expect(await c.getDatabaseSettings()).toMatchObject({ maxKeyLen: 1024 });

    await c.useDatabase("defaultdb");
    expect(c.database).toBe("defaultdb");
    expect(await c.trustedState()).toEqual(defaultState);
    expect(text.decode((await c.verifiedGet("where")).value)).toBe("defaultdb");
    expect(await c.get("plain")).toBeUndefined();

    // and back again: the adm_use state was kept
    await c.useDatabase("adm_use");
    expect((await c.trustedState())?.txId).toBe(useState!.txId);
  });

  it("a failed useDatabase leaves the client on its database", async () => {
    const c = await connectAs("immudb", "immudb", "defaultdb");
    await c.set("stay", "here");

    const missing = await failure(c.useDatabase("adm_nosuchdb"));
    expect(missing).toBeInstanceOf(ServerError);
    expect((missing as ServerError).code).toBe("DATABASE_NOT_FOUND");
    expect(c.database).toBe("defaultdb");
    expect(text.decode((await c.get("stay"))!.value)).toBe("here");

    // Opening a session on an unloaded database succeeds; the UseDatabase check does not.
    await admin.createDatabase("adm_unloaded");
    await admin.unloadDatabase("adm_unloaded");
    expect(await failure(c.useDatabase("adm_unloaded"))).toMatchObject({
      name: "ServerError",
      details: { message: "already closed" },
    });
    expect(c.database).toBe("defaultdb");
    expect((await c.session()).database).toBe("defaultdb");
    expect((await c.set("stay", "still here")).id).toBeGreaterThan(0n);
  });

  it("databaseHealth reports the requests of the current database", async () => {
    await admin.createDatabase("adm_health");
    const c = await connectAs("immudb", "immudb", "adm_health");
    const fresh = await c.databaseHealth();
    expect(fresh).toEqual({ pendingRequests: 0, lastRequestCompletedAt: undefined });

    const before = Date.now();
    await c.set("h", "v");
    const health = await c.databaseHealth();
    expect(health.pendingRequests).toBe(0);
    expectNear(health.lastRequestCompletedAt, before);
  });

  it("flushIndex and compactIndex maintain the index of the current database", async () => {
    const c = await connectAs("immudb", "immudb", "adm_settings"); // compactionThld: 1
    for (let i = 0; i < 8; i++) await c.set(`idx${i}`, `v${i}`);
    await c.flushIndex({ cleanupPercentage: 10, synced: true });
    await c.flushIndex();
    await c.compactIndex();
    expect(text.decode((await c.get("idx7"))!.value)).toBe("v7");

    await admin.createDatabase("adm_nocompact");
    const fresh = await connectAs("immudb", "immudb", "adm_nocompact");
    expect(await failure(fresh.compactIndex())).toMatchObject({
      name: "ServerError",
      details: { message: "tbtree: compaction threshold not yet reached" },
    });

    for (const options of [{ cleanupPercentage: 150 }, { cleanupPercentage: -1 }, { synced: "yes" }]) {
      expect(await failure(closed.flushIndex(options as never))).toBeInstanceOf(InvalidArgumentError);
    }
  });

  it("truncateDatabase: the retention period is checked, and a young database has nothing to truncate", async () => {
    for (const options of [{ retentionPeriodMs: 60 * 60 * 1000 }, { retentionPeriodMs: 0 }, {}, undefined]) {
      expect(await failure(closed.truncateDatabase("adm_use", options as never))).toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    expect(await failure(admin.truncateDatabase("adm_use", { retentionPeriodMs: DAY_MS }))).toMatchObject({
      name: "ServerError",
      code: "SERVER",
      details: { message: "retention period has not been reached" },
    });
    expect(await failure(admin.truncateDatabase("defaultdb", { retentionPeriodMs: DAY_MS }))).toMatchObject({
      name: "ServerError",
      details: { message: "database is reserved" },
    });
    expect(
      await failure(admin.truncateDatabase("adm_nosuchdb", { retentionPeriodMs: DAY_MS })),
    ).toMatchObject({
      name: "ServerError",
      code: "DATABASE_NOT_FOUND",
    });
    const c = await connectAs("immudb", "immudb", "adm_use");
    expect(text.decode((await c.verifiedGet("where")).value)).toBe("adm_use");
  });

  it("keeps the deprecated DatabaseList and CreateDatabase RPCs", async () => {
    await admin.databaseCreate("adm_v1");
    const names = await admin.databaseList();
    expect(names).toContain("defaultdb");
    expect(names).toContain("adm_v1");
    expect((await findDatabase("adm_v1"))?.settings.maxKeyLen).toBe(1024);
    expect(await failure(admin.databaseCreate("adm_v1"))).toMatchObject({
      name: "ServerError",
      details: { message: "database already exists" },
    });
  });
});

describe("users and permissions", () => {
  beforeAll(async () => {
    await admin.createDatabase("adm_users");
    const c = await connectAs("immudb", "immudb", "adm_users");
    await c.set("k", "v");
  });

  it("read-only user, granted read-write, deactivated, reactivated, new password", async () => {
    const pw = "Reader_pw1!";
    const before = Date.now();
    await admin.createUser("adm_reader", pw, Permission.Read, "adm_users");
    const listed = await findUser("adm_reader");
    expect(listed).toMatchObject({
      user: "adm_reader",
      active: true,
      createdBy: "immudb",
      permissions: [{ database: "adm_users", permission: Permission.Read }],
      sqlPrivileges: [{ database: "adm_users", privilege: SqlPrivilege.Select }],
    });
    expectNear(listed!.createdAt, before);

    const reader = await connectAs("adm_reader", pw, "adm_users");
    expect(text.decode((await reader.get("k"))!.value)).toBe("v");
    expect(text.decode((await reader.verifiedGet("k")).value)).toBe("v");
    const denied = await failure(reader.set("k2", "x"));
    expect(denied).toBeInstanceOf(AuthenticationError);
    expect(denied).toMatchObject({ code: "PERMISSION_DENIED", details: { message: "permission denied" } });
    expect((await reader.listUsers()).map((u) => u.user)).toEqual(["adm_reader"]);

    await admin.grantPermission("adm_reader", "adm_users", Permission.ReadWrite);
    const granted = await findUser("adm_reader");
    expect(granted?.permissions).toEqual([{ database: "adm_users", permission: Permission.ReadWrite }]);
    expect(granted?.sqlPrivileges.map((p) => p.privilege).sort()).toEqual(ALL_SQL_PRIVILEGES);
    // The server closed the reader's session; the client reopens it and now may write.
    expect((await reader.set("k2", "x")).id).toBeGreaterThan(0n);

    await admin.setActiveUser("adm_reader", false);
    expect((await findUser("adm_reader"))?.active).toBe(false);
    const inactive = await failure(reader.get("k"));
    expect(inactive).toBeInstanceOf(AuthenticationError);
    expect(inactive).toMatchObject({ code: "AUTHENTICATION", details: { message: "user is not active" } });
    const connectInactive = await failure(connectAs("adm_reader", pw, "adm_users"));
    expect(connectInactive).toMatchObject({ name: "AuthenticationError", code: "AUTHENTICATION" });
    expect(String(connectInactive)).not.toContain(pw);

    await admin.setActiveUser("adm_reader", true);
    expect(text.decode((await reader.get("k2"))!.value)).toBe("x");

    await admin.changePassword("adm_reader", pw, "Reader_pw2!");
    const oldPw = await failure(connectAs("adm_reader", pw, "adm_users"));
    expect(oldPw).toMatchObject({
      name: "AuthenticationError",
      code: "AUTHENTICATION",
      details: { message: "invalid user name or password" },
    });
    expect(String(oldPw)).not.toContain(pw);
    const renewed = await connectAs("adm_reader", "Reader_pw2!", "adm_users");
    expect(text.decode((await renewed.get("k2"))!.value)).toBe("x");
    // the password change closed the old client's session, and it cannot reopen it with the old password
    expect(await failure(reader.get("k"))).toMatchObject({ code: "AUTHENTICATION" });
  });

  it("revokePermission removes the user's access to the database", async () => {
    await admin.createUser("adm_revoked", "Revoked_pw1!", Permission.Read, "adm_users");
    const c = await connectAs("adm_revoked", "Revoked_pw1!", "adm_users");
    expect(text.decode((await c.get("k"))!.value)).toBe("v");

    await admin.revokePermission("adm_revoked", "adm_users", Permission.Read);
    expect((await findUser("adm_revoked"))?.permissions).toEqual([]);
    const err = await failure(connectAs("adm_revoked", "Revoked_pw1!", "adm_users"));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({
      code: "PERMISSION_DENIED",
      details: { message: "Logged in user does not have permission on this database" },
    });
    expect(await failure(c.get("k"))).toMatchObject({ code: "PERMISSION_DENIED" });
  });

  it("grants and revokes SQL privileges", async () => {
    await admin.createUser("adm_sql", "Sql_pw1!", Permission.ReadWrite, "adm_users");
    const privileges = async () =>
      (await findUser("adm_sql"))?.sqlPrivileges
        .filter((p) => p.database === "adm_users")
        .map((p) => p.privilege)
        .sort();
    expect(await privileges()).toEqual(ALL_SQL_PRIVILEGES);

    await admin.changeSqlPrivileges(
      "adm_sql",
      "adm_users",
      [SqlPrivilege.Drop, SqlPrivilege.Alter],
      "revoke",
    );
    expect(await privileges()).toEqual(["CREATE", "DELETE", "INSERT", "SELECT", "UPDATE"]);
    await admin.changeSqlPrivileges("adm_sql", "adm_users", [SqlPrivilege.Drop], "grant");
    expect(await privileges()).toEqual(["CREATE", "DELETE", "DROP", "INSERT", "SELECT", "UPDATE"]);

    expect(
      await failure(admin.changeSqlPrivileges("adm_sql", "defaultdb", [SqlPrivilege.Select], "grant")),
    ).toMatchObject({
      name: "ServerError",
      code: "PRECONDITION_FAILED",
      details: { message: "user adm_sql doesn't have permission on database defaultdb" },
    });
    for (const [privs, action] of [
      [["select"], "grant"],
      [[], "grant"],
      ["SELECT", "grant"],
      [["SELECT"], "add"],
    ] as const) {
      expect(
        await failure(closed.changeSqlPrivileges("adm_sql", "adm_users", privs as never, action as never)),
      ).toBeInstanceOf(InvalidArgumentError);
    }
  });

  it("grantPermission resets the user's SQL privileges to the defaults of that permission (immudb behaviour)", async () => {
    await admin.createUser("adm_sqlreset", "Reset_pw1!", Permission.ReadWrite, "adm_users");
    await admin.grantPermission("adm_sqlreset", "defaultdb", Permission.Read);
    const u = await findUser("adm_sqlreset");
    expect(u?.permissions).toEqual([
      { database: "adm_users", permission: Permission.ReadWrite },
      { database: "defaultdb", permission: Permission.Read },
    ]);
    // the seven privileges on adm_users are gone
    expect(u?.sqlPrivileges).toEqual([{ database: "defaultdb", privilege: "SELECT" }]);
  });

  it("a user without admin rights gets typed permission errors", async () => {
    await admin.createUser("adm_plain", "Plain_pw1!", Permission.ReadWrite, "adm_users");
    const c = await connectAs("adm_plain", "Plain_pw1!", "adm_users");
    const expectDenied = async (p: Promise<unknown>, message: string) => {
      const err = await failure(p);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ code: "PERMISSION_DENIED", details: { message } });
    };
    await expectDenied(
      c.createDatabase("adm_plaindb"),
      "loggedin user does not have permissions for this operation",
    );
    await expectDenied(
      c.unloadDatabase("adm_users"),
      "the database 'adm_users' does not exist or you do not have admin permission on this database",
    );
    await expectDenied(
      c.createUser("adm_plain2", "Plain_pw2!", Permission.Read, "adm_users"),
      "you do not have permission on this database",
    );
    await expectDenied(
      c.changePassword("adm_plain", "Plain_pw1!", "Plain_pw9!"),
      "user is not system admin nor admin in any of the databases",
    );
    await expectDenied(c.flushIndex(), "permission denied");
    await expectDenied(
      c.useDatabase("defaultdb"),
      "Logged in user does not have permission on this database",
    );
    expect(c.database).toBe("adm_users");
    expect(text.decode((await c.get("k"))!.value)).toBe("v");
    expect((await c.listDatabases()).map((d) => d.name)).toEqual(["adm_users"]);
    expect(await findDatabase("adm_plaindb")).toBeUndefined();
  });

  it("a database admin manages the users of its own database only", async () => {
    await admin.createUser("adm_dbadmin", "Dbadmin_pw1!", Permission.Admin, "adm_users");
    const dbadmin = await connectAs("adm_dbadmin", "Dbadmin_pw1!", "adm_users");
    await dbadmin.createUser("adm_child", "Child_pw1!", Permission.Read, "adm_users");
    const users = (await dbadmin.listUsers()).map((u) => u.user);
    expect(users).toContain("adm_child");
    expect(users).toContain("adm_dbadmin");
    expect(users).not.toContain("immudb");
    await dbadmin.changePassword("adm_child", "", "Child_pw2!");
    const child = await connectAs("adm_child", "Child_pw2!", "adm_users");
    expect(text.decode((await child.get("k"))!.value)).toBe("v");
    await dbadmin.flushIndex({ synced: true });

    expect(
      await failure(dbadmin.createUser("adm_child2", "Child_pw1!", Permission.Read, "defaultdb")),
    ).toMatchObject({ name: "AuthenticationError", code: "PERMISSION_DENIED" });
    expect(await failure(dbadmin.createDatabase("adm_admindb"))).toMatchObject({
      name: "AuthenticationError",
      code: "PERMISSION_DENIED",
    });
  });

  it("server-side user errors are typed, and passwords never appear in them", async () => {
    await admin.createUser("adm_dup", "Dup_pw1!", Permission.Read, "adm_users");
    expect(
      await failure(admin.createUser("adm_dup", "Dup_pw1!", Permission.Read, "adm_users")),
    ).toMatchObject({
      name: "ServerError",
      code: "SERVER",
      details: { message: "user already exists" },
    });
    expect(
      await failure(admin.createUser("adm_nodb", "Nodb_pw1!", Permission.Read, "adm_nosuchdb")),
    ).toMatchObject({
      name: "ServerError",
      code: "DATABASE_NOT_FOUND",
      details: { message: "database adm_nosuchdb does not exist" },
    });
    // immudb answers NOT_FOUND for an unknown user: not a missing database
    expect(await failure(admin.grantPermission("adm_nobody", "adm_users", Permission.Read))).toMatchObject({
      name: "ServerError",
      code: "SERVER",
      details: { message: "user adm_nobody not found", grpcCode: 5 },
    });
    expect(await failure(admin.grantPermission("immudb", "adm_users", Permission.Read))).toMatchObject({
      name: "ServerError",
      code: "INVALID_ARGUMENT",
      details: { message: "changing your own permissions is not allowed" },
    });
    expect(await failure(admin.setActiveUser("immudb", false))).toMatchObject({
      name: "ServerError",
      details: { message: "changing your own status is not allowed" },
    });
    const wrongOld = await failure(admin.changePassword("immudb", "Wrong_old1!", "Secret_new1!"));
    expect(wrongOld).toMatchObject({
      name: "AuthenticationError",
      code: "PERMISSION_DENIED",
      details: { message: "old password is incorrect" },
    });
    expect(String(wrongOld)).not.toContain("Wrong_old1!");
    expect(String(wrongOld)).not.toContain("Secret_new1!");
    // The immudb user's password did not change.
    await connectAs("immudb", "immudb", "defaultdb");

    // For any other user, immudb does not check the old password.
    await admin.createUser("adm_oldpw", "Oldpw_pw1!", Permission.Read, "adm_users");
    await admin.changePassword("adm_oldpw", "not the old password", "Oldpw_pw2!");
    await connectAs("adm_oldpw", "Oldpw_pw2!", "adm_users");
  });

  it("checks user arguments before any RPC, and never shows passwords", async () => {
    const secret = "Sup3r-secret!";
    const bad: Array<() => Promise<unknown>> = [
      () => closed.createUser("", secret, Permission.Read, "adm_users"),
      () => closed.createUser("bad-name", secret, Permission.Read, "adm_users"),
      () => closed.createUser("a".repeat(64), secret, Permission.Read, "adm_users"),
      () => closed.createUser("ok_user", "", Permission.Read, "adm_users"),
      () => closed.createUser("ok_user", 42 as never, Permission.Read, "adm_users"),
      () => closed.createUser("ok_user", secret, Permission.SysAdmin, "adm_users"),
      () => closed.createUser("ok_user", secret, 3 as never, "adm_users"),
      () => closed.createUser("ok_user", secret, "1" as never, "adm_users"),
      () => closed.createUser("ok_user", secret, Permission.Read, "Adm_users"),
      () => closed.grantPermission("ok_user", "adm_users", Permission.SysAdmin),
      () => closed.grantPermission("", "adm_users", Permission.Read),
      () => closed.revokePermission("ok_user", "adm_users", 0 as never),
      () => closed.setActiveUser("ok_user", "no" as never),
      () => closed.setActiveUser("", true),
      () => closed.changePassword("ok_user", secret, ""),
      () => closed.changePassword("", secret, secret),
      () => closed.changePassword("ok_user", 7 as never, secret),
    ];
    for (const call of bad) {
      const err = await failure(call());
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(String(err)).not.toContain(secret);
    }
    const valid = await failure(closed.createUser("ok_user", secret, Permission.Admin, "adm_users"));
    expect(valid).toMatchObject({ name: "ConnectionError", code: "CLOSED" });
    expect(String(valid)).not.toContain(secret);
  });
});

describe("server", () => {
  it("serverInfo reports version, start time, databases, transactions and disk usage", async () => {
    // immudb 1.11.1 cannot count transactions while a database is unloaded: ServerInfo then fails.
    expect((await findDatabase("adm_unloaded"))?.loaded).toBe(false);
    expect(await failure(admin.serverInfo())).toMatchObject({
      name: "ServerError",
      details: { rpc: "immudb.schema.ImmuService/ServerInfo", message: "already closed" },
    });
    await admin.loadDatabase("adm_unloaded");

    const info = await admin.serverInfo();
    expect(info.version).toBe("1.11.1");
    expect(info.startedAt.getTime()).toBeGreaterThanOrEqual(suiteStart - 60_000);
    expect(info.startedAt.getTime()).toBeLessThanOrEqual(Date.now());
    const databases = await admin.listDatabases();
    // immudb counts the databases deleted since it started (adm_rt) too
    expect(info.numDatabases).toBe(databases.length + 1);
    const txs = databases.reduce((sum, d) => sum + d.numTransactions, 0n);
    expect(info.numTransactions).toBeGreaterThanOrEqual(txs);
    expect(info.numTransactions).toBeGreaterThan(0n);
    expect(typeof info.databasesDiskSize).toBe("bigint");
    expect(info.databasesDiskSize).toBeGreaterThan(0n);
  });
});
