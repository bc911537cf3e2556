/**
 * A throwaway `redis-server` on a free loopback port with its own temp folder, for tests and benchmarks
 * (never port 6379, never a system Redis). It can be stopped and started again on the same port and folder
 * (with `appendonly`, the streams survive: R12), and configured with ACL users (R19).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LocalRedisOptions {
  /** AOF persistence (fsync every write): what survives a restart. Default true. */
  readonly appendOnly?: boolean;
  /** ACL file lines (e.g. "user default off", "user coach on >pw ~coach_guidance* +xadd"). Default: none. */
  readonly acl?: readonly string[];
  /** Extra `--name value` arguments. */
  readonly args?: readonly string[];
}

export interface LocalRedis {
  readonly port: number;
  readonly dir: string;
  /** redis://127.0.0.1:<port> (no credentials). */
  readonly url: string;
  /** A URL with a user and password. */
  urlFor(user: string, password: string): string;
  /** Stops the server (SIGTERM: it writes its AOF) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): sockets stay open, nothing answers — a half-open connection (R15). */
  pause(): void;
  /** Unfreezes it (SIGCONT). */
  resume(): void;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => (port === 6379 ? freeLoopbackPort().then(resolve, reject) : resolve(port)));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function startLocalRedis(opts: LocalRedisOptions = {}): Promise<LocalRedis> {
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(join(tmpdir(), "drl-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--protected-mode", "yes", "--daemonize", "no", "--logfile", join(dir, "redis.log")];
  args.push("--appendonly", opts.appendOnly === false ? "no" : "yes", "--appendfsync", "always");
  if (opts.acl !== undefined) {
    const aclFile = join(dir, "users.acl");
    writeFileSync(aclFile, opts.acl.join("\n") + "\n");
    args.push("--aclfile", aclFile);
  }
  args.push(...(opts.args ?? []));
  let proc: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    if (proc !== null) return;
    const p = spawn("redis-server", args, { stdio: "ignore" });
    proc = p;
    let exited = false;
    p.once("exit", () => {
      exited = true;
      if (proc === p) proc = null;
    });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (exited) throw new Error(`redis-server exited at start (port ${port}; log ${join(dir, "redis.log")})`);
      if (Date.now() > deadline) throw new Error(`redis-server not listening on 127.0.0.1:${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const stop = async (): Promise<void> => {
    const p = proc;
    if (p === null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGCONT");
      p.kill("SIGTERM");
    });
    proc = null;
  };

  await start();
  return {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    urlFor: (user, password) => `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    stop,
    start,
    pause: () => void proc?.kill("SIGSTOP"),
    resume: () => void proc?.kill("SIGCONT"),
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
