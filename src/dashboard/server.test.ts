import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../bus/memory-bus.js";
import { EXAMPLES } from "../bus/messages.js";
import { parseControl } from "../bus/trader-messages.js";
import { sweepProgressFile, writeSweepProgress } from "../jobs/sweep/run-sweep.js";
import { startDashboard, type RunningDashboard } from "./dashboard.js";
import { DashboardError } from "./errors.js";

/**
 * The HTTP interface on the in-memory bus (the same Bus interface as Redis; the browser test runs the real
 * Redis, trader and coach): R20's 401s and secrets, the control endpoint's validation, the file routes.
 */
const TOKEN = "t0k3n-for-the-server-test-9Xq";
const REDIS_PASSWORD = "hunter2-redis-password";
const dir = mkdtempSync(join(tmpdir(), "dash-server-"));
let dash: RunningDashboard;
let bus: MemoryBus;

beforeAll(async () => {
  mkdirSync(join(dir, "reports", "run-a"), { recursive: true });
  writeFileSync(join(dir, "reports", "run-a", "summary.json"), JSON.stringify({ title: "Run A", provenance: {} }));
  writeFileSync(join(dir, "reports", "run-a", "report.html"), "<html><body>report</body></html>");
  writeFileSync(join(dir, "reports", "secret.txt"), "not served");
  bus = new MemoryBus();
  dash = await startDashboard(
    { redis: `redis://dashboard:${REDIS_PASSWORD}@127.0.0.1:6390`, port: 0, reportsDir: join(dir, "reports"), checkpointsDir: join(dir, "checkpoints"), ackTimeoutMs: 300 },
    { bus, env: { DASHBOARD_TOKEN: TOKEN } },
  );
  await bus.publish("ppo_state", JSON.stringify(EXAMPLES.ppoState));
});
afterAll(async () => {
  await dash?.close();
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { Authorization: `Bearer ${TOKEN}` };
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${dash.url}${path}`, { headers, redirect: "manual" });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${dash.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("R20: every page, state and control endpoint needs the token", () => {
  it("listens on loopback, given explicitly", () => {
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dash.tokenGenerated).toBe(false);
    expect(dash.openUrl).toBe(dash.url);
  });

  it("answers 401 without a token, with a wrong one, or with the token in the wrong place", async () => {
    const paths = ["/", "/api/state", "/events", "/assets/dashboard.js", "/assets/plotly.min.js", "/files/reports/run-a/report.html"];
    for (const p of paths) {
      expect((await get(p)).status, p).toBe(401);
      expect((await get(p, { Authorization: `Bearer ${TOKEN}x` })).status, p).toBe(401);
      expect((await get(p, { Authorization: TOKEN })).status, p).toBe(401);
      expect((await get(p, { Cookie: `drl_dashboard=${TOKEN}` })).status, p).toBe(401);
    }
    expect((await post("/api/control", { command: "stop" })).status).toBe(401);
    expect((await post("/api/control", { command: "stop" }, { Authorization: "Bearer nope" })).status).toBe(401);
    const j = (await (await get("/api/state")).json()) as { error: string };
    expect(j.error).toBe("unauthorized");
    // The page without a session is the sign-in form, and it holds no state.
    const html = await (await get("/")).text();
    expect(html).toMatch(/Sign in/);
    expect(html).not.toMatch(/36512|BTC\/USD/);
  });

  it("signs a browser in with ?token=, by a session cookie that is not the token", async () => {
    const r = await get(`/?token=${encodeURIComponent(TOKEN)}`);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/");
    const cookie = r.headers.get("set-cookie")!;
    expect(cookie).toMatch(/drl_dashboard=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(";")[0]!;
    const page = await get("/", { Cookie: session });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect((await get("/api/state", { Cookie: session })).status).toBe(200);
    expect((await get(`/login?token=wrong-token-123456789`)).status).toBe(401);
  });

  it("never puts the token or the Redis password in a page, an API answer, a script or an event", async () => {
    const bodies = [
      await (await get("/", auth)).text(),
      await (await get("/api/state", auth)).text(),
      await (await get("/assets/dashboard.js", auth)).text(),
      await (await post("/api/control", { command: "pause" }, auth)).text(),
    ];
    const ctl = new AbortController();
    const events = await fetch(`${dash.url}/events`, { headers: auth, signal: ctl.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = events.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    expect(text).toMatch(/^event: snapshot/);
    bodies.push(text);
    for (const b of bodies) {
      expect(b).not.toContain(TOKEN);
      expect(b).not.toContain(REDIS_PASSWORD);
    }
    const state = JSON.parse(bodies[1]!) as { view: { meta: { redis: string } } };
    expect(state.view.meta.redis).toBe("redis://dashboard:***@127.0.0.1:6390");
  });

  it("refuses to start on a non-loopback address without a token, before listening or connecting", async () => {
    const err = await startDashboard({ redis: "redis://127.0.0.1:1", host: "0.0.0.0", port: 0 }, { bus: new MemoryBus(), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashboardError);
    expect((err as DashboardError).code).toBe("insecure_config");
    const ex = await startDashboard({ redis: "redis://127.0.0.1:1", host: "0.0.0.0", port: 0 }, { bus: new MemoryBus(), env: { DASHBOARD_TOKEN: "changeme" } }).catch((e: unknown) => e);
    expect((ex as DashboardError).field).toBe("DASHBOARD_TOKEN");
  });
});

describe("a dashboard that joins late", () => {
  it("without --journal, shows the streams' newest history (as many states as maxPoints)", async () => {
    const late = new MemoryBus();
    for (let seq = 1; seq <= 12; seq++) await late.publish("ppo_state", JSON.stringify({ ...EXAMPLES.ppoState, seq, ts: EXAMPLES.ppoState.ts + seq * 3_600_000 }));
    const d = await startDashboard({ redis: "redis://127.0.0.1:6390", port: 0, reportsDir: join(dir, "reports"), checkpointsDir: join(dir, "checkpoints"), maxPoints: 10 }, { bus: late, env: { DASHBOARD_TOKEN: TOKEN } });
    try {
      // maxPoints bounds the history read: the newest 10 states.
      expect(d.model.series().map((p) => p.ts)).toEqual(Array.from({ length: 10 }, (_, i) => EXAMPLES.ppoState.ts + (i + 3) * 3_600_000));
    } finally {
      await d.close();
      await late.close();
    }
  });
});

describe("the control endpoint", () => {
  it("publishes the trader's own control message and answers 202 when no trader acknowledges it", async () => {
    const r = await post("/api/control", { command: "set_risk", args: { maxExposure: 0.4 } }, auth);
    expect(r.status).toBe(202);
    const j = (await r.json()) as { status: string; id: string; command: string };
    expect(j.status).toBe("unacknowledged");
    const sent = parseControl(await bus.latest("trader_control"));
    expect(sent.ok).toBe(true);
    if (!sent.ok) return;
    expect(sent.message).toMatchObject({ id: j.id, command: "set_risk", issuedBy: "dashboard", args: { maxExposure: 0.4 } });
    const pause = (await (await post("/api/control", { command: "pause" }, auth)).json()) as { command: string };
    expect(pause.command).toBe("stopentry");
  });

  it("refuses bad controls with the field that broke", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ command: "set_risk", args: { maxExposure: 2 } }, 400, "args.maxExposure"],
      [{ command: "set_risk", args: {} }, 400, "args"],
      [{ command: "launch" }, 400, "command"],
      [{ command: "stop", extra: 1 }, 400, ""],
      [{ command: "coach", args: { enabled: "yes" } }, 400, "args.enabled"],
      ["{not json", 400, ""],
    ];
    for (const [body, status, field] of cases) {
      const r = await post("/api/control", body, auth);
      expect(r.status, JSON.stringify(body)).toBe(status);
      const j = (await r.json()) as { field?: string };
      if (field !== "") expect(j.field, JSON.stringify(body)).toBe(field);
    }
    const form = await fetch(`${dash.url}/api/control`, { method: "POST", headers: { ...auth, "Content-Type": "text/plain" }, body: '{"command":"stop"}' });
    expect([403, 415]).toContain(form.status);
    const big = await post("/api/control", { command: "stop", pad: "x".repeat(10_000) }, auth);
    expect(big.status).toBe(413);
  });
});

describe("the file routes", () => {
  it("serve a report sandboxed and nothing outside the report and checkpoint files", async () => {
    const r = await get("/files/reports/run-a/report.html", auth);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-security-policy")).toMatch(/sandbox/);
    for (const p of ["/files/reports/run-a/secret.txt", "/files/reports/..%2Fsecret.txt/report.html", "/files/reports/../secret.txt", "/files/other/run-a/report.html", "/files/reports/.hidden/report.html", "/files/checkpoints/run-a/weights.bin"]) {
      expect((await get(p, auth)).status, p).toBe(404);
    }
  });
});

describe("GET /api/sweeps and the sweeps in the view (--sweep, R20)", () => {
  const root = join(dir, "sweep-out");
  const at = (ms: number) => new Date(Date.parse("2026-12-01T10:00:00.000Z") + ms);
  const trials = (states: Array<"waiting" | "active" | "completed" | "failed">) => states.map((state, k) => ({ id: `t-${k}`, state, progress: state === "active" ? { run: 0, runs: 1, update: 1, updates: 2 } : null, worker: state === "waiting" ? null : "w0" }));
  const progress = (states: Array<"waiting" | "active" | "completed" | "failed">, finished: boolean, updatedAt: Date) => {
    const ts = trials(states);
    return sweepProgressFile("server", { total: ts.length, completed: ts.filter((t) => t.state === "completed").length, failed: ts.filter((t) => t.state === "failed").length, waiting: ts.filter((t) => t.state === "waiting").length, active: ts.filter((t) => t.state === "active"), seconds: 1, trials: ts }, finished, "sharpe", new Map([["t-0", 0.5], ["t-1", 0.9]]), new Map(ts.map((t, k) => [t.id, k])), updatedAt);
  };
  let sweepDash: RunningDashboard;
  let clock = Date.parse("2026-12-01T10:00:01.000Z");

  beforeAll(async () => {
    mkdirSync(root);
    writeSweepProgress(root, progress(["completed", "active", "waiting"], false, at(0)));
    sweepDash = await startDashboard(
      { redis: "redis://127.0.0.1:6390", port: 0, reportsDir: join(dir, "reports"), checkpointsDir: join(dir, "checkpoints"), sweeps: [root], sweepPollMs: 50, sweepStaleMs: 15_000 },
      { bus: new MemoryBus(), env: { DASHBOARD_TOKEN: TOKEN }, now: () => clock },
    );
  });
  afterAll(() => sweepDash?.close());
  const sweeps = async (headers: Record<string, string>) => fetch(`${sweepDash.url}/api/sweeps`, { headers });

  it("answers 401 without the token, and the panel with it", async () => {
    for (const h of [{}, { Authorization: `Bearer ${TOKEN}x` }, { Authorization: TOKEN }, { Cookie: `drl_dashboard=${TOKEN}` }]) expect((await sweeps(h)).status).toBe(401);
    const r = await sweeps(auth);
    expect(r.status).toBe(200);
    const j = (await r.json()) as { sweeps: Array<Record<string, unknown>> };
    expect(j.sweeps).toHaveLength(1);
    expect(j.sweeps[0]).toMatchObject({ dir: root, name: "server", status: "running", total: 3, completed: 1, running: 1, queued: 1, failed: 0, best: { id: "t-0", value: 0.5 }, ageMs: 1_000 });
    const state = (await (await fetch(`${sweepDash.url}/api/state`, { headers: auth })).json()) as { view: { sweeps: unknown[] } };
    expect(state.view.sweeps).toEqual(j.sweeps);
  });

  it("follows the file as the sweep replaces it, and flags it stale when it stops", async () => {
    writeSweepProgress(root, progress(["completed", "completed", "failed"], false, at(2_000)));
    clock = at(3_000).getTime();
    let v: Record<string, unknown> = {};
    for (let i = 0; i < 60 && v["completed"] !== 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      v = ((await (await sweeps(auth)).json()) as { sweeps: Array<Record<string, unknown>> }).sweeps[0]!;
    }
    expect(v).toMatchObject({ status: "running", completed: 2, failed: 1, running: 0, best: { id: "t-1", value: 0.9 } });
    clock = at(2_000 + 15_001).getTime();
    v = ((await (await sweeps(auth)).json()) as { sweeps: Array<Record<string, unknown>> }).sweeps[0]!;
    expect(v).toMatchObject({ status: "stale", stale: true });
  });

  it("refuses a --sweep folder that is not a sweep's before listening, naming the flag", async () => {
    mkdirSync(join(dir, "not-a-sweep"));
    const err = await startDashboard({ redis: "redis://127.0.0.1:6390", port: 0, sweeps: [join(dir, "not-a-sweep")] }, { bus: new MemoryBus(), env: { DASHBOARD_TOKEN: TOKEN } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashboardError);
    expect(err).toMatchObject({ code: "not_a_sweep", field: "--sweep" });
  });
});
