import { afterEach, describe, expect, it } from "vitest";
import { autoProgressMode, createProgressSink, setNotebookDisplayForTests } from "./progress.js";

/** The sinks with a fake clock: what each mode prints for 1,000 updates over 100 s. */
function drive(mode: "bar" | "lines" | "notebook", updates = 1000, seconds = 100): { written: string[]; shown: string[] } {
  let t = 0;
  const written: string[] = [];
  const shown: string[] = [];
  setNotebookDisplayForTests(() => ({ show: (text) => shown.push(text) }));
  const sink = createProgressSink(mode, (s) => written.push(s), { now: () => t });
  sink.line("header");
  for (let i = 1; i <= updates; i++) {
    t = (i / updates) * seconds * 1000;
    sink.update(`update ${i}/${updates}`, i / updates);
  }
  sink.done();
  return { written, shown };
}

afterEach(() => setNotebookDisplayForTests(null));

describe("progress sinks", () => {
  it("off a terminal: a line every 10 % (never more often than every 3 s), never one per update, and the last one", () => {
    const { written } = drive("lines");
    expect(written[0]).toBe("header\n");
    const lines = written.slice(1);
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(lines[0]).toBe("update 1/1000\n");
    expect(lines.at(-1)).toBe("update 1000/1000\n");
    // A fast run (1,000 updates in 2 s): the first and the last line only.
    expect(drive("lines", 1000, 2).written.slice(1)).toEqual(["update 1/1000\n", "update 1000/1000\n"]);
    // A slow run without progress steps of 10 %: a line at least every 30 s.
    expect(drive("lines", 5, 200).written.length).toBeGreaterThanOrEqual(5);
  });

  it("a terminal: one line redrawn in place at most 10 times a second, ended by a newline", () => {
    const { written } = drive("bar", 10_000, 100);
    const redraws = written.filter((w) => w.startsWith("\rupdate"));
    expect(redraws.length).toBeLessThanOrEqual(100 * 10 + 2);
    expect(redraws.length).toBeGreaterThan(900);
    expect(redraws.at(-1)).toMatch(/^\rupdate 10000\/10000/);
    expect(written.at(-1)).toBe("\n");
  });

  it("a notebook: one display updated in place at most twice a second, header kept above", () => {
    const { written, shown } = drive("notebook");
    expect(written).toEqual([]);
    expect(shown.length).toBeLessThanOrEqual(100 * 2 + 3);
    expect(shown.at(-1)).toBe("header\nupdate 1000/1000");
  });

  it("auto: the notebook display when the kernel's, else a bar on a terminal, else lines", () => {
    expect(autoProgressMode(true)).toBe("bar");
    expect(autoProgressMode(false)).toBe("lines");
    setNotebookDisplayForTests(() => ({ show: () => undefined }));
    expect(autoProgressMode(false)).toBe("notebook");
    expect(autoProgressMode(true, false)).toBe("bar");
  });
});
