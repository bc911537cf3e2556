import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript, spawnScript } from "../src/cli/testing.js";

/**
 * Every command as users run it (real processes): --help lists every flag with its default and examples, a
 * usage error exits 2 naming the flag, a runtime error is one line `command: code at field: message` with exit 1
 * (never Emscripten's 40 KB dump, never a stack trace). Command-specific cases are in each command's own test.
 */
const COMMANDS = [
  ["scripts/main.ts", "npm start", ["--seed", "--steps", "--budget-seconds", "--no-train", "--split", "--run", "--force"]],
  ["scripts/train.ts", "npm run train", ["--steps", "--out", "--resume", "--seeds"]],
  ["scripts/backtest.ts", "npm run backtest", ["--checkpoint", "--data", "--start", "--end", "--sample", "--seeds", "--run", "--grid", "--json"]],
  ["scripts/fetch.ts", "npm run fetch", ["--preset", "--exchange", "--symbol", "--timeframe", "--since", "--until", "--out", "--limit", "--max-retries", "--api-url"]],
  ["scripts/validate.ts", "npm run validate", ["--timeframe", "--gaps", "--json"]],
  ["scripts/bench.ts", "npm run bench", ["--only", "--runs", "--seconds", "--envs", "--preset", "--data", "--long-run-episodes", "--reference-episodes", "--json"]],
  ["scripts/reproduce-article.ts", "npm run reproduce", ["--data", "--train-start", "--train-end", "--test-end", "--seeds", "--presets", "--steps", "--max-seconds", "--run", "--grid", "--json", "--force"]],
  ["scripts/walk-forward.ts", "npm run walk-forward", ["--data", "--train-days", "--test-days", "--anchored", "--preset", "--seeds", "--steps", "--run", "--force"]],
  ["scripts/market-stats.ts", "npm run market-stats", ["--markdown", "--json"]],
  ["scripts/gen-market.ts", "npm run gen:market", ["--seed", "--hours", "--out", "--check", "--force"]],
  ["scripts/run-notebooks.ts", "npm run test:notebooks", ["--strip", "--budget", "--no-render", "--out", "--dir", "--kernel"]],
  ["scripts/notebooks-html.ts", "npm run notebooks:html", ["--out", "--budget", "--no-check", "--force"]],
  ["scripts/market-calibration.ts", "npm run market-calibration", ["--real", "--check"]],
  ["scripts/null-experiment.ts", "npm run null-experiment", ["--markets", "--hours", "--runs", "--resamples", "--write"]],
  ["scripts/coach-experiment.ts", "npm run coach-experiment", ["--data", "--rules", "--seeds", "--steps", "--folds", "--preset", "--checkpoints", "--start", "--end", "--resamples", "--run", "--force", "--json"]],
  ["scripts/trade.ts", "npm run trade", ["--checkpoint", "--exchange", "--symbol", "--timeframe", "--redis", "--journal", "--replay", "--tick-ms", "--max-ticks", "--json"]],
  ["scripts/coach.ts", "npm run coach", ["--redis", "--rules", "--llm", "--state", "--coach-id", "--heartbeat-ms"]],
  ["scripts/learnability.ts", "npm run learnability", ["--markets", "--variants", "--seeds", "--first-seed", "--steps", "--delays", "--json"]],
] as const;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "commands-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("every command", () => {
  it.each(COMMANDS)("%s: --help lists every flag with its default and examples; a bad flag exits 2 naming it", async (script, name, flags) => {
    const help = await runScript(script, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} -- `));
    for (const f of [...flags, "--help", "--debug"]) expect(help.stdout).toContain(f);
    // Every value flag states its default (or what happens without it).
    const block = help.stdout.slice(help.stdout.indexOf("Options:"), help.stdout.indexOf("Examples:"));
    const entries = block.split(/\n(?= {2}-)/).filter((e) => /--[\w-]+ <[^>]+>/.test(e));
    for (const e of entries) expect(e.replace(/\s+/g, " ")).toMatch(/\(default: [^)]+/);
    expect(help.stdout).toMatch(/\nExamples:\n {2}(npm|node)/);

    const bad = await runScript(script, ["--no-such-flag"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe(`${name}: unknown_flag at --no-such-flag: no such flag`);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("npm start stops cleanly", () => {
  it("SIGINT during training: checkpoint saved interrupted, no report, exit 130", async () => {
    const run = spawnScript("scripts/main.ts", ["--steps", "1000000000", "--budget-seconds", "1000", "--run", "stop"], { cwd: dir });
    await run.waitFor(/update 1\//);
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/npm start: interrupted: checkpoints\/stop saved after \d+ of \d+ updates, marked interrupted \(resume: npm run train -- --resume checkpoints\/stop\); no backtest or report was made/);
    const m = JSON.parse(readFileSync(join(dir, "checkpoints", "stop", "manifest.json"), "utf8")) as { training: { status: string } };
    expect(m.training.status).toBe("interrupted");
    expect(existsSync(join(dir, "reports", "stop"))).toBe(false);
  });
});

describe("npm run null-experiment stops on a signal", () => {
  // Its loop was synchronous for minutes: SIGTERM was never seen and the run went on to its end (exit 0).
  it("SIGTERM during the experiment: exit 143 at the next market, nothing written", async () => {
    const run = spawnScript("scripts/null-experiment.ts", ["--markets", "500"], { cwd: dir });
    await run.waitFor(/null experiment: 4 experiments × 500 markets/);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(r.stderr).toMatch(/npm run null-experiment: interrupted: stopped after \d+ of 500 markets; nothing was written/);
  });
});

describe("runtime errors are one line, exit 1, before any expensive work", () => {
  it("npm start -- --split 2030-01-01 (was: 40 KB of minified tfjs, exit 7)", async () => {
    const r = await runScript("scripts/main.ts", ["--split", "2030-01-01", "--run", "x"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("npm start: bad_range at --split: expected a start at or before the data's last bar 2022-12-31T23:00Z, got 2030-01-01T00:00Z\n");
  });

  it("portfolio --actions contradicting --env's actions.kind: exit 2, one line, nothing written", async () => {
    const r = await runScript("scripts/portfolio.ts", ["--actions", "softmax_weights", "--env", '{"actions":{"kind":"weight_levels"}}', "--no-report", "--out", "pf"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`npm run portfolio: invalid_flag at --actions: --actions softmax_weights contradicts --env's actions.kind "weight_levels": give one of them`);
    expect(existsSync(join(dir, "pf"))).toBe(false);
  });

  it("reproduce --test-end before --train-end (was: 40 KB of minified tfjs, exit 7)", async () => {
    const csv = join(dir, "btc.csv");
    const rows = ["timestamp,open,high,low,close,volume"];
    const t0 = Date.UTC(2018, 4, 6);
    for (let i = 0; i < 24 * 40; i++) rows.push(`${t0 + i * 3_600_000},100,101,99,100.5,1`);
    writeFileSync(csv, `${rows.join("\n")}\n`);
    const r = await runScript("scripts/reproduce-article.ts", ["--data", csv, "--train-end", "2018-06-01", "--test-end", "2017-01-01"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual(["npm run reproduce: bad_range at --test-end: expected an end after --train-end 2018-06-01T00:00Z, got 2017-01-01T00:00Z"]);
    const json = await runScript("scripts/reproduce-article.ts", ["--data", csv, "--json", "."], { cwd: dir });
    expect(json.stderr).toContain("npm run reproduce: unsafe_output at --json:");
    const missing = await runScript("scripts/reproduce-article.ts", [], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("npm run reproduce: missing_value at --data: the candle CSV is required");
  });

  it("market-stats on a missing file; gen:market onto a file that is not a candle CSV", async () => {
    const r = await runScript("scripts/market-stats.ts", [join(dir, "nope.csv")], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`npm run market-stats: ENOENT at ${join(dir, "nope.csv")}: no such file or directory\n`);
    const notes = join(dir, "notes.txt");
    writeFileSync(notes, "mine\n");
    const g = await runScript("scripts/gen-market.ts", ["--hours", "48", "--out", notes, "--force"], { cwd: dir });
    expect(g.code).toBe(1);
    expect(g.stderr).toContain(`npm run gen:market: foreign_output at --out: ${notes} is a file the project did not write as a candle CSV`);
    expect(readFileSync(notes, "utf8")).toBe("mine\n");
  });
});
