/**
 * The coach service in its own process for the bench's service round trip (src/coach/bench.ts): argv = redis URL,
 * checkpoint database, namespace. It runs what `npm run coach` runs (runCoachService, LibsqlSaver with
 * synchronous=NORMAL, default pruning) on the bench's rules. Prints `cpu <ms>` (its own CPU time, user + system)
 * on SIGUSR2, and stops on SIGTERM.
 */
import { RedisBus } from "../bus/redis-bus.js";
import { BENCH_RULES } from "./bench.js";
import { LibsqlSaver } from "./libsql-saver.js";
import { runCoachService } from "./service.js";

const [url, db, namespace] = process.argv.slice(2) as [string, string, string];
const bus = new RedisBus({ url, namespace });
await bus.waitReady();
const saver = new LibsqlSaver(db, { synchronous: "normal" });
const ctl = new AbortController();
process.on("SIGTERM", () => ctl.abort());
process.on("SIGUSR2", () => {
  const c = process.cpuUsage();
  console.log(`cpu ${(c.user + c.system) / 1000}`);
});
await runCoachService({ bus, rules: BENCH_RULES, checkpointer: saver, coachId: "bench", signal: ctl.signal, heartbeatMs: 60_000, log: (l) => console.log(l) });
saver.close();
await bus.close();
