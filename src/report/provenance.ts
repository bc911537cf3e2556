/**
 * What a report must say about where its numbers came from: the command, the config, the seeds, the data
 * (source, SHA-256, range) and the versions of everything that computed them.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface DataProvenance {
  /** File path or generator of the candles. */
  readonly source: string;
  /** SHA-256 of the file's text (hex). */
  readonly sha256: string;
  readonly rows: number;
  /** First and last bar (ISO). */
  readonly first: string;
  readonly last: string;
}

export interface Provenance {
  /** The command line that produced the run. */
  readonly command: string;
  /** ISO time the report was written. */
  readonly createdAt: string;
  /** Seed(s) of the run. */
  readonly seeds: readonly number[];
  readonly data: DataProvenance;
  /** The resolved configs (env, agent, evaluation), as JSON. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Package and runtime versions, plus the git commit when the project is a checkout. */
  readonly versions: Readonly<Record<string, string>>;
  /** Checkpoint folder(s) the policy came from, if any. */
  readonly checkpoints?: readonly string[];
}

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function packageVersion(require: NodeJS.Require, name: string): string {
  try {
    const pkg: unknown = require(`${name}/package.json`);
    const v = typeof pkg === "object" && pkg !== null ? (pkg as Record<string, unknown>)["version"] : undefined;
    return typeof v === "string" ? v : "unknown";
  } catch {
    return "not installed";
  }
}

/** The commit checked out, read from .git without running git (null outside a checkout). */
export function gitCommit(root = PROJECT_ROOT): string | null {
  try {
    const head = readFileSync(join(root, ".git", "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head;
    const ref = head.slice(5);
    const refFile = join(root, ".git", ref);
    if (existsSync(refFile)) return readFileSync(refFile, "utf8").trim();
    const packed = readFileSync(join(root, ".git", "packed-refs"), "utf8");
    const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
    return line?.split(" ")[0] ?? null;
  } catch {
    return null;
  }
}

/** Versions of the runtime and of the packages that compute or draw a run. */
export function collectVersions(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const require = createRequire(import.meta.url);
  let project = "unknown";
  try {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: unknown };
    if (typeof pkg.version === "string") project = pkg.version;
  } catch {
    // A report written outside the project tree still has the other versions.
  }
  return {
    project,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    "@tensorflow/tfjs": packageVersion(require, "@tensorflow/tfjs"),
    "plotly.js-dist-min": packageVersion(require, "plotly.js-dist-min"),
    zod: packageVersion(require, "zod"),
    gitCommit: gitCommit() ?? "unknown",
    ...extra,
  };
}
