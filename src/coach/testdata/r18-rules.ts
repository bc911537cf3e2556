/**
 * The rules of the coach's restart and pruning tests (libsql-saver.test.ts, and coach-child.ts, the service those
 * tests kill): guidance above 5 % drawdown, an explicit "no change" below it.
 */
import { ruleSetFrom } from "../rules.js";

export const R18_RULES = ruleSetFrom({
  schemaVersion: 1,
  settings: { shortWindow: 4, window: 12, ttlTicks: 3, refreshTicks: 2 },
  rules: [
    { id: "dd", when: [{ fact: "drawdown", op: ">=", value: 0.05 }], propose: { guidance: "adjust_risk", value: 0.5 }, preference: 1 },
    { id: "calm", when: [{ fact: "drawdown", op: "<", value: 0.05 }], propose: { guidance: "none" } },
  ],
});
