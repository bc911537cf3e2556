/**
 * `npm run dashboard -- --redis URL [--journal FILE] [--sweep DIR]... [--port 8050] [--host 127.0.0.1]`: watch and steer the trader
 * and the coach in a browser (src/dashboard, docs/dashboard.md). `npm run dashboard -- --help` lists every flag.
 */
import { CliError, defineCommand, flag, runCommand } from "../src/cli/index.js";
import { startDashboard, TOKEN_ENV } from "../src/dashboard/index.js";

export const dashboardCommand = defineCommand({
  name: "npm run dashboard",
  summary: "Serve the dashboard: the trader's portfolio, risk state, the coach's guidance and traces, health, analytics and controls, live.",
  description:
    `It listens on 127.0.0.1 unless --host says otherwise. Every page, API and event stream needs the token: set ${TOKEN_ENV} ` +
    "(at least 16 characters, not an example secret), or, on a loopback address only, let the dashboard invent one and print the URL " +
    "to open. A non-loopback --host without a token refuses to start. The token is never a flag. Controls (pause/resume entries, stop, " +
    "start, kill switch, force exit, risk caps, coach on/off) are trader_control messages the trader acknowledges on the bus. " +
    "Use the dashboard's Redis user (src/bus/acl.ts: read-only plus trader_control). SIGINT/SIGTERM stop it. See docs/dashboard.md.",
  flags: {
    redis: flag.string("Redis URL (redis://[user:password@]host:port[/db])", { placeholder: "URL", unset: "required" }),
    namespace: flag.string("prefix of every key and channel (the trader's and the coach's)", { pattern: /^[A-Za-z0-9:_-]+$/, patternText: "letters, digits, : _ -", unset: "none" }),
    journal: flag.path("the trader's journal (read-only): history, fills, risk state, events", { placeholder: "FILE", unset: "none: what the bus says since the dashboard started, and the latest keys" }),
    host: flag.string("address to listen on", { default: "127.0.0.1" }),
    port: flag.int("port to listen on (0: a free one)", { min: 0, max: 65_535, default: 8050 }),
    reports: flag.path("folder of the reports linked from the analytics", { placeholder: "DIR", default: "reports" }),
    checkpoints: flag.path("folder of the checkpoints linked from the analytics", { placeholder: "DIR", default: "checkpoints" }),
    sweep: flag.list("a sweep's output folder (npm run sweep --out): its progress.json shows live in the sweeps panel; repeat for several", { placeholder: "DIR", unset: "none: no sweeps panel" }),
    staleTicks: flag.int("missed ticks (or coach heartbeats) before the page flags the trader, the data or the coach stale", { min: 1, max: 100, default: 2 }),
    ackTimeoutMs: flag.int("how long a control waits for the trader's acknowledgement (ms)", { min: 100, max: 120_000, default: 5_000 }),
  },
  interruptible: true,
  examples: [
    "npm run dashboard -- --redis redis://dashboard:PASSWORD@127.0.0.1:6379 --journal journals/paper-binance-BTC-USDT-1h.db",
    `${TOKEN_ENV}=$(openssl rand -base64 24) npm run dashboard -- --redis redis://127.0.0.1:6379 --host 0.0.0.0 --port 8050`,
  ],
  check(f) {
    if (f.redis === undefined) throw new CliError("missing_value", "the dashboard needs the bus: --redis redis://[user:password@]host:port", "--redis");
    if (!/^rediss?:\/\//.test(f.redis)) throw new CliError("invalid_flag", `expected a redis:// or rediss:// URL, got "${f.redis.replace(/:[^:@/]*@/, ":***@")}"`, "--redis");
  },
  async run(f, ctx) {
    const dash = await startDashboard(
      {
        redis: f.redis!,
        ...(f.namespace === undefined ? {} : { namespace: f.namespace }),
        journal: f.journal ?? null,
        host: f.host,
        port: f.port,
        reportsDir: f.reports,
        checkpointsDir: f.checkpoints,
        staleTicks: f.staleTicks,
        ackTimeoutMs: f.ackTimeoutMs,
        sweeps: [...f.sweep],
      },
      { log: ctx.log },
    );
    if (dash.tokenGenerated) ctx.log(`dashboard: open ${dash.openUrl}  (a token made for this run; set ${TOKEN_ENV} to choose one)`);
    else ctx.log(`dashboard: open ${dash.url} and sign in with the token in ${TOKEN_ENV}`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await dash.close();
    ctx.log("dashboard: stopped");
  },
});

await runCommand(dashboardCommand);
