import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { OutputError } from "./errors.js";

/**
 * An exclusive lock per output: a hidden file `.<name>.lock` beside the output, created with O_EXCL and holding
 * the owner's pid. Two runs writing the same checkpoint would otherwise both exit 0 with one run silently lost;
 * the second now fails at once, naming the first's pid. A lock whose pid is dead (a run killed with SIGKILL, a
 * crash) is stale and taken over. Locks are released by `release()` and, as a last resort, when the process
 * exits.
 */

export interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
}

export interface OutputLock {
  /** The lock file's path. */
  readonly path: string;
  /** The owner whose stale lock was taken over, if any. */
  readonly tookOverFrom: LockOwner | null;
  release(): void;
}

/** Lock files this process holds (path → count of holders), removed on exit. */
const held = new Map<string, number>();
let exitHookInstalled = false;

/** The lock file of an output path. Hidden, so that folder scans (seed folders, reports) never take it for data. */
export function lockPathOf(output: string): string {
  const target = resolve(output);
  return join(dirname(target), `.${basename(target)}.lock`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof v.pid !== "number") return null;
    return { pid: v.pid, command: String(v.command ?? "?"), startedAt: String(v.startedAt ?? "?") };
  } catch {
    return null;
  }
}

function commandLine(): string {
  return [process.argv0, ...process.argv.slice(1)].join(" ");
}

/**
 * Takes the lock of `output` or throws OutputError("output_locked") naming the live owner. `field` names the
 * flag or config field in the error. Throws OutputError("not_writable") when the lock cannot be created (the
 * folder is read-only): the lock doubles as the early check that the output can be written at all.
 */
export function lockOutput(output: string, field: string, command = commandLine()): OutputLock {
  const path = lockPathOf(output);
  if (held.has(path)) {
    throw new OutputError("output_locked", `${output} is already being written by this process (pid ${process.pid})`, field, output);
  }
  let tookOverFrom: LockOwner | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") {
        throw new OutputError("not_writable", `cannot create files in ${dirname(path)} (${code ?? String(err)})`, field, output);
      }
      const owner = readOwner(path);
      if (owner !== null && owner.pid !== process.pid && isAlive(owner.pid)) {
        throw new OutputError(
          "output_locked",
          `${output} is being written by process ${owner.pid} (${owner.command}, since ${owner.startedAt}); wait for it or stop it`,
          field,
          output,
        );
      }
      // Stale (dead owner, or unreadable half-written lock): take it over. Another process racing for it
      // loses at openSync("wx") on the next attempt.
      tookOverFrom = owner;
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify({ pid: process.pid, command, startedAt: new Date().toISOString() })}\n`);
    } finally {
      closeSync(fd);
    }
    held.set(path, 1);
    installExitHook();
    let released = false;
    return {
      path,
      tookOverFrom,
      release: () => {
        if (released) return;
        released = true;
        held.delete(path);
        // Only remove a lock that is still ours.
        if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
      },
    };
  }
  throw new OutputError("output_locked", `${output}: could not take its lock ${path} (another run keeps taking it)`, field, output);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const path of held.keys()) {
      try {
        if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
      } catch {
        // exiting anyway
      }
    }
  });
}
