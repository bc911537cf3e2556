/**
 * The dashboard's composition point: one typed config (validated once), the token (R20), the bus (Redis with the
 * dashboard's user), the model fed by the bus and the journal, the control sender, and the HTTP server. Updates
 * are coalesced: a change is pushed within `flushMs` (the small view every time, the figures at most every
 * `figureMs`), and the view again every second so that ages and staleness flags move on the page.
 */
import { z } from "zod";
import type { Bus } from "../bus/bus.js";
import { RedisBus, redactUrl } from "../bus/redis-bus.js";
import { listCheckpoints, listReports, metricsView, type ArtefactLink, type MetricsView } from "./analytics.js";
import { resolveToken, TokenGuard, TOKEN_ENV } from "./auth.js";
import { BusFeed } from "./bus-feed.js";
import { ControlSender } from "./controls.js";
import { DashboardError } from "./errors.js";
import { JournalSource, journalPathProblem } from "./journal-source.js";
import { DashboardModel, type ChangeKind } from "./model.js";
import { sweepDirProblem, SweepProgressSource, type SweepPanelView } from "./sweep-panel.js";
import { createDashboardApp, listen, type DashboardBackend, type Listening, type Snapshot } from "./server.js";
import { dashboardFigures, dashboardView, guidanceFigure, seriesFigures, type DashboardFigures } from "./view.js";

export const dashboardConfigSchema = z.strictObject({
  /** redis://[user:password@]host:port[/db]: use the dashboard's ACL user (read-only plus trader_control). */
  redis: z.string().regex(/^rediss?:\/\//, "expected a redis:// or rediss:// URL"),
  /** The bus namespace (the trader's and the coach's). */
  namespace: z.string().regex(/^[A-Za-z0-9:_-]*$/).default(""),
  /** The trader's journal (read-only): history for a late joiner, fills, the risk state, events. null: none. */
  journal: z.string().min(1).nullable().default(null),
  /** Address to listen on: loopback unless told otherwise (R20). */
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65_535).default(8050),
  /** Folders linked from the analytics section. */
  reportsDir: z.string().min(1).default("reports"),
  checkpointsDir: z.string().min(1).default("checkpoints"),
  /** Missed ticks or heartbeats before a stale flag (R23). */
  staleTicks: z.number().int().min(1).max(100).default(2),
  /** How long a control waits for the trader's acknowledgement (ms). */
  ackTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  /** Journal poll period (ms). */
  journalPollMs: z.number().int().min(50).max(60_000).default(1_000),
  /** Coalescing of updates (ms) and the shortest gap between two figure updates (ms). */
  flushMs: z.number().int().min(0).max(5_000).default(25),
  figureMs: z.number().int().min(0).max(60_000).default(500),
  /** Points kept in the series. */
  maxPoints: z.number().int().min(10).max(200_000).default(5_000),
  /** Sweep output folders (npm run sweep --out) whose progress.json the sweeps panel shows. */
  sweeps: z.array(z.string().min(1)).max(20).default([]),
  /** progress.json older than this while its sweep is not finished is flagged stale (ms; the sweep rewrites it every 5 s). */
  sweepStaleMs: z.number().int().min(1_000).max(3_600_000).default(15_000),
  /** progress.json poll period (ms). */
  sweepPollMs: z.number().int().min(50).max(60_000).default(1_000),
});
export type DashboardConfig = z.output<typeof dashboardConfigSchema>;
export type DashboardConfigInput = z.input<typeof dashboardConfigSchema>;

/** The view the page renders: the trader's and the coach's, and the sweeps panel (empty without --sweep). */
function withSweeps<V extends object>(v: V, sweeps: readonly SweepPanelView[]): V & { readonly sweeps: readonly SweepPanelView[] } {
  return { ...v, sweeps };
}

export interface RunningDashboard {
  /** http://host:port (no token). */
  readonly url: string;
  /** The URL to open: with the token when the dashboard invented it, else the plain URL. */
  readonly openUrl: string;
  readonly tokenGenerated: boolean;
  readonly port: number;
  readonly model: DashboardModel;
  readonly bus: Bus;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Environment to read DASHBOARD_TOKEN from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
  /** A bus to use instead of connecting to `redis` (tests with the in-memory bus). */
  readonly bus?: Bus;
  readonly now?: () => number;
}

export async function startDashboard(input: DashboardConfigInput, opts: StartOptions = {}): Promise<RunningDashboard> {
  const config = dashboardConfigSchema.parse(input);
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const env = opts.env ?? process.env;
  // R20: decided before anything connects or listens.
  const { token, generated } = resolveToken(config.host, env[TOKEN_ENV]);
  const guard = new TokenGuard(token);
  if (config.journal !== null) {
    const problem = journalPathProblem(config.journal);
    if (problem !== null) throw new DashboardError("not_a_journal", problem, "--journal");
  }
  for (const dir of config.sweeps) {
    const problem = sweepDirProblem(dir);
    if (problem !== null) throw new DashboardError("not_a_sweep", problem, "--sweep");
  }
  const sweeps = config.sweeps.map((dir) => new SweepProgressSource(dir));

  const bus = opts.bus ?? new RedisBus({ url: config.redis, namespace: config.namespace, onError: () => {} });
  if (opts.bus === undefined) {
    try {
      await (bus as RedisBus).waitReady(5_000);
    } catch (err) {
      await bus.close();
      throw new DashboardError("bus_unavailable", err instanceof Error ? err.message : String(err), "--redis");
    }
  }
  const model = new DashboardModel({ staleTicks: config.staleTicks, maxPoints: config.maxPoints });
  // Without a journal the page's history is the streams' (bounded) history.
  const feed = new BusFeed(bus, model, { now, log, backfill: config.journal === null ? config.maxPoints : 0 });
  const journal = config.journal === null ? null : new JournalSource(config.journal, model, { maxPoints: config.maxPoints });
  const controls = new ControlSender(bus, model, { ackTimeoutMs: config.ackTimeoutMs, now });

  // ---- views, cached -------------------------------------------------------------------------------------
  const startedAt = now();
  let metrics: MetricsView = metricsView([], null);
  let figures: DashboardFigures = dashboardFigures(model);
  let artefacts: { reports: ArtefactLink[]; checkpoints: ArtefactLink[]; at: number } = { reports: [], checkpoints: [], at: -Infinity };
  const refreshArtefacts = (): void => {
    if (now() - artefacts.at < 10_000) return;
    artefacts = { reports: listReports(config.reportsDir), checkpoints: listCheckpoints(config.checkpointsDir), at: now() };
  };
  const sweepViews = (): SweepPanelView[] => sweeps.map((s) => s.view(now(), config.sweepStaleMs));
  const view = () => {
    refreshArtefacts();
    return withSweeps(dashboardView(model, { redis: redactUrl(config.redis), namespace: config.namespace, journal: journal?.info ?? null, reports: artefacts.reports, checkpoints: artefacts.checkpoints, busCounters: { ...bus.counters }, startedAt }, now(), metrics), sweepViews());
  };
  // What changed since the figures were last built: only those are rebuilt and sent.
  let seriesDirty = false;
  let guidanceDirty = false;
  const rebuild = (): Partial<DashboardFigures> => {
    const out: { -readonly [K in keyof DashboardFigures]?: DashboardFigures[K] } = {};
    if (seriesDirty) {
      seriesDirty = false;
      metrics = metricsView(model.series(), model.barIntervalMs());
      Object.assign(out, seriesFigures(model));
    }
    if (guidanceDirty) {
      guidanceDirty = false;
      out.guidance = guidanceFigure(model);
    }
    figures = { ...figures, ...out };
    return out;
  };

  // ---- push: coalesced updates ---------------------------------------------------------------------------
  const listeners = new Set<(s: Snapshot) => void>();
  let flushTimer: NodeJS.Timeout | null = null;
  let lastFigureAt = -Infinity;
  const flush = (): void => {
    flushTimer = null;
    let figs: Partial<DashboardFigures> | null = null;
    if (seriesDirty || guidanceDirty) {
      const wait = config.figureMs - (performance.now() - lastFigureAt);
      if (wait <= 0) {
        figs = rebuild();
        lastFigureAt = performance.now();
      } else schedule(wait);
    }
    if (listeners.size === 0) return;
    const s: Snapshot = { view: view(), figures: figs };
    for (const l of listeners) l(s);
  };
  const schedule = (ms: number): void => {
    if (flushTimer !== null) return;
    flushTimer = setTimeout(flush, Math.max(0, ms));
  };
  const offModel = model.onChange((kinds: ReadonlySet<ChangeKind>) => {
    if (kinds.has("series")) seriesDirty = true;
    if (kinds.has("guidance")) guidanceDirty = true;
    schedule(config.flushMs);
  });
  const tick = setInterval(() => schedule(0), 1_000);
  tick.unref();

  const backend: DashboardBackend = {
    // The whole state for a new client; pending figure changes go out to the others first (never lost to them).
    snapshot: () => {
      if (seriesDirty || guidanceDirty) {
        if (flushTimer !== null) clearTimeout(flushTimer);
        flush();
      }
      return { view: view(), figures };
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    sweeps: sweepViews,
    controls,
    reportsDir: config.reportsDir,
    checkpointsDir: config.checkpointsDir,
    ackTimeoutMs: config.ackTimeoutMs,
  };

  await feed.start();
  let journalTimer: NodeJS.Timeout | null = null;
  if (journal !== null) {
    journal.poll(now());
    journalTimer = setInterval(() => journal.poll(now()), config.journalPollMs);
    journalTimer.unref();
  }

  let sweepTimer: NodeJS.Timeout | null = null;
  if (sweeps.length > 0) {
    const pollSweeps = (): void => {
      let changed = false;
      for (const s of sweeps) changed = s.poll() || changed;
      if (changed) schedule(config.flushMs);
    };
    pollSweeps();
    sweepTimer = setInterval(pollSweeps, config.sweepPollMs);
    sweepTimer.unref();
  }

  const { app, closeStreams } = createDashboardApp(guard, backend);
  let server: Listening;
  try {
    server = await listen(app, config.host, config.port, closeStreams);
  } catch (err) {
    if (sweepTimer !== null) clearInterval(sweepTimer);
    await feed.stop();
    if (opts.bus === undefined) await bus.close();
    throw err;
  }
  const hostInUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${hostInUrl}:${server.port}`;
  log(`dashboard: ${url} (Redis ${redactUrl(config.redis)}${config.namespace ? `, namespace "${config.namespace}"` : ""}${config.journal === null ? "" : `, journal ${config.journal}`})`);

  let closed = false;
  return {
    url,
    openUrl: generated ? `${url}/?token=${encodeURIComponent(token)}` : url,
    tokenGenerated: generated,
    port: server.port,
    model,
    bus,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      if (journalTimer !== null) clearInterval(journalTimer);
      if (sweepTimer !== null) clearInterval(sweepTimer);
      if (flushTimer !== null) clearTimeout(flushTimer);
      offModel();
      listeners.clear();
      await server.close();
      await feed.stop();
      journal?.close();
      if (opts.bus === undefined) await bus.close();
    },
  };
}
