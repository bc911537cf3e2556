import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test } from "vitest";
import { LibsqlSaver } from "./libsql-saver.js";

// The validation suite is written for Jest-style globals: hand it vitest's before loading it.
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test });
const { validate } = await import("@langchain/langgraph-checkpoint-validation");

// R18: the chosen saver passes LangGraph's checkpointer validation suite.
let dir = "";
validate<LibsqlSaver>({
  checkpointerName: "LibsqlSaver (R18)",
  beforeAll: () => {
    dir = mkdtempSync(join(tmpdir(), "drl-saver-"));
  },
  afterAll: () => rmSync(dir, { recursive: true, force: true }),
  createCheckpointer: () => new LibsqlSaver(join(dir, `cp-${Math.random().toString(36).slice(2)}.db`)),
  destroyCheckpointer: (s) => s.close(),
});
