import { describe, expect, it } from "vitest";
import { ConnectionLog } from "./connection-log.js";

/** The lines an outage produces, on a hand-driven clock (the real process is in src/live/redis-outage.test.ts). */
describe("ConnectionLog: one line per outage, then at most one a minute, and one on recovery", () => {
  it("200 reconnect attempts over 3.5 minutes are 1 + 3 lines, and the recovery one more", () => {
    let t = 1_000_000;
    const lines: string[] = [];
    const c = new ConnectionLog({ target: "redis://127.0.0.1:1", log: (level, line) => lines.push(`${level}: ${line}`), now: () => t });
    for (let k = 0; k < 200; k++) {
      c.error("connection commands", new Error("connect ECONNREFUSED 127.0.0.1:1"), "commands");
      if (k % 2 === 0) c.error("guidance", new Error("Stream isn't writeable"));
      t += 1_050; // 210 s in all
    }
    expect(lines.length).toBe(4);
    expect(lines[0]).toMatch(/^warn: redis redis:\/\/127\.0\.0\.1:1 unreachable \(connection commands: connect ECONNREFUSED/);
    expect(lines.slice(1).every((l) => /^warn: redis .* still unreachable after \d+ s: \d+ more failed attempt/.test(l))).toBe(true);
    expect(lines[1]).toMatch(/after 61 s: 87 more/); // the first error at least 60 s after the first line (k = 58)
    c.ready("commands");
    expect(lines.length).toBe(5);
    expect(lines[4]).toMatch(/^info: redis .* reachable again after 210 s \(300 failed attempt\(s\) meanwhile\)/);
    expect(c.failing).toBe(false);
  });

  it("the outage ends only when every connection that failed is ready again; a healthy start says nothing", () => {
    let t = 0;
    const lines: string[] = [];
    const c = new ConnectionLog({ target: "r", log: (_l, line) => lines.push(line), now: () => t, repeatMs: 10_000 });
    c.ready("commands");
    expect(lines).toEqual([]);
    c.error("connection commands", new Error("x"), "commands");
    c.error("connection block", new Error("y"), "block");
    t += 5_000;
    c.ready("commands");
    expect(lines.length).toBe(1);
    expect(c.failing).toBe(true);
    t += 6_000;
    c.error("connection block", new Error("y"), "block");
    expect(lines.length).toBe(2); // 11 s after the first line: one "still unreachable"
    c.ready("block");
    expect(lines.length).toBe(3);
    expect(lines[2]).toMatch(/reachable again after 11 s \(3 failed/);
    // A second outage starts with its own first line.
    c.error("connection commands", new Error("z"), "commands");
    expect(lines.length).toBe(4);
    expect(lines[3]).toMatch(/unreachable \(connection commands: z\)/);
  });
});
