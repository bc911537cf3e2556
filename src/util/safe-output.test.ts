import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutputError } from "./errors.js";
import { lockOutput, lockPathOf } from "./output-lock.js";
import { checkOutput, claimOutput, jsonFileOutput, PROJECT_ROOT, unsafeOutputReason, type OutputKind } from "./safe-output.js";

/** A folder artefact for the tests: ours when it holds marker.json with {"mine":true}. */
const FOLDER: OutputKind = {
  name: "thing",
  type: "folder",
  entries: ["marker.json", "data.bin"],
  describe: (p) => {
    try {
      return (JSON.parse(readFileSync(join(p, "marker.json"), "utf8")) as { mine?: boolean }).mine === true ? "a thing" : null;
    } catch {
      return null;
    }
  },
};
const JSON_FILE = jsonFileOutput("test/results");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "safe-output-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof OutputError) return `${err.code}@${err.field}`;
    throw err;
  }
  return "ok";
};

describe("unsafeOutputReason", () => {
  it("refuses the empty path, '.', the cwd and above, the project root, home, / and .git", () => {
    expect(unsafeOutputReason("")).toMatch(/empty/);
    expect(unsafeOutputReason("  ")).toMatch(/empty/);
    expect(unsafeOutputReason(".")).toMatch(/current folder/);
    expect(unsafeOutputReason(process.cwd())).toMatch(/current folder/);
    expect(unsafeOutputReason("..")).toMatch(/holds the current folder/);
    expect(unsafeOutputReason("/")).toMatch(/root/);
    expect(unsafeOutputReason(PROJECT_ROOT)).not.toBeNull();
    expect(unsafeOutputReason(join(PROJECT_ROOT, ".git", "x"))).toMatch(/\.git/);
    expect(unsafeOutputReason(join(dir, "new"))).toBeNull();
  });
});

describe("checkOutput / claimOutput", () => {
  it("a new path: nothing replaced; the parent is created and the output locked", () => {
    const p = join(dir, "a", "b", "new");
    const c = claimOutput(p, { kind: FOLDER });
    expect(c.replacing).toBeNull();
    expect(existsSync(join(dir, "a", "b"))).toBe(true);
    expect(existsSync(lockPathOf(p))).toBe(true);
    c.release();
    expect(existsSync(lockPathOf(p))).toBe(false);
  });

  it("a foreign folder or file is refused even with force; ours needs force", () => {
    const foreign = join(dir, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "x");
    expect(codeOf(() => checkOutput(foreign, { kind: FOLDER, force: true }))).toBe("foreign_output@out");

    const fake = join(dir, "fake");
    mkdirSync(fake);
    writeFileSync(join(fake, "marker.json"), '{"mine":false}');
    expect(codeOf(() => checkOutput(fake, { kind: FOLDER, force: true }))).toBe("foreign_output@out");

    const mixed = join(dir, "mixed");
    mkdirSync(mixed);
    writeFileSync(join(mixed, "marker.json"), '{"mine":true}');
    writeFileSync(join(mixed, "mine.txt"), "user's");
    expect(() => checkOutput(mixed, { kind: FOLDER, force: true })).toThrow(/it holds mine\.txt/);

    const ours = join(dir, "ours");
    mkdirSync(ours);
    writeFileSync(join(ours, "marker.json"), '{"mine":true}');
    writeFileSync(join(ours, ".hidden.tmp"), "temp files are not counted");
    expect(codeOf(() => checkOutput(ours, { kind: FOLDER, field: "--out" }))).toBe("output_exists@--out");
    expect(checkOutput(ours, { kind: FOLDER, force: true }).replacing).toBe("a thing");
    expect(checkOutput(ours, { kind: FOLDER, replaces: ours }).replacing).toBe("a thing");

    const file = join(dir, "file.txt");
    writeFileSync(file, "x");
    expect(codeOf(() => checkOutput(file, { kind: FOLDER }))).toBe("wrong_output_type@out");
    expect(codeOf(() => checkOutput(file, { kind: JSON_FILE, force: true }))).toBe("foreign_output@out");
    expect(codeOf(() => checkOutput(ours, { kind: JSON_FILE }))).toBe("wrong_output_type@out");
    expect(codeOf(() => checkOutput(join(file, "under"), { kind: JSON_FILE }))).toBe("not_writable@out");

    const link = join(dir, "link");
    symlinkSync(ours, link);
    expect(codeOf(() => checkOutput(link, { kind: FOLDER, force: true }))).toBe("foreign_output@out");
    expect(readFileSync(join(foreign, "notes.txt"), "utf8")).toBe("x");
  });

  it("an empty folder is free to use; a JSON file of ours needs force", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(checkOutput(empty, { kind: FOLDER }).replacing).toBeNull();
    const json = join(dir, "r.json");
    writeFileSync(json, JSON.stringify({ format: "test/results", createdAt: "2020-01-01" }));
    expect(codeOf(() => checkOutput(json, { kind: JSON_FILE, field: "--json" }))).toBe("output_exists@--json");
    expect(checkOutput(json, { kind: JSON_FILE, force: true }).replacing).toBe("a JSON results file (test/results, written 2020-01-01)");
  });

  it("an uncreatable folder is not_writable at once (no endless mkdir under /proc)", () => {
    expect(codeOf(() => claimOutput("/proc/no-such-folder/x", { kind: FOLDER }))).toBe("not_writable@out");
  });
});

describe("lockOutput", () => {
  it("a live owner blocks, naming its pid; the same process cannot take it twice; a dead owner's lock is taken over", () => {
    const p = join(dir, "locked");
    // A lock held by another live process (this test's parent, which outlives the test).
    writeFileSync(lockPathOf(p), JSON.stringify({ pid: process.ppid, command: "other run", startedAt: "then" }));
    expect(() => lockOutput(p, "--out")).toThrow(new RegExp(`being written by process ${process.ppid} \\(other run, since then\\)`));

    // A dead pid: a child that has exited.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    writeFileSync(lockPathOf(p), JSON.stringify({ pid: dead, command: "crashed run", startedAt: "then" }));
    const lock = lockOutput(p, "--out");
    expect(lock.tookOverFrom?.pid).toBe(dead);
    expect(JSON.parse(readFileSync(lockPathOf(p), "utf8")).pid).toBe(process.pid);
    expect(codeOf(() => lockOutput(p, "--out"))).toBe("output_locked@--out");
    lock.release();
    lock.release();
    expect(existsSync(lockPathOf(p))).toBe(false);
  });
});
