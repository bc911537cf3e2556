import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../bus/memory-bus.js";
import { DEFAULT_CHROMIUM_PATH } from "../charts/render-check.js";
import { InProcessTrialQueue, type TrialStatus } from "../jobs/sweep/queue.js";
import { runSweep, sweepProgressFile, writeSweepProgress, type SweepProgress } from "../jobs/sweep/run-sweep.js";
import { expandSweep, parseSweepFile } from "../jobs/sweep/spec.js";
import { startDashboard, type RunningDashboard } from "./dashboard.js";

/**
 * The sweeps panel in headless Chromium: a real tiny sweep (two trials of the default agent on the embedded
 * market, the in-process queue) runs into a folder the dashboard watches (--sweep), and the page shows it live
 * until it finishes, with its best trial the ranked table's; a second folder's progress.json (the sweep's own
 * writer) stops updating and the page flags it stale, then follows it when it is replaced, without a reload.
 * The bus is the in-memory one: the sweeps panel needs no Redis (the trader's page test runs the real one).
 * Set DASHBOARD_SWEEP_SCREENSHOT=docs/images/dashboard-sweeps.png to refresh the documentation's screenshot.
 */
const dir = mkdtempSync(join(tmpdir(), "dash-sweep-page-"));
const TOKEN = "sweep-page-token-Qx81vLm2p";
let browser: Browser;
let dash: RunningDashboard | null = null;
let sweepRun: Promise<Awaited<ReturnType<typeof runSweep>>> | null = null;
const queue = new InProcessTrialQueue();

const sweep = expandSweep(
  parseSweepFile({
    name: "page-tiny",
    base: { preset: "default", envPreset: "seed", engine: "fused" },
    grid: { "agent.ppo.learningRate": [0.001, 0.003] },
    seeds: [0],
    windows: { split: { trainStart: "2022-10-01", trainEnd: "2022-11-15", testEnd: "2022-12-15" } },
    budget: { steps: 1_024 },
  }),
);
const live = join(dir, "live");
const halted = join(dir, "halted");

/** The halted sweep's snapshot: `completed` of three trials done, the next running, the rest waiting. */
function haltedProgress(completed: number): SweepProgress {
  const states = [0, 1, 2].map((k) => (k < completed ? "completed" : k === completed ? "active" : "waiting") as TrialStatus["state"]);
  const trials = states.map((state, k) => ({ id: `t-h${k}`, state, progress: state === "active" ? { run: 0, runs: 1, update: 1, updates: 4 } : null, worker: state === "waiting" ? null : "w0" }));
  return { total: 3, completed: trials.filter((t) => t.state === "completed").length, failed: 0, waiting: trials.filter((t) => t.state === "waiting").length, active: trials.filter((t) => t.state === "active"), seconds: 5, trials };
}
const haltedValues = new Map([["t-h0", 0.125], ["t-h1", 0.75], ["t-h2", -0.5]]);
const haltedIndex = new Map([["t-h0", 0], ["t-h1", 1], ["t-h2", 2]]);

beforeAll(async () => {
  mkdirSync(halted);
  // Written 10 minutes ago by the sweep's writer: its submitter is gone.
  writeSweepProgress(halted, sweepProgressFile("halted", haltedProgress(1), false, "sharpe", haltedValues, haltedIndex, new Date(Date.now() - 600_000)));
  sweepRun = runSweep({ sweep, file: "page-tiny.json", root: live, queue, resamples: 50, pollMs: 20 });
  // The dashboard accepts the folder once the sweep has recorded itself in it.
  for (let i = 0; i < 600 && !existsSync(join(live, "sweep.json")); i++) await new Promise((r) => setTimeout(r, 10));
  dash = await startDashboard({ redis: "redis://127.0.0.1:6390", port: 0, reportsDir: join(dir, "reports"), checkpointsDir: join(dir, "checkpoints"), sweeps: [live, halted], sweepPollMs: 200 }, { bus: new MemoryBus(), env: { DASHBOARD_TOKEN: TOKEN } });
  browser = await chromium.launch({ executablePath: process.env["CHROMIUM_PATH"] ?? DEFAULT_CHROMIUM_PATH, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"] });
}, 60_000);

afterAll(async () => {
  await sweepRun?.catch(() => undefined);
  await queue.close();
  await browser?.close();
  await dash?.close();
  rmSync(dir, { recursive: true, force: true });
});

const badge = (page: Page, k: number) => page.locator(`#sweep-${k} .sweep-status`).getAttribute("data-status");

describe("the sweeps panel (headless Chromium, a real sweep)", () => {
  it("shows a real sweep live until it finishes, its best trial the ranked table's, and flags a halted one stale until it moves again", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(`${dash!.url}/?token=${encodeURIComponent(TOKEN)}`, { waitUntil: "load" });
    await page.waitForFunction(() => !(document.getElementById("sweeps") as HTMLElement).hidden && document.querySelectorAll(".sweep").length === 2, undefined, { timeout: 10_000 });

    // The real sweep: both trials listed, then finished with the ranked table's best.
    await page.waitForFunction(() => document.querySelector("#sweep-0 .sweep-status")?.getAttribute("data-status") === "finished", undefined, { timeout: 120_000 });
    const result = await sweepRun!;
    const best = result.summary.trials[0]!;
    const bestIndex = sweep.trials.find((t) => t.id === best.id)!.index;
    expect(await page.locator("#sweep-0 h3").textContent()).toContain("sweep page-tiny");
    expect(await page.locator("#sweep-0 .sweep-tile-0").textContent()).toBe("2 / 2");
    expect(await page.locator("#sweep-0 .sweep-tile-4").textContent()).toBe(`${best.rankValue!.toLocaleString("en-US", { maximumFractionDigits: 4 })} (#${bestIndex})`);
    const rows = await page.locator("#sweep-0 tr.sweep-trial").evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
    expect(rows.map((r) => [r[0], r[1], r[2], r[6]])).toEqual(sweep.trials.map((t) => [String(t.index), t.id, "completed", t.id === best.id ? "best" : ""]));
    const file = JSON.parse(readFileSync(join(live, "progress.json"), "utf8")) as { updatedAt: string };
    expect(await page.locator("#sweep-0 .sweep-tile-5").textContent()).toBe(file.updatedAt.slice(0, 19).replace("T", " "));

    // The halted one: stale (its heartbeat stopped 10 minutes ago), 1 of 3 done.
    expect(await badge(page, 1)).toBe("stale");
    expect(await page.locator("#sweep-1 .sweep-detail").textContent()).toMatch(/^no update for 10\.\d min \(bound 15\.0 s\): the submitter stopped or died/);
    expect(await page.locator("#sweep-1 .sweep-tile-0").textContent()).toBe("1 / 3");
    // Its submitter comes back (--resume) and writes again: the page follows, no reload.
    writeSweepProgress(halted, sweepProgressFile("halted", haltedProgress(2), false, "sharpe", haltedValues, haltedIndex));
    await page.waitForFunction(() => document.querySelector("#sweep-1 .sweep-status")?.getAttribute("data-status") === "running", undefined, { timeout: 5_000 });
    expect(await page.locator("#sweep-1 .sweep-tile-0").textContent()).toBe("2 / 3");
    expect(await page.locator("#sweep-1 .sweep-tile-4").textContent()).toBe("0.75 (#1)");
    expect(await page.locator("#sweep-1 tr.sweep-trial").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-state")))).toEqual(["completed", "completed", "active"]);
    expect(errors).toEqual([]);
    const shot = process.env["DASHBOARD_SWEEP_SCREENSHOT"];
    if (shot) await page.locator("#sweeps").screenshot({ path: shot });
    await context.close();
  }, 180_000);
});
