/**
 * npm run worker -- --redis URL [--workers N] [--queue NAME] [--lock-ms MS] [--name NAME]
 *
 * Joins the sweep pool: takes trials from the BullMQ queue on Redis, runs each in a process of its own and
 * writes its results where the sweep said (a path this machine must see), until SIGINT/SIGTERM (a running trial
 * goes back to the queue). Any machine that has the data can run one (src/queue/, docs/sweeps.md).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { runWorkerPool } from "../src/queue/commands.js";

const flagsSchema = z
  .object({
    redis: z.string({ message: "required: the Redis URL, e.g. redis://127.0.0.1:6379" }),
    workers: z.coerce.number().int().min(1).max(256).default(1),
    queue: z.string().min(1).optional(),
    "lock-ms": z.coerce.number().int().min(500).optional(),
    name: z.string().min(1).optional(),
  })
  .strict();

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { redis: { type: "string" }, workers: { type: "string" }, queue: { type: "string" }, "lock-ms": { type: "string" }, name: { type: "string" } }, strict: true });
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`npm run worker: --${issue.path.join(".")}: ${issue.message}`);
    return 2;
  }
  const f = parsed.data;
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (stoppedBy === null) console.error(`npm run worker: ${sig}: handing running trials back to the queue`);
      stoppedBy ??= sig;
      controller.abort();
    });
  }
  await runWorkerPool({
    redis: f.redis,
    workers: f.workers,
    signal: controller.signal,
    log: (line) => console.log(line),
    ...(f.queue === undefined ? {} : { queueName: f.queue }),
    ...(f["lock-ms"] === undefined ? {} : { lockMs: f["lock-ms"] }),
    ...(f.name === undefined ? {} : { name: f.name }),
  });
  return stoppedBy === "SIGINT" ? 130 : stoppedBy === "SIGTERM" ? 143 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`npm run worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
