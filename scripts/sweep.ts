/**
 * npm run sweep -- --file sweeps/example.json --redis URL [--workers N] [--out DIR] [--resume] [--json]
 *                  [--queue NAME] [--lock-ms MS]
 *
 * Expands the sweep file into trials, enqueues one BullMQ job per trial (ids = the trials' content hashes:
 * finished trials are reused), starts N pool workers here (0: only machines running `npm run worker` work),
 * shows the sweep's progress, and writes one ranked table, report.html and summary.json into the output folder
 * (default checkpoints/sweeps/<name>). --resume continues a sweep whose submitting process died. With --json the
 * last stdout line is an object with `trials` (one entry per trial). docs/sweeps.md.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { SweepAborted, SweepSpecError } from "../src/jobs/sweep/index.js";
import { runSweepOnQueue } from "../src/queue/commands.js";

const flagsSchema = z
  .object({
    file: z.string({ message: "required: the sweep file (JSON or YAML)" }),
    redis: z.string({ message: "required: the Redis URL, e.g. redis://127.0.0.1:6379" }),
    workers: z.coerce.number().int().min(0).max(256).default(1),
    out: z.string().min(1).optional(),
    resume: z.boolean().default(false),
    json: z.boolean().default(false),
    queue: z.string().min(1).optional(),
    "lock-ms": z.coerce.number().int().min(500).optional(),
  })
  .strict();

async function main(): Promise<number> {
  const strings = ["file", "redis", "workers", "out", "queue", "lock-ms"];
  const options: Record<string, { type: "string" | "boolean" }> = { resume: { type: "boolean" }, json: { type: "boolean" } };
  for (const k of strings) options[k] = { type: "string" };
  const { values } = parseArgs({ options, strict: true });
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`npm run sweep: --${issue.path.join(".")}: ${issue.message}`);
    return 2;
  }
  const f = parsed.data;
  const say = (line: string): void => void (f.json ? process.stderr : process.stdout).write(`${line}\n`);
  const controller = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => controller.abort());
  try {
    const r = await runSweepOnQueue({
      file: f.file,
      redis: f.redis,
      workers: f.workers,
      resume: f.resume,
      log: say,
      signal: controller.signal,
      command: `npm run sweep -- ${process.argv.slice(2).join(" ")}`,
      ...(f.out === undefined ? {} : { out: f.out }),
      ...(f.queue === undefined ? {} : { queueName: f.queue }),
      ...(f["lock-ms"] === undefined ? {} : { lockMs: f["lock-ms"] }),
    });
    say(`\n${r.table}\n\ntable: ${r.tablePath}\nreport: ${r.reportPath}`);
    if (f.json) process.stdout.write(`${JSON.stringify(r.json)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof SweepSpecError) {
      console.error(`npm run sweep: ${err.message}`);
      return 2;
    }
    if (err instanceof SweepAborted) {
      console.error(`npm run sweep: ${err.message}`);
      return 130;
    }
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`npm run sweep: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
