import { accessSync, constants, lstatSync, mkdirSync, readdirSync, readFileSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { dirname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { OutputError } from "./errors.js";
import { lockOutput, type OutputLock } from "./output-lock.js";

/**
 * Outputs never destroy anything. Before any work, a run claims each path it will write:
 *   - "", ".", the current folder or one above it, the project root (or above), the home folder and "/" are refused;
 *   - an existing file or folder the project did not write (anything that is not this kind of artefact, or a
 *     folder holding files the artefact does not have) is refused, even with --force;
 *   - the project's own artefact of this kind is replaced only with --force (or when replacing it is the run's
 *     purpose, e.g. resuming a checkpoint in place), and the claim says what will be replaced;
 *   - the folder it goes into must be writable (checked by creating the lock), and the output is locked
 *     (output-lock.ts) until the run releases it.
 * Each kind of artefact is described where it is defined (checkpoints in src/agent/checkpoint.ts, reports in
 * src/report/run-report.ts); generic files here.
 */

export interface OutputKind {
  /** In words, for messages: "checkpoint", "report", "JSON results file". */
  readonly name: string;
  readonly type: "folder" | "file";
  /** Folders: the entries the artefact may hold (anything else makes the folder foreign). */
  readonly entries?: readonly (string | RegExp)[];
  /** What the project's artefact at `path` is, in words ("a checkpoint of 40/40 updates, written …"); null when it is not one. */
  describe(path: string): string | null;
}

export interface OutputRequest {
  readonly kind: OutputKind;
  /** Replace the project's existing artefact of this kind. Default false. */
  readonly force?: boolean;
  /** The flag or config field that named the path, for errors. Default "out". */
  readonly field?: string;
  /** Replacing this path is the purpose of the run (resume in place): no --force needed for it. */
  readonly replaces?: string | null;
}

export interface CheckedOutput {
  /** The path as given. */
  readonly path: string;
  readonly resolved: string;
  /** The project's artefact that will be replaced (its description), or null when nothing is there. */
  readonly replacing: string | null;
}

export interface ClaimedOutput extends CheckedOutput {
  readonly lock: OutputLock;
  /** Releases the lock (idempotent). */
  release(): void;
}

/** The project's root folder (the one holding package.json). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const within = (inner: string, outer: string): boolean => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);

/** Why `path` can never be an output, or null. */
export function unsafeOutputReason(path: string): string | null {
  if (path.trim() === "") return "an empty path would mean the current folder";
  const p = resolve(path);
  const cwd = process.cwd();
  if (p === sep) return "it is the file system's root";
  if (within(cwd, p)) return p === cwd ? "it is the current folder" : "it holds the current folder";
  if (within(PROJECT_ROOT, p)) return "it is the project's root folder (or holds it)";
  const home = homedir();
  if (home !== "" && within(home, p)) return "it is the home folder (or holds it)";
  if (p.split(sep).includes(".git")) return "it is inside a .git folder";
  if (within(p, resolve(PROJECT_ROOT, "node_modules"))) return "it is inside node_modules";
  return null;
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (err) {
    // ENOTDIR: a file somewhere on the way (reported by the parent check below).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw err;
  }
}

const matches = (name: string, pattern: string | RegExp): boolean => (typeof pattern === "string" ? name === pattern : pattern.test(name));

/**
 * Checks that `path` may be written as `req.kind`, without touching anything. Throws OutputError naming the
 * path and `req.field`; returns what would be replaced.
 */
export function checkOutput(path: string, req: OutputRequest): CheckedOutput {
  const field = req.field ?? "out";
  const kind = req.kind;
  const fail = (code: ConstructorParameters<typeof OutputError>[0], message: string): never => {
    throw new OutputError(code, message, field, path);
  };
  const unsafe = unsafeOutputReason(path);
  if (unsafe !== null) fail("unsafe_output", `refusing to write a ${kind.name} to ${JSON.stringify(path)}: ${unsafe}; name a new path`);
  const resolved = resolve(path);
  const st = lstatOrNull(resolved);
  let replacing: string | null = null;
  if (st !== null) {
    if (st.isSymbolicLink()) fail("foreign_output", `${path} is a symbolic link; a ${kind.name} is only written to a plain path`);
    if (kind.type === "folder") {
      if (!st.isDirectory()) fail("wrong_output_type", `${path} is a file, a ${kind.name} is a folder; nothing was written`);
      const entries = readdirSync(resolved);
      if (entries.length > 0) {
        const foreign = kind.entries === undefined ? [] : entries.filter((e) => !e.startsWith(".") && !kind.entries!.some((p) => matches(e, p)));
        const description = foreign.length === 0 ? kind.describe(resolved) : null;
        if (description === null) {
          const shown = (foreign.length > 0 ? foreign : entries).slice(0, 3).join(", ");
          fail("foreign_output", `${path} is a folder the project did not write as a ${kind.name} (it holds ${shown}${entries.length > 3 ? ", …" : ""}); it is never replaced: choose another path`);
        }
        replacing = description;
      }
    } else {
      if (st.isDirectory()) fail("wrong_output_type", `${path} is a folder, a ${kind.name} is a file; nothing was written`);
      const description = kind.describe(resolved);
      if (description === null) fail("foreign_output", `${path} is a file the project did not write as a ${kind.name}; it is never replaced: choose another path`);
      replacing = description;
    }
  }
  const sameAsInput = req.replaces != null && resolve(req.replaces) === resolved;
  if (replacing !== null && req.force !== true && !sameAsInput) {
    fail("output_exists", `${path} already holds ${replacing}; pass --force to replace it (or choose another path)`);
  }
  // The nearest existing folder above must be a writable folder.
  let parent = dirname(resolved);
  for (;;) {
    const pst = lstatOrNull(parent);
    if (pst !== null) {
      if (!pst.isDirectory()) fail("not_writable", `${parent} is a file, so ${path} cannot be created under it`);
      try {
        accessSync(parent, constants.W_OK);
      } catch {
        fail("not_writable", `${parent} is not writable, so ${path} cannot be written; nothing was done`);
      }
      break;
    }
    const up = dirname(parent);
    if (up === parent) break;
    parent = up;
  }
  return { path, resolved, replacing };
}

/**
 * mkdir -p, one folder at a time: Node's recursive mkdirSync never returns on some file systems that answer
 * ENOENT for a folder that cannot be created (e.g. under /proc), where this fails at once.
 */
function mkdirParents(dir: string): void {
  const missing: string[] = [];
  let p = dir;
  while (lstatOrNull(p) === null) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/**
 * Checks `path` (checkOutput), creates the folder it goes into, and takes its exclusive lock. The caller writes
 * the output (atomically) and then calls `release()`.
 */
export function claimOutput(path: string, req: OutputRequest): ClaimedOutput {
  const checked = checkOutput(path, req);
  const field = req.field ?? "out";
  try {
    mkdirParents(dirname(checked.resolved));
  } catch (err) {
    throw new OutputError("not_writable", `cannot create the folder of ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, field, path);
  }
  const lock = lockOutput(checked.resolved, field);
  // Checked again under the lock: another run may have written it meanwhile.
  let again: CheckedOutput;
  try {
    again = checkOutput(path, req);
  } catch (err) {
    lock.release();
    throw err;
  }
  return { ...again, lock, release: () => lock.release() };
}

/** A JSON file the project wrote: an object whose `format` field is `format`. */
export function jsonFileOutput(format: string, name = "JSON results file"): OutputKind {
  return {
    name,
    type: "file",
    describe: (p) => {
      try {
        const v = JSON.parse(readFileSync(p, "utf8")) as Record<string, unknown>;
        if (typeof v !== "object" || v === null || v["format"] !== format) return null;
        const when = typeof v["createdAt"] === "string" ? `, written ${v["createdAt"]}` : "";
        return `a ${name} (${format}${when})`;
      } catch {
        return null;
      }
    },
  };
}

/** A candle CSV (header timestamp,open,high,low,close,volume): replaced only with --force; anything else is foreign. */
export const CANDLE_CSV_OUTPUT: OutputKind = {
  name: "candle CSV",
  type: "file",
  describe: (p) => {
    try {
      const head = readFileSync(p, "utf8").slice(0, 64);
      return head.startsWith("timestamp,open,high,low,close,volume") ? "a candle CSV" : null;
    } catch {
      return null;
    }
  },
};
