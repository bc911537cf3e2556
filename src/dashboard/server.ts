/**
 * The dashboard's HTTP interface (hono on @hono/node-server):
 *
 *   GET  /                 the page (after sign-in; otherwise the sign-in form, 401)
 *   GET  /?token=T, /login?token=T, POST /login   sign in: sets the session cookie, redirects to /
 *   GET  /api/state        the latest view and figures as JSON
 *   GET  /api/sweeps       the sweeps panel alone (each --sweep folder's progress), as JSON
 *   GET  /events           server-sent events: "snapshot" on connect, then "update" on every change and every second
 *   POST /api/control      {"command": "pause" | "resume" | "stop" | "start" | "kill" | "forceexit" | "set_risk" | "coach", "args"?: …}
 *   GET  /files/reports/<name>/report.html|summary.json, /files/checkpoints/<name>/manifest.json
 *   GET  /assets/plotly.min.js, /assets/dashboard.js, /assets/dashboard.css
 *
 * Everything but the sign-in routes answers 401 without the token (Authorization: Bearer) or the session cookie
 * (R20). The page runs under a Content-Security-Policy that allows only this origin's scripts and connections; a
 * report (which inlines its own scripts) is served sandboxed, in an opaque origin that cannot use the session.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import { z } from "zod";
import { plotlyJsSource } from "../charts/plotly-embed.js";
import { ARTEFACT_NAME, SERVED_FILES } from "./analytics.js";
import { SESSION_COOKIE, type TokenGuard } from "./auth.js";
import { controlRequestSchema, type ControlSender } from "./controls.js";
import { DashboardError } from "./errors.js";
import { dashboardCss, dashboardPage, dashboardScript, loginPage } from "./page.js";

/** What the server sends: the view and, when they changed, the figures. */
export interface Snapshot {
  readonly view: unknown;
  readonly figures: unknown | null;
}

/** The server's view of the rest of the dashboard (the composition point builds it). */
export interface DashboardBackend {
  /** The full snapshot (view and figures). */
  snapshot(): Snapshot;
  /** The sweeps panel alone (GET /api/sweeps): one view per --sweep folder. */
  sweeps(): readonly unknown[];
  /** Calls `listener(snapshot)` on each coalesced change and every second; returns the unsubscribe function. */
  subscribe(listener: (s: Snapshot) => void): () => void;
  readonly controls: ControlSender;
  readonly reportsDir: string;
  readonly checkpointsDir: string;
  readonly ackTimeoutMs: number;
}

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function createDashboardApp(guard: TokenGuard, backend: DashboardBackend): { app: Hono; closeStreams: () => void } {
  const app = new Hono();
  const streams = new Set<SSEStreamingApi>();

  app.use("*", async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  });
  app.use("*", csrf());

  const signIn = (c: Context, token: string | undefined) => {
    if (!guard.tokenMatches(token)) return c.html(loginPage(token === undefined ? "Sign in with the dashboard's token." : "That token is not this dashboard's."), 401);
    setCookie(c, SESSION_COOKIE, guard.sessionValue, { httpOnly: true, sameSite: "Strict", path: "/" });
    return c.redirect("/", 303);
  };
  app.get("/login", (c) => signIn(c, c.req.query("token")));
  app.post("/login", bodyLimit({ maxSize: 4096 }), async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const t = form["token"];
    return signIn(c, typeof t === "string" ? t : "");
  });
  app.get("/logout", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/login", 303);
  });

  // Every other route needs the token or the session.
  app.use("*", async (c, next) => {
    if (c.req.path === "/" && c.req.query("token") !== undefined) return signIn(c, c.req.query("token"));
    if (guard.authorised(c.req.header("Authorization"), getCookie(c, SESSION_COOKIE))) return next();
    if (c.req.path === "/" && c.req.method === "GET") return c.html(loginPage("Sign in with the dashboard's token."), 401);
    return c.json({ error: "unauthorized", message: "this endpoint needs the dashboard's token (Authorization: Bearer <token>) or a signed-in session" }, 401);
  });

  app.get("/", (c) => {
    c.header("Content-Security-Policy", PAGE_CSP);
    return c.html(dashboardPage());
  });
  app.get("/assets/plotly.min.js", (c) => {
    c.header("Cache-Control", "private, max-age=86400");
    return c.body(plotlyJsSource(), 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });
  app.get("/assets/dashboard.js", (c) => c.body(dashboardScript(), 200, { "Content-Type": "text/javascript; charset=utf-8" }));
  app.get("/assets/dashboard.css", (c) => c.body(dashboardCss(), 200, { "Content-Type": "text/css; charset=utf-8" }));
  app.get("/favicon.ico", (c) => c.body(null, 204));

  app.get("/api/state", (c) => c.json(backend.snapshot()));
  app.get("/api/sweeps", (c) => c.json({ sweeps: backend.sweeps() }));

  app.get("/events", (c) =>
    streamSSE(c, async (stream) => {
      streams.add(stream);
      // Writes go out in order, one at a time; a client that falls behind skips updates (each carries the whole view).
      let writing: Promise<unknown> = Promise.resolve();
      let queued = 0;
      let needFigures = false;
      const send = (event: string, s: Snapshot): void => {
        if (stream.aborted || stream.closed) return;
        if (queued > 8) {
          if (s.figures !== null) needFigures = true;
          return;
        }
        let out = s;
        if (needFigures && s.figures === null) out = backend.snapshot();
        needFigures = false;
        queued++;
        const data = JSON.stringify(out);
        writing = writing.then(() => stream.writeSSE({ event, data })).catch(() => stream.abort()).finally(() => queued--);
      };
      send("snapshot", backend.snapshot());
      const off = backend.subscribe((s) => send("update", s));
      await new Promise<void>((resolve) => {
        stream.onAbort(() => resolve());
        const ping = setInterval(() => {
          if (stream.aborted || stream.closed) {
            clearInterval(ping);
            resolve();
            return;
          }
          writing = writing.then(() => stream.write(": ping\n\n")).catch(() => stream.abort());
        }, 15_000);
        stream.onAbort(() => clearInterval(ping));
      });
      off();
      streams.delete(stream);
    }),
  );

  app.post("/api/control", bodyLimit({ maxSize: 4096, onError: (c) => c.json({ error: "too_large", message: "a control message is at most 4096 bytes" }, 413) }), async (c) => {
    if (!(c.req.header("Content-Type") ?? "").toLowerCase().startsWith("application/json")) {
      return c.json({ error: "unsupported_media_type", message: "send the control as JSON (Content-Type: application/json)" }, 415);
    }
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: "malformed_json", message: "the body is not JSON" }, 400);
    }
    const req = controlRequestSchema.safeParse(raw);
    if (!req.success) {
      const issue = req.error.issues[0]!;
      return c.json({ error: "invalid_control", field: issue.path.join(".") || "command", message: issue.message }, 400);
    }
    let result;
    try {
      result = await backend.controls.send(req.data);
    } catch (err) {
      if (err instanceof z.ZodError) return c.json({ error: "invalid_control", field: err.issues[0]?.path.join(".") ?? "", message: err.issues[0]?.message ?? "refused by the trader's schema" }, 400);
      throw err;
    }
    if (result.status === "not_sent") return c.json({ ...result, error: "bus_unavailable", message: "Redis is down: the control was not sent" }, 503);
    if (result.status === "unacknowledged") return c.json({ ...result, timeoutMs: backend.ackTimeoutMs }, 202);
    return c.json(result, 200);
  });

  app.get("/files/:kind/:name/:file", (c) => {
    const kind = c.req.param("kind");
    const name = c.req.param("name");
    const file = c.req.param("file");
    if (kind !== "reports" && kind !== "checkpoints") return c.json({ error: "not_found" }, 404);
    const type = SERVED_FILES[kind][file];
    if (type === undefined || !ARTEFACT_NAME.test(name)) return c.json({ error: "not_found" }, 404);
    let body: Buffer;
    try {
      body = readFileSync(join(kind === "reports" ? backend.reportsDir : backend.checkpointsDir, name, file));
    } catch {
      return c.json({ error: "not_found" }, 404);
    }
    // A report runs its own inline scripts: in a sandbox, with an opaque origin (no session, no API).
    if (file === "report.html") c.header("Content-Security-Policy", "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:");
    return c.body(new Uint8Array(body), 200, { "Content-Type": type });
  });

  app.notFound((c) => c.json({ error: "not_found" }, 404));
  app.onError((err, c) => (err instanceof HTTPException ? c.json({ error: err.status === 403 ? "forbidden" : "http_error", message: err.message.slice(0, 200) }, err.status) : c.json({ error: "internal_error", message: err.message.slice(0, 200) }, 500)));

  return {
    app,
    closeStreams: () => {
      for (const s of streams) s.abort();
      streams.clear();
    },
  };
}

export interface Listening {
  readonly server: ServerType;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `host` explicitly (never every interface by default: R20). Port 0 picks a free one. */
export function listen(app: Hono, host: string, port: number, beforeClose: () => void = () => {}): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      server.off("error", onError);
      resolve({
        server,
        host,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            beforeClose();
            const s = server as import("node:http").Server;
            s.close(() => done());
            s.closeAllConnections?.();
          }),
      });
    });
    const onError = (err: NodeJS.ErrnoException): void => reject(new DashboardError("listen_failed", `cannot listen on ${host}:${port}: ${err.code ?? ""} ${err.message}`.trim(), err.code === "EADDRINUSE" ? "--port" : "--host"));
    server.once("error", onError);
  });
}
