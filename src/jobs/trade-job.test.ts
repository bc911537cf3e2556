import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript } from "../cli/testing.js";
import { trainTestCheckpoint } from "../live/testing/checkpoints.js";
import { startFakeBinance, type FakeBinance } from "../live/testing/fake-binance.js";
import { defaultJournalPath, resolveMode, runTradeJob, type TradeJobOptions } from "./trade-job.js";

/**
 * R7 at the job and the command: paper unless live is explicit, live needs the confirmation and the keys, and
 * paper and live state never share a journal. Usage errors of `npm run trade` exit 2 naming the flag.
 */
const dir = mkdtempSync(join(tmpdir(), "trade-job-"));
let ck: string;
let fake: FakeBinance;
beforeAll(async () => {
  ck = await trainTestCheckpoint(dir, "seed");
  fake = await startFakeBinance({ balances: { USDT: 1000, BTC: 0 } });
  const H = 3_600_000;
  const first = Math.floor(Date.now() / H) * H - 100 * H;
  fake.candles = Array.from({ length: 110 }, (_, i) => ({ ts: first + i * H, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 1 }));
}, 120_000);
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = (over: Partial<TradeJobOptions>): TradeJobOptions => ({
  checkpoint: ck,
  exchange: "binance",
  symbol: "BTC/USDT",
  timeframe: "1h",
  live: false,
  confirmLive: false,
  sandbox: false,
  replay: null,
  risk: "off",
  apiUrl: fake.url,
  maxTicks: 1,
  traderOptions: { lateStartMs: 3_600_000 },
  env: {},
  ...over,
});

describe("R7: dry-run by default, with isolation", () => {
  it("no mode flag means paper (its own default journal); live needs --live explicitly", () => {
    expect(resolveMode({ live: false, replay: null })).toBe("paper");
    expect(resolveMode({ live: true, replay: null })).toBe("live");
    expect(defaultJournalPath("paper", "binance", "BTC/USDT", "1h")).toBe(join("journals", "paper-binance-BTC-USDT-1h.db"));
    expect(defaultJournalPath("live", "binance", "BTC/USDT", "1h")).not.toBe(defaultJournalPath("paper", "binance", "BTC/USDT", "1h"));
  });

  it("live without the confirmation, or without keys, refuses to start before any request", async () => {
    fake.log.length = 0;
    await expect(runTradeJob(base({ live: true, journal: join(dir, "l1.db") }))).rejects.toMatchObject({ code: "invalid_config", where: "--confirm-live" });
    await expect(runTradeJob(base({ live: true, confirmLive: true, journal: join(dir, "l2.db") }))).rejects.toMatchObject({ code: "invalid_config", where: "TRADER_API_KEY" });
    expect(fake.log).toEqual([]);
  });

  it("a paper run never orders; live pointed at the paper journal refuses to start", async () => {
    const journal = join(dir, "paper.db");
    const paper = await runTradeJob(base({ journal }));
    expect(paper.summary.mode).toBe("paper");
    expect(fake.log.filter((r) => r.path === "/api/v3/order")).toEqual([]);
    await expect(runTradeJob(base({ live: true, confirmLive: true, journal, env: { TRADER_API_KEY: fake.apiKey, TRADER_API_SECRET: fake.secret } }))).rejects.toMatchObject({ code: "journal_mismatch" });
  });
});

describe("npm run trade (a real process)", () => {
  it("usage errors exit 2 naming the flag; a runtime error exits 1 in one line", async () => {
    const conflict = await runScript("scripts/trade.ts", ["--checkpoint", ck, "--live", "--paper"]);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/^npm run trade: conflicting_flags at --live: /m);
    const missing = await runScript("scripts/trade.ts", []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing_value at --checkpoint/);
    const window = await runScript("scripts/trade.ts", ["--checkpoint", ck, "--start", "2021-03-01"]);
    expect(window.code).toBe(2);
    expect(window.stderr).toMatch(/at --start: --start sets the window of a --replay/);
    const live = await runScript("scripts/trade.ts", ["--checkpoint", ck, "--live", "--confirm-live", "--api-url", fake.url, "--journal", join(dir, "cli-live.db")], { env: { ...process.env, TRADER_API_KEY: "", TRADER_API_SECRET: "" } });
    expect(live.code).toBe(1);
    expect(live.stderr.trim().split("\n").at(-1)).toMatch(/^npm run trade: invalid_config at TRADER_API_KEY: live trading needs API credentials in the environment/);
  }, 120_000);
});
