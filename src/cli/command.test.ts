import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { AgentError } from "../agent/errors.js";
import { CandleCsvError, DateRangeError, FetchError } from "../data/errors.js";
import { EvalError } from "../eval/errors.js";
import { FeatureError } from "../features/errors.js";
import { OutputError } from "../util/errors.js";
import { defineCommand, runCommand } from "./command.js";
import { CliError } from "./errors.js";
import { flag } from "./flags.js";
import { describeError } from "./format-error.js";
import { runScript } from "./testing.js";

const cmd = defineCommand({
  name: "npm run demo",
  summary: "A demo command.",
  flags: {
    steps: flag.int("budget", { min: 1, default: 10 }),
    trainStart: flag.date("first bar", { unset: "the data's first bar" }),
    preset: flag.choice(["a", "b"] as const, "preset", { default: "a" }),
    tags: flag.list("tags"),
    report: flag.offSwitch("write a report"),
    verbose: flag.switch("talk more"),
  },
  json: true,
  examples: ["npm run demo -- --steps 3"],
  run: async (f, ctx) => {
    if (f.steps === 13) throw new AgentError("invalid_config", "unlucky", "trainStart");
    if (f.steps === 14) throw new TypeError("x is undefined");
    ctx.log(`steps ${f.steps}`);
    ctx.out({ ...f });
  },
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await runCommand(cmd, argv, { exit: false, stdout, stderr });
  return { code, out, err };
}

describe("defineCommand: parsing", () => {
  it("types and defaults every flag; camelCase keys are kebab-case flags; lists repeat and split on commas", () => {
    const p = cmd.parse(["--train-start", "2020-01-01", "--tags", "x,y", "--tags", "z", "--no-report", "--verbose"]);
    expect(p.flags).toEqual({ steps: 10, trainStart: "2020-01-01", preset: "a", tags: ["x", "y", "z"], report: false, verbose: true, json: false, help: false, debug: false });
  });

  it("--help shows every flag with its default and the examples", () => {
    const h = cmd.help();
    expect(h).toContain("Usage: npm run demo -- [flags]");
    expect(h).toMatch(/--steps <N>\s+budget \(default: 10\)/);
    expect(h).toMatch(/--train-start <DATE>\s+first bar \(default: the data's first bar\)/);
    expect(h).toMatch(/--preset <a\|b>\s+preset \(default: a\)/);
    expect(h).toContain("--no-report");
    expect(h).toContain("--json");
    expect(h).toContain("Examples:\n  npm run demo -- --steps 3");
  });

  it.each([
    [["--nope"], "unknown_flag", "--nope"],
    [["--steps"], "missing_value", "--steps"],
    [["--steps", "1.5"], "invalid_flag", "--steps"],
    [["--steps", "0"], "invalid_flag", "--steps"],
    [["--train-start", "yesterday"], "bad_date", "--train-start"],
    [["--preset", "c"], "invalid_flag", "--preset"],
    [["extra"], "unexpected_argument", "argument"],
  ])("%j is a usage error naming the flag", (argv, code, field) => {
    try {
      cmd.parse(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect([(err as CliError).code, (err as CliError).field]).toEqual([code, field]);
      return;
    }
    throw new Error("expected a CliError");
  });
});

describe("runCommand: exit statuses and the one line", () => {
  it("0 with --json: stdout holds only the JSON line", async () => {
    const r = await run(["--steps", "3", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ steps: 3, json: true });
    expect(r.err).toBe("steps 3\n");
  });

  it("2 on a usage error, 1 on a runtime error with the config field shown as its flag, 1 and a --debug hint on a bug", async () => {
    const usage = await run(["--stepz", "1"]);
    expect(usage.code).toBe(2);
    expect(usage.err).toBe("npm run demo: unknown_flag at --stepz: no such flag (did you mean --steps?)\n(npm run demo -- --help lists every flag)\n");
    const runtime = await run(["--steps", "13"]);
    expect(runtime.code).toBe(1);
    expect(runtime.err).toBe("npm run demo: invalid_config at --train-start: unlucky\n");
    const bug = await run(["--steps", "14"]);
    expect(bug.code).toBe(1);
    expect(bug.err).toBe("npm run demo: internal_error: x is undefined\n(this looks like a bug: run again with --debug for the stack trace)\n");
    const debug = await run(["--steps", "14", "--debug"]);
    expect(debug.err).toMatch(/^npm run demo: internal_error: x is undefined\nTypeError: x is undefined\n\s+at /);
    const help = await run(["--help", "--stepz"]);
    expect([help.code, help.out.startsWith("Usage: npm run demo")]).toEqual([0, true]);
  });

  it("an error after tfjs's WASM backend loaded is one line, exit 1, however it is thrown (real processes)", async () => {
    // Without the guard: Emscripten's handler rethrows, Node prints the minified line (~40 KB) and exits 7.
    const raw = await runScript("src/cli/testdata/error-after-wasm.ts", ["raw"]);
    expect(raw.code).toBe(7);
    expect(raw.stderr.length).toBeGreaterThan(10_000);
    for (const how of ["thrown", "uncaught", "rejected"]) {
      const r = await runScript("src/cli/testdata/error-after-wasm.ts", [how]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^error-after-wasm: invalid_window at --(test-days|x): /);
    }
  }, 120_000);
});

describe("describeError: every project error as code, place, message", () => {
  it.each([
    [new AgentError("checkpoint_missing", "no checkpoint", "ck/manifest.json"), "checkpoint_missing", "ck/manifest.json", "no checkpoint"],
    [new EvalError("invalid_window", "too short", "--start"), "invalid_window", "--start", "too short"],
    [new OutputError("foreign_output", "x is not ours", "--out", "x"), "foreign_output", "--out", "x is not ours"],
    [new DateRangeError("bad_range", "--end", "an end after the start", "2019-01-01"), "bad_range", "--end", "expected an end after the start, got 2019-01-01"],
    [new FeatureError("invalid_spec", "specs[2].window", "a window ≥ 2", "1"), "invalid_spec", "specs[2].window", "expected a window ≥ 2, got 1"],
    [new FetchError("retries_exhausted", "gave up after 3 retries", 0), "retries_exhausted", undefined, "gave up after 3 retries"],
  ] as const)("%s", (err, code, place, message) => {
    const d = describeError(err);
    expect([d.code, d.place, d.message, d.known]).toEqual([code, place, message, true]);
  });

  it("a CSV error: the first broken rule and how many more", () => {
    const e = new CandleCsvError(
      "data/x.csv",
      [
        { code: "bad_number", line: 3, column: 2, field: "open", expected: "a decimal number", got: '"abc"' },
        { code: "bad_number", line: 4, column: 2, field: "open", expected: "a decimal number", got: '""' },
      ],
      false,
    );
    expect(describeError(e)).toEqual({ code: "bad_number", place: "data/x.csv:3 (open)", message: 'expected a decimal number, got "abc" (+1 more problems: npm run validate -- data/x.csv lists them)', known: true });
  });

  it("Node's system errors keep their code and path", () => {
    try {
      readFileSync("/no/such/file.csv");
    } catch (err) {
      expect(describeError(err)).toEqual({ code: "ENOENT", place: "/no/such/file.csv", message: "no such file or directory", known: true });
    }
  });
});
