import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run fetch` end to end against a local imitation of Bitfinex v2 (markets config + candles), reached
 * through `--api-url`. The bars are from 2020, so the real clock sees them all closed. No network.
 */
const run = promisify(execFile);
const H = 3_600_000;
const T0 = Date.UTC(2020, 0, 1);
let dir: string;
let server: Server;
let url: string;
const candleStarts: number[] = [];

async function fetchCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/fetch.ts", ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fetch-cli-"));
  server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    res.setHeader("Content-Type", "application/json");
    if (u.pathname.startsWith("/html/v2/candles")) {
      // A proxy's error page with status 200 (what a captive portal or a misconfigured gateway sends).
      res.setHeader("Content-Type", "text/html");
      res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
      return;
    }
    if (u.pathname.startsWith("/v2/conf/") || u.pathname.startsWith("/html/v2/conf/")) {
      const pairs = u.pathname.includes("pub:info:pair");
      res.end(JSON.stringify(pairs ? [[["BTCUSD", [null, null, null, "0.0002", "2000.0"]]], [], [], []] : Array(11).fill([])));
      return;
    }
    const start = Number(u.searchParams.get("start"));
    const limit = Number(u.searchParams.get("limit"));
    candleStarts.push(start);
    const rows = [];
    for (let i = 0; i < 48; i++) {
      const t = T0 + i * H;
      if (t >= start && rows.length < limit) rows.push([t, 100 + i, 100.5 + i, 101 + i, 99 + i, 2 + i / 4]); // MTS,O,C,H,L,V
    }
    res.end(JSON.stringify(rows));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("scripts/fetch.ts", () => {
  it("downloads, writes the CSV and its run record, then resumes after the last saved bar", async () => {
    const out = join(dir, "btc.csv");
    const args = ["--api-url", url, "--rate-limit", "1", "--since", "2020-01-01", "--until", "2020-01-01T20:00", "--out", out];
    const r = await fetchCli(...args, "--limit", "8");
    expect(r.stderr).toContain("page 3: +4 rows (20 total) up to 2020-01-01T19:00:00Z");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${out}: 20 rows 2020-01-01T00:00:00.000Z .. 2020-01-01T19:00:00.000Z, +20 this run, 0 gaps`);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines).toHaveLength(21);
    expect(lines[1]).toBe(`${T0},100,101,99,100.5,2`);
    const record = JSON.parse(readFileSync(`${out}.fetch.json`, "utf8")) as Record<string, unknown>;
    expect(record).toMatchObject({ rows: 20, config: { symbol: "BTC/USD", until: "2020-01-01T20:00", limit: 8 } });
    expect(candleStarts).toEqual([T0, T0 + 8 * H, T0 + 16 * H]);

    const again = await fetchCli(...args, "--until", "2020-01-02");
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("resuming after 20 saved rows");
    expect(again.stdout).toContain("+4 this run");
    expect(candleStarts.slice(3)).toEqual([T0 + 20 * H]);
  });

  it("prints --help, exits 2 on unknown flags and on an impossible date, naming the flag", async () => {
    const help = await fetchCli("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--since <DATE>\s+first bar, inclusive/);
    expect((await fetchCli("--nope")).code).toBe(2);
    const bad = await fetchCli("--since", "2019-02-29", "--out", join(dir, "x.csv"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("npm run fetch: bad_date at --since: expected a real calendar date");
  });

  it("refuses to resume a file of another symbol or timeframe (run record, bar spacing), leaving it untouched", async () => {
    const out = join(dir, "btc2.csv");
    const args = ["--api-url", url, "--rate-limit", "1", "--since", "2020-01-01", "--until", "2020-01-01T10:00", "--out", out];
    expect((await fetchCli(...args)).code).toBe(0);
    const before = readFileSync(out, "utf8");
    const eth = await fetchCli(...args, "--symbol", "ETH/USD", "--until", "2020-01-02");
    expect(eth.code).toBe(1);
    expect(eth.stderr).toContain(`npm run fetch: resume_mismatch at --symbol: ${out} holds bitfinex BTC/USD 1h candles (its run record ${out}.fetch.json); this run asks for bitfinex ETH/USD 1h`);
    // Without a run record, the spacing of the bars says it.
    rmSync(`${out}.fetch.json`);
    const fourHours = await fetchCli(...args, "--timeframe", "4h", "--until", "2020-01-02");
    expect(fourHours.code).toBe(1);
    expect(fourHours.stderr).toContain(`npm run fetch: resume_mismatch at --timeframe: ${out} holds 1h bars; this run fetches 4h bars`);
    expect(readFileSync(out, "utf8")).toBe(before);
  });

  it("an HTML error page is an error, not 'already up to date'", async () => {
    const out = join(dir, "html.csv");
    const r = await fetchCli("--api-url", `${url}/html`, "--rate-limit", "1", "--since", "2020-01-01", "--until", "2020-01-02", "--out", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/npm run fetch: not_json: bitfinex fetchOHLCV BTC\/USD 1h since 2020-01-01T00:00:00.000Z: the reply is not the exchange's JSON but "<html><body><h1>502 Bad Gateway/);
    expect(r.stderr).toContain(`nothing was saved (${out} not created)`);
    expect(r.stderr).not.toContain("up to date");
    expect(existsSync(out)).toBe(false);
  });

  it("an unreachable host fails within seconds, naming the cause, never claiming rows saved", async () => {
    const out = join(dir, "none.csv");
    for (const [api, cause] of [
      ["http://127.0.0.1:1", "connection refused (ECONNREFUSED 127.0.0.1:1)"],
      ["http://no-such-host.invalid", "DNS: the host name does not resolve (ENOTFOUND no-such-host.invalid)"],
    ] as const) {
      const t0 = performance.now();
      const r = await fetchCli("--api-url", api, "--since", "2020-01-01", "--until", "2020-01-02", "--out", out);
      const seconds = (performance.now() - t0) / 1000;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`npm run fetch: unreachable: ${new URL(api).host}: ${cause}; not retried; nothing was saved (${out} not created)`);
      expect(seconds).toBeLessThan(30);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("refuses an output that is not a candle CSV, or is the current folder", async () => {
    const notes = join(dir, "notes.txt");
    writeFileSync(notes, "my notes\n");
    const r = await fetchCli("--api-url", url, "--out", notes);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`npm run fetch: foreign_output at --out: ${notes} is a file the project did not write as a candle CSV`);
    expect(readFileSync(notes, "utf8")).toBe("my notes\n");
    const cwd = await fetchCli("--api-url", url, "--out", ".");
    expect(cwd.stderr).toContain("unsafe_output at --out");
  });
});
