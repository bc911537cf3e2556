/**
 * A throwaway PostgreSQL server for tests (never a system one): initdb into a temp folder, pg_ctl start on a free
 * loopback port, trust auth, fsync off. Null when the binaries are not installed (the test is then skipped: the
 * project never requires PostgreSQL). As root, the server runs as the `postgres` user (PostgreSQL refuses root).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freeLoopbackPort } from "../../bus/local-redis.js";

export interface LocalPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

export async function startLocalPostgres(): Promise<LocalPostgres | null> {
  if (!has("initdb") || !has("pg_ctl")) return null;
  const root = userInfo().uid === 0;
  let uid = -1;
  let gid = -1;
  if (root) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const g = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (id.status !== 0 || !has("runuser")) return null;
    uid = Number(id.stdout.trim());
    gid = Number(g.stdout.trim());
  }
  const dir = mkdtempSync(join(tmpdir(), "drl-pg-"));
  if (root) {
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (args: string[]) => spawnSync(root ? "runuser" : args[0]!, root ? ["-u", "postgres", "--", ...args] : args.slice(1), { encoding: "utf8" });
  const port = await freeLoopbackPort();
  const init = run(["initdb", "-D", join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const start = run(["pg_ctl", "-D", join(dir, "data"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "-l", join(dir, "log"), "-w", "start"]);
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      run(["pg_ctl", "-D", join(dir, "data"), "-m", "fast", "-w", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
