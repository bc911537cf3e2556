/**
 * The dashboard's page: an HTML shell, its stylesheet and its script (served as /assets/dashboard.js so that the
 * page runs under a strict Content-Security-Policy: no inline script, nothing from another origin), and the login
 * page. The script opens /events (server-sent events, the session cookie authenticates it), renders every update
 * with textContent (message text is never parsed as HTML) and draws the figures with plotly.js served from
 * /assets/plotly.min.js (node_modules/plotly.js-dist-min: the page works offline, no CDN).
 *
 * Browser code is kept as source text (as in src/charts/render-check.ts): nothing transpiled is serialised into it.
 */
import { escapeHtml } from "../charts/html-page.js";

const CSS = `
:root { --ok: #2e7d32; --stale: #ef6c00; --down: #c62828; --unknown: #78909c; --line: #e4e7eb; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; font-size: 14px; }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 20px; background: #263238; color: #eceff1; }
header h1 { font-size: 1.15rem; margin: 0 12px 0 0; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 12px; background: #455a64; color: #fff; }
.flag-ok { background: var(--ok); color: #fff; } .flag-stale { background: var(--stale); color: #fff; }
.flag-down { background: var(--down); color: #fff; } .flag-unknown { background: var(--unknown); color: #fff; }
.st-running { background: var(--ok); } .st-stopentry { background: var(--stale); } .st-stopped { background: var(--down); }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 14px; padding: 14px 20px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 1rem; margin: 2px 0 8px; }
h3 { font-size: 0.9rem; margin: 10px 0 4px; color: #455a64; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 8px; }
.tile { border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; }
.tile .k { font-size: 11px; color: #607d8b; text-transform: uppercase; letter-spacing: 0.03em; }
.tile .v { font-size: 1.1rem; font-variant-numeric: tabular-nums; margin-top: 2px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td.num { text-align: right; }
.scroll { max-height: 260px; overflow: auto; }
.controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 8px; }
button { font: inherit; padding: 4px 10px; border: 1px solid #90a4ae; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #eceff1; } button.danger { border-color: var(--down); color: var(--down); }
button:disabled { opacity: 0.5; cursor: wait; }
input[type=number] { width: 80px; font: inherit; padding: 3px; }
.muted { color: #78909c; } .warn { color: var(--stale); } .bad { color: var(--down); }
details { border-bottom: 1px solid var(--line); padding: 4px 0; } summary { cursor: pointer; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
.lab-figure { width: 100%; }
#control-log td:first-child, #events-table td:first-child, #guidance-table td:first-child, #guidance-table td:nth-child(2), #guidance-table td:nth-child(5) { white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
`;

/** The dashboard page (no state in it: everything arrives over /events). */
export function dashboardPage(): string {
  const tile = (id: string, label: string) => `<div class="tile"><div class="k">${label}</div><div class="v" id="${id}">–</div></div>`;
  const health = (id: string, label: string) => `<tr><th>${label}</th><td><span class="badge flag-unknown" id="${id}" data-status="unknown">unknown</span></td><td id="${id}-detail" class="muted">–</td></tr>`;
  const figure = (id: string) => `<div id="fig-${id}" class="lab-figure"></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DRL trader dashboard</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body>
<header>
  <h1>DRL trader dashboard</h1>
  <span>trader <span class="badge" id="trader-status">–</span></span>
  <span>mode <span class="badge" id="trader-mode">–</span></span>
  <span id="trader-symbol">–</span>
  <span>Redis <span class="badge flag-unknown" id="redis-status">–</span></span>
  <span>stream <span class="badge flag-unknown" id="stream-status">connecting</span></span>
  <span class="muted" id="updated-at"></span>
</header>
<main>
  <section class="wide" id="portfolio">
    <h2>Portfolio</h2>
    <div class="tiles">
      ${tile("trader-value", "value")}${tile("trader-vs-hold", "vs buy &amp; hold")}${tile("trader-price", "price")}${tile("trader-exposure", "exposure")}
      ${tile("trader-drawdown", "drawdown")}${tile("trader-cash", "cash")}${tile("trader-coins", "coins")}${tile("trader-action", "last action")}
      ${tile("trader-seq", "seq")}${tile("trader-tick", "last tick (bar close, UTC)")}
    </div>
  </section>
  <section id="health">
    <h2>Health</h2>
    <table><tbody>
      ${health("health-trader", "trader")}${health("health-data", "market data")}${health("health-coach", "coach")}${health("health-redis", "Redis")}${health("health-journal", "journal")}
    </tbody></table>
    <p class="muted" id="health-counters"></p>
  </section>
  <section id="controls">
    <h2>Controls</h2>
    <div class="controls">
      <button data-command="pause" id="ctl-pause">Pause entries</button>
      <button data-command="resume" id="ctl-resume">Resume entries</button>
      <button data-command="stop" id="ctl-stop">Stop</button>
      <button data-command="start" id="ctl-start">Start</button>
      <button data-command="forceexit" id="ctl-forceexit" class="danger">Force exit</button>
      <button data-command="kill" id="ctl-kill" class="danger">Kill switch</button>
    </div>
    <div class="controls">
      <label>max trade fraction <input type="number" id="cap-trade" min="0" max="1" step="0.01"></label>
      <label>max exposure <input type="number" id="cap-exposure" min="0" max="1" step="0.01"></label>
      <button data-command="set_risk" id="ctl-set-risk">Set caps</button>
      <button data-command="coach-on" id="ctl-coach-on">Coach on</button>
      <button data-command="coach-off" id="ctl-coach-off">Coach off</button>
    </div>
    <p id="control-result" class="muted">Each control is a message to the trader; its acknowledgement shows here and below.</p>
    <div class="scroll"><table><thead><tr><th>sent (UTC)</th><th>command</th><th>result</th><th>trader after</th><th>message</th></tr></thead><tbody id="control-log"></tbody></table></div>
  </section>
  <section id="risk">
    <h2>Risk manager</h2>
    <div class="kv">
      <span>status</span><span id="risk-status">–</span>
      <span>kill switch</span><span id="risk-kill">–</span>
      <span>stop reason</span><span id="risk-stop-reason">–</span>
      <span>entries</span><span id="risk-entries">–</span>
      <span>caps in force</span><span id="risk-caps">–</span>
      <span>valuation failures</span><span id="risk-failed">–</span>
    </div>
    <h3>Protection locks</h3>
    <table><thead><tr><th>reason</th><th>until (UTC)</th><th>detail</th></tr></thead><tbody id="risk-locks"></tbody></table>
    <p class="muted" id="risk-source"></p>
  </section>
  <section id="charts-equity"><h2>Equity against buy &amp; hold of the starting mix</h2>${figure("equity")}</section>
  <section id="charts-price"><h2>Price with buys and sells</h2>${figure("price")}</section>
  <section id="charts-holdings"><h2>Cash, coins and exposure</h2>${figure("holdings")}</section>
  <section id="charts-drawdown"><h2>Drawdown</h2>${figure("drawdown")}</section>
  <section class="wide" id="coach">
    <h2>Coach</h2>
    <div class="kv">
      <span>coach</span><span id="coach-id">–</span>
      <span>guidance</span><span id="coach-enabled">–</span>
      <span>in force at the trader</span><span id="coach-in-force">–</span>
    </div>
    <h3>Guidance timeline (issue → expiry)</h3>
    ${figure("guidance")}
    <div class="scroll"><table><thead><tr><th>issued (UTC)</th><th>id</th><th>kind</th><th>value</th><th>expires (UTC)</th><th>source</th><th>reason</th><th>trader</th></tr></thead><tbody id="guidance-table"></tbody></table></div>
    <h3>Last decision traces</h3>
    <div id="traces"><p class="muted">No trace yet.</p></div>
  </section>
  <section id="analytics">
    <h2>Analytics</h2>
    <p class="muted" id="metrics-note"></p>
    <table><tbody id="metrics-table"></tbody></table>
  </section>
  <section id="artefacts">
    <h2>Reports and checkpoints</h2>
    <h3>Reports</h3><ul id="reports-list"></ul>
    <h3>Checkpoints (manifests)</h3><ul id="checkpoints-list"></ul>
  </section>
  <section class="wide" id="sweeps" hidden>
    <h2>Sweeps</h2>
    <div id="sweeps-list"></div>
  </section>
  <section class="wide" id="events">
    <h2>Events and alerts (journal)</h2>
    <div class="scroll"><table><thead><tr><th>time (UTC)</th><th>level</th><th>kind</th><th>message</th></tr></thead><tbody id="events-table"></tbody></table></div>
  </section>
</main>
<script src="/assets/plotly.min.js"></script>
<script src="/assets/dashboard.js"></script>
</body></html>
`;
}

export function dashboardCss(): string {
  return CSS;
}

/** The login page: a form for the token (it never pre-fills or echoes one). */
export function loginPage(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DRL trader dashboard: sign in</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body><main style="display:block;max-width:560px;margin:40px auto">
<section><h2>DRL trader dashboard</h2>
<p>${escapeHtml(message)}</p>
<form method="post" action="/login"><label>token <input type="password" name="token" autocomplete="off" style="width:320px"></label> <button type="submit">Open</button></form>
<p class="muted">The token is printed by <code>npm run dashboard</code> at start (or is the value of DASHBOARD_TOKEN).</p>
</section></main></body></html>
`;
}

/** The page's script. */
export function dashboardScript(): string {
  return `"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = { view: null, lastSeq: null, renders: 0 };
  window.dashboard = state;

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function time(ms) {
    if (typeof ms !== "number" || !isFinite(ms)) return "–";
    var d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  function num(x, digits) { return typeof x === "number" && isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 2 : digits, minimumFractionDigits: 0 }) : "–"; }
  function pct(x) { return typeof x === "number" && isFinite(x) ? (100 * x).toFixed(2) + "%" : "–"; }
  function text(id, t) { var e = $(id); if (e && e.textContent !== t) e.textContent = t; }
  function el(tag, cls, t) { var e = document.createElement(tag); if (cls) e.className = cls; if (t !== undefined && t !== null) e.textContent = String(t); return e; }
  function row(cells, classes) {
    var tr = document.createElement("tr");
    cells.forEach(function (c, i) { var td = el("td", classes && classes[i] ? classes[i] : "", c); tr.appendChild(td); });
    return tr;
  }
  function fill(id, rows) { var body = $(id); if (!body) return; body.replaceChildren.apply(body, rows); }
  function badge(id, status, label) {
    var e = $(id); if (!e) return;
    e.className = "badge flag-" + status;
    e.setAttribute("data-status", status);
    e.textContent = label || status;
  }

  function renderTrader(v) {
    var t = v.trader;
    var st = $("trader-status");
    st.textContent = t.status || "–";
    st.className = "badge" + (t.status ? " st-" + t.status : "");
    st.setAttribute("data-status", t.status || "");
    text("trader-mode", t.mode || "–");
    text("trader-symbol", (t.symbol || "") + (t.model ? "  ·  " + t.model : ""));
    text("trader-value", num(t.value));
    text("trader-vs-hold", pct(t.vsHold));
    text("trader-price", num(t.price));
    text("trader-exposure", pct(t.exposure));
    text("trader-drawdown", pct(t.drawdown));
    text("trader-cash", num(t.cash));
    text("trader-coins", num(t.coins, 6));
    text("trader-action", t.action ? t.action + (t.amount ? " " + pct(t.amount) : "") : "–");
    text("trader-seq", t.seq === null ? "–" : String(t.seq));
    text("trader-tick", time(t.ts));
  }

  function renderHealth(v) {
    var h = v.health;
    badge("health-trader", h.trader.status); text("health-trader-detail", h.trader.detail);
    badge("health-data", h.data.status); text("health-data-detail", h.data.detail);
    badge("health-coach", h.coach.status); text("health-coach-detail", h.coach.detail + (h.coach.behindTicks ? " · last trace " + h.coach.behindTicks + " tick(s) behind" : ""));
    badge("health-redis", h.redis.status === "up" ? "ok" : h.redis.status, h.redis.status);
    text("health-redis-detail", v.meta.redis + (v.meta.namespace ? " (namespace " + v.meta.namespace + ")" : "") + (h.redis.since ? " since " + time(h.redis.since) : ""));
    badge("health-journal", h.journal.status === "ok" ? "ok" : h.journal.status === "none" ? "unknown" : "stale", h.journal.status); text("health-journal-detail", h.journal.detail);
    badge("redis-status", h.redis.status === "up" ? "ok" : h.redis.status, h.redis.status);
    var c = v.counters;
    text("health-counters", c.received + " messages, " + c.rejected + " refused, " + c.oldSeq + " out of order or old (ignored)" + (c.lastRejection ? "; last refused: " + c.lastRejection : ""));
  }

  function renderRisk(v) {
    var r = v.risk;
    text("risk-status", r.status || "–");
    text("risk-kill", r.killSwitch.fired ? "FIRED: " + r.killSwitch.reason : "not fired");
    $("risk-kill").className = r.killSwitch.fired ? "bad" : "";
    text("risk-stop-reason", r.stopReason || "–");
    text("risk-entries", r.entriesPaused === null ? "–" : r.entriesPaused ? "paused (exits still run)" : "allowed");
    text("risk-caps", "max trade fraction " + num(r.maxTradeFraction, 4) + ", max exposure " + num(r.maxExposure, 4));
    text("risk-failed", r.failedChecks === null ? "–" : String(r.failedChecks));
    text("risk-source", "source: " + r.source);
    fill("risk-locks", r.locks.length === 0 ? [row(["none", "", ""])] : r.locks.map(function (l) { return row([l.reason, time(l.until), l.detail]); }));
    var capT = $("cap-trade"), capE = $("cap-exposure");
    if (document.activeElement !== capT && r.maxTradeFraction !== null && capT.value === "") capT.value = String(r.maxTradeFraction);
    if (document.activeElement !== capE && r.maxExposure !== null && capE.value === "") capE.value = String(r.maxExposure);
  }

  function renderCoach(v) {
    var c = v.coach;
    text("coach-id", c.coachId ? c.coachId + " · " + (c.status || "?") + " · v" + c.version + " · " + c.cycles + " cycles · llm " + (c.llm || "off") : "no heartbeat yet");
    text("coach-enabled", c.enabled === null ? "on (no coach control sent)" : c.enabled ? "on" : "off (neutral guidance at the trader)");
    text("coach-in-force", c.inForce.length === 0 ? "none (neutral)" : c.inForce.map(function (g) { return g.kind + " = " + g.value + " until " + time(g.expiresAt); }).join("; "));
    fill("guidance-table", v.guidance.slice().reverse().slice(0, 50).map(function (g) {
      var named = (g.id || "seed") + (g.version === null ? "" : " v" + g.version);
      var verdict = g.verdict ? g.verdict + (g.verdictVersion === null || g.verdictVersion === g.version ? "" : " (v" + g.verdictVersion + ")") + (g.verdictDetail ? ": " + g.verdictDetail : "") : "–";
      return row([time(g.issuedAt), named, g.kind, String(g.value), time(g.expiresAt), (g.source || "") + (g.rule ? " " + g.rule : ""), g.reason || "", verdict], ["", "", "", "num"]);
    }));
    var box = $("traces");
    if (v.traces.length === 0) return;
    var nodes = v.traces.slice().reverse().slice(0, 5).map(function (t, i) {
      var d = el("details"); if (i === 0) d.open = true;
      d.appendChild(el("summary", "", "cycle " + t.cycle + " · state " + (t.stateSeq === null ? "–" : t.stateSeq) + " · " + t.decision + " → " + (t.chosen ? t.chosen.guidance + (t.chosen.value === null ? "" : " " + t.chosen.value) + " (" + t.chosen.rule + ")" : "none") + " · " + t.output));
      d.appendChild(el("p", "", "why: " + t.why));
      var facts = Object.keys(t.facts).map(function (k) { return k + " = " + t.facts[k]; }).join(", ");
      d.appendChild(el("p", "muted", "facts: " + (facts || "–")));
      var tbl = el("table"); var head = el("tr");
      ["operator (rule)", "source", "guidance", "value", "preference", "candidate"].forEach(function (h) { head.appendChild(el("th", "", h)); });
      tbl.appendChild(head);
      var cand = {}; t.candidates.forEach(function (c) { cand[c.rule] = true; });
      t.proposed.forEach(function (o) { tbl.appendChild(row([o.rule, o.source, o.guidance, o.value === null ? "–" : String(o.value), o.preference === null ? "–" : String(o.preference), cand[o.rule] ? "yes" : "no"])); });
      if (t.proposed.length === 0) tbl.appendChild(row(["no operator proposed", "", "", "", "", ""]));
      d.appendChild(tbl);
      if (t.rejections.length) d.appendChild(el("p", "muted", "rejected kinds: " + t.rejections.map(function (r) { return r.kind + " by " + r.rule; }).join(", ")));
      if (t.resolution) d.appendChild(el("p", "", "impasse resolved by " + t.resolution.by + (t.resolution.ok ? "" : " (failed: " + (t.resolution.error || "?") + ")") + ": " + t.resolution.reason));
      if (t.guidance) d.appendChild(el("p", "", "published " + t.guidance.kind + " = " + t.guidance.value + (t.guidance.version === null ? "" : " v" + t.guidance.version) + " until " + time(t.guidance.expiresAt)));
      return d;
    });
    box.replaceChildren.apply(box, nodes);
  }

  function renderControls(v) {
    fill("control-log", v.controls.slice().reverse().map(function (c) {
      var a = c.ack;
      var args = Object.keys(c.args || {}).map(function (k) { return k + "=" + c.args[k]; }).join(" ");
      var tr = row([time(c.issuedAt).slice(11), c.command + (args ? " " + args : "") + (c.issuedBy !== "dashboard" ? " (by " + c.issuedBy + ")" : ""), a ? a.result : "waiting…", a ? a.status : "", a ? a.message : ""]);
      tr.title = c.id + " sent by " + c.issuedBy + " at " + time(c.issuedAt);
      return tr;
    }));
  }

  function link(a) {
    var li = el("li"); var x = el("a", "", a.name); x.href = a.href; x.target = "_blank"; x.rel = "noopener";
    li.appendChild(x); li.appendChild(el("span", "muted", " " + a.description)); return li;
  }

  function renderAnalytics(v) {
    var a = v.analytics;
    text("metrics-note", a.note);
    fill("metrics-table", a.metrics.map(function (m) { return row([m.label, m.text], ["", "num"]); }));
    fill("reports-list", a.reports.length ? a.reports.map(link) : [el("li", "muted", "none under reports/")]);
    fill("checkpoints-list", a.checkpoints.length ? a.checkpoints.map(link) : [el("li", "muted", "none under checkpoints/")]);
    fill("events-table", v.events.slice().reverse().slice(0, 100).map(function (e) { return row([time(e.ts), e.level, e.kind, e.message], ["", e.level === "alert" || e.level === "error" ? "bad" : e.level === "warn" ? "warn" : ""]); }));
  }

  // One block per --sweep folder, rebuilt on every update (a few dozen rows): counts, best so far, every trial.
  var SWEEP_FLAG = { running: "ok", finished: "ok", stale: "stale", waiting: "unknown", error: "down" };
  function renderSweeps(v) {
    var list = v.sweeps || [];
    var section = $("sweeps"); if (!section) return;
    section.hidden = list.length === 0;
    if (list.length === 0) return;
    fill("sweeps-list", list.map(function (s, k) {
      var box = el("div", "sweep"); box.id = "sweep-" + k; box.setAttribute("data-dir", s.dir);
      var h = el("h3"); h.appendChild(el("span", "", (s.name ? "sweep " + s.name : "sweep") + " · " + s.dir + " "));
      var b = el("span", "badge flag-" + SWEEP_FLAG[s.status], s.status); b.className += " sweep-status"; b.setAttribute("data-status", s.status); h.appendChild(b);
      box.appendChild(h);
      var tiles = el("div", "tiles");
      [["done", s.completed === null ? "–" : s.completed + " / " + s.total], ["running", s.running], ["failed", s.failed], ["queued", s.queued],
       ["best " + (s.rankMetric || "rank metric"), s.best ? num(s.best.value, 4) + " (#" + s.best.index + ")" : "–"], ["last update (UTC)", time(s.updatedAt)]].forEach(function (t, i) {
        var tile = el("div", "tile"); tile.appendChild(el("div", "k", t[0])); var val = el("div", "v", t[1] === null || t[1] === undefined ? "–" : t[1]); val.className += " sweep-tile-" + i; tile.appendChild(val); tiles.appendChild(tile);
      });
      box.appendChild(tiles);
      box.appendChild(el("p", s.status === "stale" || s.status === "error" ? "warn sweep-detail" : "muted sweep-detail", s.detail + (s.problem && s.status !== "error" ? " · last read refused: " + s.problem : "")));
      if (s.trials.length) {
        var wrap = el("div", "scroll"); var tbl = el("table"); var head = el("tr");
        ["#", "trial", "state", "worker", "progress", s.rankMetric || "value", ""].forEach(function (c) { head.appendChild(el("th", "", c)); });
        tbl.appendChild(head);
        s.trials.forEach(function (t) {
          var tr = row([t.index === null ? "–" : String(t.index), t.id, t.state, t.worker || "–", t.done === null ? "–" : Math.round(100 * t.done) + "%", t.value === null ? "–" : num(t.value, 4), t.best ? "best" : ""], ["num", "", t.state === "failed" ? "bad" : "", "", "num", "num", ""]);
          tr.className = "sweep-trial"; tr.setAttribute("data-state", t.state);
          tbl.appendChild(tr);
        });
        wrap.appendChild(tbl); box.appendChild(wrap);
      }
      return box;
    }));
  }

  function render(v) {
    state.view = v;
    renderTrader(v); renderHealth(v); renderRisk(v); renderCoach(v); renderControls(v); renderAnalytics(v); renderSweeps(v);
    text("updated-at", "updated " + time(v.now) + " UTC");
    state.renders++;
    if (v.trader.seq !== null && v.trader.seq !== state.lastSeq) { state.lastSeq = v.trader.seq; state.seqShownAt = Date.now(); }
  }

  // Figures are drawn after the numbers, coalesced: a burst of updates draws the latest figures once.
  var config = { responsive: true, displaylogo: false };
  var pendingFigures = {};
  var drawScheduled = false;
  function drawPending() {
    drawScheduled = false;
    if (!window.Plotly) return;
    var figs = pendingFigures; pendingFigures = {};
    Object.keys(figs).forEach(function (k) {
      var e = $("fig-" + k); if (!e) return;
      window.Plotly.react(e, figs[k].data, figs[k].layout, config);
    });
    state.draws = (state.draws || 0) + 1;
  }
  function draw(figs) {
    if (!figs) return;
    Object.keys(figs).forEach(function (k) { pendingFigures[k] = figs[k]; });
    if (!drawScheduled) { drawScheduled = true; setTimeout(drawPending, 0); }
  }

  // For the latency figures (docs/dashboard.md): when each update was sent, received and shown.
  state.timings = [];
  function onMessage(ev) {
    var recv = Date.now();
    var m = JSON.parse(ev.data);
    render(m.view);
    state.timings.push({ seq: m.view.trader.seq, sent: m.view.now, recv: recv, shown: Date.now() });
    if (state.timings.length > 200) state.timings.shift();
    draw(m.figures);
  }
  var stream = null;
  function connect() {
    stream = new EventSource("/events");
    stream.addEventListener("snapshot", onMessage);
    stream.addEventListener("update", onMessage);
    stream.onopen = function () { badge("stream-status", "ok", "live"); };
    stream.onerror = function () { badge("stream-status", "stale", "reconnecting"); };
  }
  connect();

  function body(cmd) {
    if (cmd === "coach-on") return { command: "coach", args: { enabled: true } };
    if (cmd === "coach-off") return { command: "coach", args: { enabled: false } };
    if (cmd === "set_risk") {
      var args = {}; var t = $("cap-trade").value, e = $("cap-exposure").value;
      if (t !== "") args.maxTradeFraction = Number(t);
      if (e !== "") args.maxExposure = Number(e);
      return { command: "set_risk", args: args };
    }
    return { command: cmd };
  }
  document.querySelectorAll("button[data-command]").forEach(function (b) {
    b.addEventListener("click", function () {
      var cmd = b.getAttribute("data-command");
      if ((cmd === "kill" || cmd === "forceexit") && !window.confirm(cmd === "kill" ? "Kill switch: stop the trader and cancel its open orders?" : "Sell every coin now?")) return;
      b.disabled = true;
      var out = $("control-result");
      out.className = "muted"; out.textContent = cmd + ": sent, waiting for the trader…";
      fetch("/api/control", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body(cmd)), credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { http: r.status, j: j }; }); })
        .then(function (x) {
          var j = x.j;
          if (x.http === 200 && j.ack) { out.className = j.ack.result === "rejected" ? "bad" : ""; out.textContent = j.command + ": " + j.ack.result + " (" + j.ack.message + "); trader " + j.ack.status + " · acknowledged in " + Math.round(j.latencyMs) + " ms"; }
          else if (x.http === 202) { out.className = "warn"; out.textContent = j.command + ": sent, not acknowledged within " + j.timeoutMs + " ms (is the trader running?)"; }
          else { out.className = "bad"; out.textContent = cmd + ": " + (j.error || "failed") + (j.field ? " at " + j.field : "") + (j.message ? ": " + j.message : ""); }
        })
        .catch(function (err) { out.className = "bad"; out.textContent = cmd + ": " + err; })
        .finally(function () { b.disabled = false; });
    });
  });
})();
`;
}
