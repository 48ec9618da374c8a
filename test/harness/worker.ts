/**
 * Test helper processes (multi-process state tests, reliability workers).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A child process started by {@link startWorker}. */
export interface Worker {
  readonly child: ChildProcess;
  /** Resolves to the parsed last stdout line once the process exited with code 0; rejects otherwise. */
  readonly result: Promise<Record<string, unknown>>;
  /** Resolves when the process printed its first line (or ended). */
  readonly ready: Promise<void>;
  /** Kills the process (SIGKILL) if it is still running. */
  kill(): void;
}

/**
 * Starts `node --import tsx <script> ...args` from the repository root: a helper process of a test that prints
 * progress lines and, as its last stdout line, a JSON result.
 */
export function startWorker(script: string, args: readonly string[]): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let onLine: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onLine = r;
  });
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("\n")) onLine();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const result = new Promise<Record<string, unknown>>((resolveResult, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(" ")} exited with ${code ?? signal}:\n${err}\n${out}`));
        return;
      }
      try {
        resolveResult(JSON.parse(out.trim().split("\n").at(-1) ?? "null") as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`${script}: unreadable result ${JSON.stringify(out)}: ${e}`));
      }
    });
  });
  result.catch(() => undefined); // observed by the caller; never an unhandled rejection
  return {
    child,
    result,
    ready: Promise.race([
      ready,
      result.then(
        () => undefined,
        () => undefined,
      ),
    ]),
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
