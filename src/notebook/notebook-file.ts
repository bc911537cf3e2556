import { FIGURE_CLASS } from "../charts/plotly-embed.js";

/**
 * The parts of the .ipynb format (nbformat 4) the notebook runner needs: reading, checking that a committed
 * notebook carries no outputs, stripping outputs, and counting figure outputs. Pure functions over the
 * parsed JSON; unknown fields are kept as they are.
 */

export interface NotebookCell {
  readonly cell_type: string;
  readonly id?: string;
  readonly source: string | readonly string[];
  readonly metadata?: Record<string, unknown>;
  readonly outputs?: readonly Record<string, unknown>[];
  readonly execution_count?: number | null;
  readonly [key: string]: unknown;
}

export interface Notebook {
  readonly cells: readonly NotebookCell[];
  readonly metadata: Record<string, unknown>;
  readonly nbformat: number;
  readonly nbformat_minor: number;
}

export class NotebookFormatError extends Error {
  override readonly name = "NotebookFormatError";
  constructor(
    readonly code: "NOT_JSON" | "NOT_A_NOTEBOOK",
    /** The notebook file. */
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export function parseNotebook(text: string, file: string): Notebook {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError("NOT_JSON", file, `not valid JSON (${(err as Error).message})`);
  }
  const nb = value as Partial<Notebook> | null;
  if (typeof nb !== "object" || nb === null || !Array.isArray(nb.cells) || typeof nb.nbformat !== "number") {
    throw new NotebookFormatError("NOT_A_NOTEBOOK", file, "expected an nbformat 4 notebook: an object with cells[] and nbformat");
  }
  if (nb.nbformat !== 4) throw new NotebookFormatError("NOT_A_NOTEBOOK", file, `expected nbformat 4, got ${nb.nbformat}`);
  return value as Notebook;
}

/** Jupyter's own layout: one-space indent, trailing newline (keeps diffs of committed notebooks small). */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 1)}\n`;
}

export function cellSource(cell: NotebookCell): string {
  return typeof cell.source === "string" ? cell.source : cell.source.join("");
}

/** 0-based indices of code cells that carry outputs or an execution count. */
export function cellsWithOutputs(nb: Notebook): number[] {
  const found: number[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if ((cell.outputs?.length ?? 0) > 0 || (cell.execution_count !== null && cell.execution_count !== undefined)) found.push(i);
  });
  return found;
}

/**
 * The notebook without outputs: code cells get `outputs: []` and `execution_count: null`, per-cell execution
 * timestamps are dropped, and cells without an id get a stable one (`cell-<index>`, as nbformat 4.5 requires).
 */
export function stripNotebook(nb: Notebook): Notebook {
  const cells = nb.cells.map((cell, i) => {
    const { execution: _execution, ...metadata } = cell.metadata ?? {};
    const base: NotebookCell = { ...cell, id: cell.id ?? `cell-${i}`, metadata };
    return cell.cell_type === "code" ? { ...base, outputs: [], execution_count: null } : base;
  });
  return { ...nb, cells, nbformat_minor: Math.max(nb.nbformat_minor, 5) };
}

/** Number of outputs that draw a figure (a text/html part with a figure container). */
export function figureOutputCount(nb: Notebook): number {
  let count = 0;
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const data = out["data"];
      if (typeof data !== "object" || data === null) continue;
      const html = (data as Record<string, unknown>)["text/html"];
      const text = Array.isArray(html) ? html.join("") : html;
      if (typeof text === "string") count += text.split(`class="${FIGURE_CLASS}"`).length - 1;
    }
  }
  return count;
}

/** The text a cell printed (stream outputs, error tracebacks), e.g. to show why it failed. */
export function cellOutputText(cell: NotebookCell, streams: readonly ("stdout" | "stderr")[] = ["stdout", "stderr"]): string {
  const parts: string[] = [];
  for (const out of cell.outputs ?? []) {
    if (out["output_type"] === "stream" && streams.includes(out["name"] as "stdout" | "stderr")) {
      const text = out["text"];
      parts.push(Array.isArray(text) ? text.join("") : String(text ?? ""));
    } else if (out["output_type"] === "error") {
      const tb = out["traceback"];
      parts.push(Array.isArray(tb) ? tb.join("\n") : `${String(out["ename"])}: ${String(out["evalue"])}`);
    }
  }
  return parts.join("");
}
