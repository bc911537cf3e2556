import { createRequire } from "node:module";

/**
 * An output that updates in place in a running tslab notebook (Jupyter's display_data, then
 * update_display_data with the same display_id). A long cell that prints a line per step floods the kernel's
 * socket (after a few hundred lines tslab fails with "Socket is busy writing" and the kernel dies); one
 * display redrawn a few times a second does not.
 *
 * tslab is probed through require's cache: when its jupyter module is loaded and a cell is running, the
 * process is a notebook kernel. Nothing is loaded otherwise (no zeromq in scripts and tests).
 */

type WriteDisplayData = (msg: { data: Record<string, string>; metadata: object; transient: { display_id?: string } }, update: boolean) => void;

export interface InPlaceDisplay {
  /** Replaces the display's text. */
  show(text: string): void;
}

function tslabWriter(): WriteDisplayData | null {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve("tslab/dist/jupyter.js");
    const mod = require.cache[path]?.exports as { lastWriteDisplayData?: unknown } | undefined;
    return typeof mod?.lastWriteDisplayData === "function" ? (mod.lastWriteDisplayData as WriteDisplayData) : null;
  } catch {
    return null;
  }
}

/** Whether this process is a tslab kernel running a cell. */
export function inNotebook(): boolean {
  return tslabWriter() !== null;
}

let counter = 0;

/** A new in-place text display in the running cell, or null outside a notebook. */
export function notebookDisplay(): InPlaceDisplay | null {
  const writer = tslabWriter();
  if (writer === null) return null;
  const id = `lab-progress-${process.pid}-${++counter}-${Date.now().toString(36)}`;
  let shown = false;
  return {
    show: (text) => {
      writer({ data: { "text/plain": text }, metadata: {}, transient: { display_id: id } }, shown);
      shown = true;
    },
  };
}
