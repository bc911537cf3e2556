/**
 * Blocks of a text file (Markdown docs) that code writes: everything between `<!-- generated:NAME -->` and
 * `<!-- /generated:NAME -->`. A script rewrites the block from computed figures and a test compares the
 * committed block with a fresh computation, so numbers in docs are computed, never typed.
 */

const open = (name: string) => `<!-- generated:${name} -->`;
const close = (name: string) => `<!-- /generated:${name} -->`;

export class GeneratedBlockError extends Error {
  override readonly name = "GeneratedBlockError";
  constructor(
    /** The block's name. */
    readonly block: string,
    message: string,
  ) {
    super(message);
  }
}

function find(text: string, name: string): { start: number; end: number } {
  const a = text.indexOf(open(name));
  const b = text.indexOf(close(name));
  if (a < 0 || b < 0 || b < a) {
    throw new GeneratedBlockError(name, `no block "${name}": expected the lines ${open(name)} and ${close(name)}, in this order`);
  }
  if (text.indexOf(open(name), a + 1) >= 0) throw new GeneratedBlockError(name, `block "${name}" appears more than once`);
  return { start: a + open(name).length, end: b };
}

/** The block's content, without the marker lines' line breaks. */
export function readGeneratedBlock(text: string, name: string): string {
  const { start, end } = find(text, name);
  return text.slice(start, end).replace(/^\n/, "").replace(/\n$/, "");
}

/** `text` with the block's content replaced by `content`. */
export function replaceGeneratedBlock(text: string, name: string, content: string): string {
  const { start, end } = find(text, name);
  return `${text.slice(0, start)}\n${content.replace(/\n+$/, "")}\n${text.slice(end)}`;
}

/** The names of every block in the text, in order. */
export function generatedBlockNames(text: string): string[] {
  return [...text.matchAll(/<!-- generated:([\w-]+) -->/g)].map((m) => m[1]!);
}
