/**
 * A real redis-server of our own on a free loopback port with a temp folder: for the tests and the sweep
 * benchmark (never port 6379, never someone else's server). Stopped and its folder removed by `stop()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LocalRedis {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** A port the OS says is free on 127.0.0.1 (bound, read, released), never 6379. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      // Never Redis's own port, where a real server may run.
      srv.close(() => (port === 6379 ? freePort().then(resolve, reject) : resolve(port)));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => (s.destroy(), resolve(false)));
    s.connect(port, "127.0.0.1");
  });
}

export async function startRedisServer(opts: { readonly binary?: string; readonly timeoutMs?: number } = {}): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), "drl-redis-"));
  const port = await freePort();
  const child = spawn(opts.binary ?? "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A test runner may end this process without running its teardown: the server must not outlive it.
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let exited: string | null = null;
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  child.once("error", (e) => (exited = e.message));
  child.once("exit", (code, signal) => (exited ??= `exited with ${signal ?? code}`));
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (!(await canConnect(port))) {
    if (exited !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      process.removeListener("exit", killOnExit);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on 127.0.0.1:${port}: ${exited ?? "timed out"}${output ? `; it said: ${output.trim()}` : ""} (is redis-server installed? scripts/setup-system.sh installs it)`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      process.removeListener("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
