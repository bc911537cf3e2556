/**
 * A command that loads tfjs's WASM backend (which installs Emscripten's uncaught-exception handler) and then
 * fails: `thrown` from run, `uncaught` from a timer, `rejected` as an unhandled rejection. Without src/cli's
 * guard the last two print ~40 KB of minified code and exit 7. Run by command.test.ts; `raw` skips runCommand.
 */
import { defineCommand, flag, runCommand } from "../index.js";
import { EvalError } from "../../eval/errors.js";

const how = process.argv[2] ?? "thrown";

async function loadWasm(): Promise<void> {
  const tf = await import("@tensorflow/tfjs");
  await import("@tensorflow/tfjs-backend-wasm");
  await tf.setBackend("wasm");
  await tf.ready();
}

const fail = (): never => {
  throw new EvalError("invalid_window", "the fold's test window falls in a data outage", "--test-days");
};

if (how === "raw") {
  await loadWasm();
  setTimeout(fail, 0);
} else {
  await runCommand(
    defineCommand({
      name: "error-after-wasm",
      summary: "fails after loading the WASM backend",
      flags: { mode: flag.choice(["thrown", "uncaught", "rejected"] as const, "how to fail", { default: "thrown" }) },
      examples: ["error-after-wasm --mode uncaught"],
      async run(f) {
        await loadWasm();
        if (f.mode === "thrown") fail();
        if (f.mode === "uncaught") setTimeout(fail, 0);
        if (f.mode === "rejected") void Promise.reject(new EvalError("invalid_window", "rejected", "--x"));
        await new Promise((r) => setTimeout(r, 2000));
      },
    }),
    ["--mode", how],
  );
}
