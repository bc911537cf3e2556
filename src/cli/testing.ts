/**
 * Test helpers for commands: run a script as users run it (node + tsx, or through npm), in a real process,
 * and look at its exit status and output. Used by every command's test (scripts/*.test.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** tsx's loader by absolute path, so that scripts run from any working folder. */
export const TSX_LOADER = resolve(ROOT, "node_modules", "tsx", "dist", "loader.mjs");

export interface ScriptResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Own process group (so that a test can signal the group: process.kill(-pid)). */
  readonly detached?: boolean;
  /** Kill (SIGKILL) after this many ms (default 120 s): a hung command fails its test instead of the suite. */
  readonly timeoutMs?: number;
}

export interface RunningScript {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly done: Promise<ScriptResult>;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout+stderr matches `re` (rejects if the process ends first or after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

function start(command: string, args: readonly string[], opts: SpawnOptions): RunningScript {
  const child = spawn(command, [...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...opts.env },
    detached: opts.detached === true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters: { re: RegExp; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.re.test(out + err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    check();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    check();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  const done = new Promise<ScriptResult>((resolveDone) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.reject(new Error(`process ended (code ${code}, signal ${signal}) before ${w.re}:\n${out}\n${err}`));
      resolveDone({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    pid: child.pid!,
    done,
    stdout: () => out,
    stderr: () => err,
    waitFor: (re, ms = 60_000) =>
      new Promise<void>((res, rej) => {
        if (re.test(out + err)) return res();
        const t = setTimeout(() => rej(new Error(`timed out waiting for ${re}:\n${out}\n${err}`)), ms);
        waiters.push({ re, resolve: () => (clearTimeout(t), res()), reject: (e) => (clearTimeout(t), rej(e)) });
      }),
  };
}

/** Starts `node --import tsx scripts/<script>` with `args`. */
export function spawnScript(script: string, args: readonly string[], opts: SpawnOptions = {}): RunningScript {
  return start(process.execPath, ["--import", TSX_LOADER, resolve(ROOT, script), ...args], opts);
}

/** Starts `npm run <name> -- args` in the project root. */
export function spawnNpm(name: string, args: readonly string[], opts: SpawnOptions = {}): RunningScript {
  return start("npm", ["run", "--silent", name, "--", ...args], { ...opts, cwd: opts.cwd ?? ROOT });
}

/** Runs a script to its end. */
export function runScript(script: string, args: readonly string[], opts: SpawnOptions = {}): Promise<ScriptResult> {
  return spawnScript(script, args, opts).done;
}

/** Whether any process of process group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the processes whose parent is `pid` (Linux /proc): a worker's trial processes, say. */
export function childPids(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Whether process `pid` is alive (exists and is not a zombie; Linux /proc). */
export function processAlive(pid: number): boolean {
  try {
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return false;
  }
}
