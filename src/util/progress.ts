import { inNotebook, notebookDisplay, type InPlaceDisplay } from "./notebook-display.js";

/**
 * Progress that suits where it runs:
 *   "bar"       a terminal: one line redrawn in place ("\r"), at most 10 times a second;
 *   "lines"     a log or CI (not a terminal): a line at the start, then at most one every 10 % of the work
 *               and never more often than every few seconds (or after 30 s of silence), and the last one;
 *               never a line per step;
 *   "notebook"  a tslab notebook: one display updated in place, at most twice a second;
 *   "none"      silent.
 * `autoProgressMode` picks one. The text itself belongs to the caller (training metrics, fold counts…).
 */
export type ProgressMode = "bar" | "lines" | "notebook" | "none";

export interface ProgressSink {
  /** The current state; `fraction` ∈ [0, 1] of the work done. Drawn or dropped according to the mode. */
  update(text: string, fraction: number): void;
  /** A line that always shows (above a bar, appended in a notebook). */
  line(text: string): void;
  /** Draws the last state and ends the bar. */
  done(): void;
}

export interface ProgressTiming {
  /** Bar redraw interval (default 100 ms). */
  readonly barMs?: number;
  /** Lines: shortest interval between two lines (default 3 s). */
  readonly lineMinMs?: number;
  /** Lines: a line after this much silence even without 10 % progress (default 30 s). */
  readonly lineMaxMs?: number;
  /** Lines: progress step between two lines (default 0.1). */
  readonly lineStep?: number;
  /** Notebook redraw interval (default 500 ms). */
  readonly notebookMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

let notebookDisplayFactory: () => InPlaceDisplay | null = notebookDisplay;
let notebookAvailable: () => boolean = inNotebook;

/** "notebook" in a tslab kernel (when the output is the process's own), "bar" on a terminal, else "lines". */
export function autoProgressMode(isTTY: boolean, ownOutput = true): Exclude<ProgressMode, "none"> {
  if (ownOutput && notebookAvailable()) return "notebook";
  return isTTY ? "bar" : "lines";
}

/** For tests: stand in for tslab's display (null restores it). */
export function setNotebookDisplayForTests(factory: (() => InPlaceDisplay) | null): void {
  notebookDisplayFactory = factory ?? notebookDisplay;
  notebookAvailable = factory === null ? inNotebook : () => true;
}

export function createProgressSink(mode: ProgressMode, write: (text: string) => void, timing: ProgressTiming = {}): ProgressSink {
  const now = timing.now ?? (() => performance.now());
  if (mode === "none") return { update: () => undefined, line: () => undefined, done: () => undefined };

  if (mode === "bar") {
    const every = timing.barMs ?? 100;
    let last = -Infinity;
    let pending: string | null = null;
    let width = 0;
    const draw = (text: string) => {
      // Pad over the previous, longer text.
      write(`\r${text}${" ".repeat(Math.max(0, width - text.length))}`);
      width = text.length;
      pending = null;
    };
    return {
      update: (text, fraction) => {
        const t = now();
        if (t - last < every && fraction < 1) {
          pending = text;
          return;
        }
        last = t;
        draw(text);
      },
      line: (text) => {
        if (width > 0) write(`\r${" ".repeat(width)}\r`);
        write(`${text}\n`);
        width = 0;
      },
      done: () => {
        if (pending !== null) draw(pending);
        if (width > 0) write("\n");
        width = 0;
      },
    };
  }

  if (mode === "lines") {
    const minMs = timing.lineMinMs ?? 3000;
    const maxMs = timing.lineMaxMs ?? 30_000;
    const step = timing.lineStep ?? 0.1;
    let lastT = -Infinity;
    let lastF = -Infinity;
    let pending: string | null = null;
    const emit = (text: string, fraction: number) => {
      write(`${text}\n`);
      lastT = now();
      lastF = fraction;
      pending = null;
    };
    return {
      update: (text, fraction) => {
        const t = now();
        const first = lastT === -Infinity;
        const due = (fraction - lastF >= step && t - lastT >= minMs) || t - lastT >= maxMs;
        if (first || due) emit(text, fraction);
        else pending = text;
      },
      line: (text) => write(`${text}\n`),
      done: () => {
        if (pending !== null) emit(pending, 1);
      },
    };
  }

  // notebook
  const every = timing.notebookMs ?? 500;
  let display: InPlaceDisplay | null = null;
  let last = -Infinity;
  let current = "";
  let dirty = false;
  const lines: string[] = [];
  const show = () => {
    display ??= notebookDisplayFactory();
    const body = [...lines, current].filter((l) => l !== "").join("\n");
    if (display !== null) display.show(body);
    else write(`${current}\n`);
    dirty = false;
  };
  return {
    update: (text, fraction) => {
      current = text;
      dirty = true;
      const t = now();
      if (t - last < every && fraction < 1) return;
      last = t;
      show();
    },
    line: (text) => {
      // Kept above the progress in the same display (the last 20: a notebook output should stay short).
      lines.push(text);
      if (lines.length > 20) lines.shift();
      show();
    },
    done: () => {
      if (dirty) show();
    },
  };
}
