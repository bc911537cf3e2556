/**
 * A coach service in its own process, for the kill/restart test (R18): argv = redis URL, checkpoint db,
 * kill-at phase ("" for none), kill-at seq. With a kill point it SIGKILLs itself on entering that phase for that
 * state's cycle — mid-graph, after the checkpoints of the nodes before it were written. An optional fifth argument
 * "EVERY:KEEP" sets the checkpoint pruning (the R18 test prunes after every cycle, the harshest setting).
 */
import { RedisBus } from "../../bus/redis-bus.js";
import { LibsqlSaver } from "../libsql-saver.js";
import { runCoachService } from "../service.js";
import { R18_RULES } from "./r18-rules.js";

const [url, db, killNode, killSeq, pruneSpec] = process.argv.slice(2) as [string, string, string, string, string | undefined];
// "EVERY:KEEP" (e.g. "1:1": prune after every cycle down to the newest checkpoint); absent: the service's default.
const prune = pruneSpec === undefined || pruneSpec === "" ? {} : { prune: { everyCycles: Number(pruneSpec.split(":")[0]), keep: Number(pruneSpec.split(":")[1]) } };
const bus = new RedisBus({ url, maxReconnectDelayMs: 100 });
await bus.waitReady();
const rules = R18_RULES;
const ctl = new AbortController();
process.on("SIGTERM", () => ctl.abort());
await runCoachService({
  bus,
  rules,
  checkpointer: new LibsqlSaver(db, { synchronous: "normal" }), // what `npm run coach` uses without --fsync
  coachId: "coach-r18",
  signal: ctl.signal,
  blockMs: 50,
  heartbeatMs: 200,
  ...prune,
  log: (line) => console.log(line),
  onPhase: (phase, s) => {
    const st = s.state;
    if (phase === killNode && st?.form === "v1" && st.seq === Number(killSeq)) process.kill(process.pid, "SIGKILL");
  },
});
await bus.close();
