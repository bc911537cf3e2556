import { createRequire } from "node:module";
import type { Figure } from "../charts/figure.js";
import { escapeHtml, htmlTable } from "../charts/html-page.js";
import { figureHtml, plotlyScriptTag } from "../charts/plotly-embed.js";

/**
 * Rich outputs for tslab notebooks. A figure is shown as one display_data message carrying
 *  - text/html: a container and a script that draws the figure with plotly.js, and, on the first figure of a
 *    kernel session, plotly.js itself inlined from node_modules (no CDN): JupyterLab, VS Code and
 *    `jupyter nbconvert --to html` all run scripts of text/html outputs and share one page (window.Plotly)
 *    between the outputs of a notebook, so later figures only carry their data;
 *  - text/plain: a one-line summary for front ends that show no HTML (terminal consoles, text exports).
 */

export interface ShowFigureOptions {
  /** Inline plotly.js in this output even if an earlier one did (e.g. after clearing outputs). Default false. */
  readonly inlinePlotly?: boolean;
}

/** The MIME bundle of one output. */
export interface MimeBundle {
  readonly "text/html": string;
  readonly "text/plain": string;
}

let plotlyInlined = false;
let outputCounter = 0;

/** One-line text stand-in for a figure: its title, trace types and size. */
export function figureSummary(fig: Figure): string {
  const title = fig.layout["title"];
  const text = typeof title === "object" && title !== null ? (title as Record<string, unknown>)["text"] : title;
  const types = [...new Set(fig.data.map((t) => t.type))].join(", ");
  const points = fig.data.reduce((sum, t) => {
    const len = (v: unknown) => (Array.isArray(v) ? v.length : 0);
    return sum + Math.max(len(t["x"]), len(t["y"]), len(t["values"]));
  }, 0);
  const name = typeof text === "string" ? `"${text}" ` : "";
  return `Figure ${name}(${fig.data.length} trace${fig.data.length === 1 ? "" : "s"}: ${types}; ${points} points)`;
}

/** The MIME bundle that draws `fig`; plotly.js is inlined when `inlinePlotly` is true. Pure. */
export function figureBundle(fig: Figure, id: string, inlinePlotly: boolean): MimeBundle {
  const html = (inlinePlotly ? `${plotlyScriptTag()}\n` : "") + figureHtml(fig, id);
  return { "text/html": html, "text/plain": figureSummary(fig) };
}

type WriteDisplayData = (msg: { data: Record<string, string>; metadata: object; transient: object }, update: boolean) => void;

/**
 * The running tslab kernel's display channel. tslab's public `display` sends one MIME type per output, so
 * the bundle goes through the writer it keeps for that API (tslab/dist/jupyter.js, set while a cell runs).
 */
function kernelWriter(): WriteDisplayData {
  const require = createRequire(import.meta.url);
  let jupyter: unknown;
  try {
    jupyter = require("tslab/dist/jupyter.js");
  } catch {
    jupyter = undefined;
  }
  const writer =
    typeof jupyter === "object" && jupyter !== null ? (jupyter as Record<string, unknown>)["lastWriteDisplayData"] : undefined;
  if (typeof writer !== "function") {
    throw new Error("showFigure/showHtml need a running tslab kernel (they write Jupyter display messages)");
  }
  return writer as WriteDisplayData;
}

/** Displays a bundle as the output of the running cell. */
export function showBundle(bundle: MimeBundle): void {
  kernelWriter()({ data: { ...bundle }, metadata: {}, transient: {} }, false);
}

/** Draws a plotly figure in the notebook (offline; see the module comment). */
export function showFigure(fig: Figure, opts: ShowFigureOptions = {}): void {
  const inline = opts.inlinePlotly === true || !plotlyInlined;
  const id = `lab-fig-${process.pid}-${++outputCounter}-${Date.now().toString(36)}`;
  showBundle(figureBundle(fig, id, inline));
  plotlyInlined = true;
}

/** Displays trusted HTML (escape anything user-supplied with escapeHtml). */
export function showHtml(html: string, plain = "[HTML output]"): void {
  showBundle({ "text/html": html, "text/plain": plain });
}

/** Displays Markdown (e.g. a table from formatMarketStatsTable(…, "markdown")); the text is also the plain form. */
export function showMarkdown(markdown: string): void {
  kernelWriter()({ data: { "text/markdown": markdown, "text/plain": markdown }, metadata: {}, transient: {} }, false);
}

/** Displays a small table: header cells and rows (numbers printed as given; format them first). */
export function showTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const plain = [header.join("\t"), ...rows.map((r) => r.join("\t"))].join("\n");
  showHtml(htmlTable(header, rows), plain);
}

export { escapeHtml };

/** What {@link showDataFrame} needs from a table: a danfojs DataFrame has it (columns, row values, index). */
export interface FrameLike {
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
  readonly index?: readonly (string | number)[];
  readonly shape?: readonly number[];
}

export interface ShowDataFrameOptions {
  /** Rows shown from the top (default 10); the caption says how many there are. */
  readonly rows?: number;
  /** Significant digits of non-integer numbers (default 6). */
  readonly digits?: number;
  /** Line above the table. */
  readonly caption?: string;
}

/** The cell text of one value: integers as they are, other numbers with `digits` significant digits. */
export function frameCell(v: unknown, digits = 6): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(+v.toPrecision(digits)) : String(v);
  if (v === null || v === undefined) return "";
  return String(v);
}

/**
 * A DataFrame as a table in the notebook (danfojs's own `print()` draws box characters into the text output,
 * which wraps badly in a notebook): the index, the columns, the first `rows` rows.
 */
export function showDataFrame(df: FrameLike, opts: ShowDataFrameOptions = {}): void {
  const n = opts.rows ?? 10;
  const total = df.shape?.[0] ?? df.values.length;
  const rows = df.values.slice(0, n).map((row, i) => [
    String(df.index?.[i] ?? i),
    ...(Array.isArray(row) ? row : [row]).map((v) => frameCell(v, opts.digits)),
  ]);
  const caption = `${opts.caption === undefined ? "" : `${opts.caption}: `}${total.toLocaleString("en-US")} rows × ${df.columns.length} columns${total > n ? `, first ${n} shown` : ""}`;
  const header = ["", ...df.columns];
  showHtml(`<p>${escapeHtml(caption)}</p>${htmlTable(header, rows)}`, [caption, header.join("\t"), ...rows.map((r) => r.join("\t"))].join("\n"));
}
