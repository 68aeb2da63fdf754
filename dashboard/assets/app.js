// The dashboard: everything it shows comes from the admin API (api.js),
// and everything it puts in the page is text (textContent), never HTML.

import { call, token, setToken, openSession, stream, ApiError } from "./api.js";
import { Series, draw } from "./chart.js";
import { confirmAction } from "./dialog.js";

const $ = (id) => document.getElementById(id);
const historySize = 300; // five minutes of one-second summaries

// el makes an element with a class and children (strings become text).
function el(tag, cls, ...children) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  for (const c of children) {
    if (c === null || c === undefined) continue;
    n.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return n;
}

function replaceChildren(parent, children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  for (const c of children) parent.appendChild(c);
}

function button(label, cls, onClick) {
  const b = el("button", cls, label);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

function setStatus(msg, kind) {
  const s = $("status");
  s.textContent = msg;
  s.dataset.kind = kind || "";
}

const fmt = {
  rate: (v) => (v >= 100 ? Math.round(v).toString() : v.toFixed(1)),
  pct: (v) => (v * 100).toFixed(v >= 0.1 ? 0 : 2) + " %",
  ms: (v) => (v >= 100 ? Math.round(v) + " ms" : v.toFixed(v >= 10 ? 1 : 2) + " ms"),
  duration(s) {
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + m + "m";
    return m + "m " + (s % 60) + "s";
  },
};

// ---- state -------------------------------------------------------------

const series = {
  rps: new Series(historySize),
  err: new Series(historySize),
  p50: new Series(historySize),
  p99: new Series(historySize),
};
let backendRates = new Map(); // "cluster/backend" -> BackendRates
let streams = [];
let pollTimer = 0;
let refreshTimer = 0;
let retryTimer = 0;

// ---- start, token ------------------------------------------------------

async function start() {
  stop();
  setStatus("Connecting…");
  let st;
  try {
    st = (await call("GET", "/api/status")).status;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setStatus(token() ? "This token is refused: enter the admin token." : "A token is needed: enter the admin token.", "warn");
      $("token").focus();
      return;
    }
    setStatus(e.message + " (retrying in 5 s)", "error");
    retryTimer = setTimeout(start, 5000);
    return;
  }
  try {
    if (token()) await openSession();
  } catch (e) {
    setStatus("session: " + e.message, "error");
    return;
  }
  showProxy(st);
  setStatus("Connected", "ok");
  openStreams();
  await refresh();
  pollTimer = setInterval(refresh, 5000);
}

function stop() {
  drawn.clear();
  for (const s of streams) s.close();
  streams = [];
  clearInterval(pollTimer);
  clearTimeout(retryTimer);
  clearTimeout(refreshTimer);
}

function showProxy(st) {
  if (!st) return;
  $("proxy-info").textContent = "sluice " + st.version + " · pid " + st.pid + " · up " + fmt.duration(st.uptime_seconds) +
    " · " + st.listeners + " listeners, " + st.clusters + " clusters, " + st.frontends + " frontends";
}

$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  setToken($("token").value.trim());
  $("token").value = "";
  start();
});

$("token-forget").addEventListener("click", async () => {
  await call("DELETE", "/api/session").catch(() => {});
  setToken("");
  stop();
  start();
});

// ---- streams -----------------------------------------------------------

function openStreams() {
  streams.push(stream("/api/metrics/stream", onRates, (s) => {
    if (s === "end" || s === "closed") setStatus("The metrics stream ended", "warn");
  }));
  streams.push(stream("/api/events", onEvent, (s) => {
    $("events-state").textContent = s === "open" ? "live" : s === "error" ? "reconnecting…" : "ended";
  }));
}

function onRates(r) {
  if (typeof r.requests_per_second !== "number") return;
  series.rps.push(r.requests_per_second);
  series.err.push(r.error_rate * 100);
  series.p50.push(r.p50_ms);
  series.p99.push(r.p99_ms);
  $("m-rps").textContent = fmt.rate(r.requests_per_second);
  $("m-err").textContent = fmt.pct(r.error_rate);
  $("m-p50").textContent = fmt.ms(r.p50_ms);
  $("m-p99").textContent = fmt.ms(r.p99_ms);
  $("m-conns").textContent = String(r.connections);
  let up = 0, down = 0;
  for (const c of r.clusters || []) {
    up += c.backends_up;
    down += c.backends_down;
  }
  $("m-backends").textContent = up + " / " + down;
  $("m-backends").dataset.down = String(down);
  $("scale-rps").textContent = "(top " + fmt.rate(draw($("chart-rps"), [{ series: series.rps, cls: "rps" }])) + ")";
  $("scale-err").textContent = "(top " + draw($("chart-err"), [{ series: series.err, cls: "err" }]) + " %)";
  $("scale-lat").textContent = "(top " + draw($("chart-lat"), [{ series: series.p50, cls: "p50" }, { series: series.p99, cls: "p99" }]) + " ms)";
  backendRates = new Map((r.backends || []).map((b) => [b.cluster_id + "/" + b.backend_id, b]));
  for (const row of document.querySelectorAll("tr[data-backend]")) showRates(row);
}

function showRates(row) {
  const b = backendRates.get(row.dataset.backend);
  row.querySelector(".rps").textContent = b ? fmt.rate(b.requests_per_second) : "–";
  row.querySelector(".p99").textContent = b && b.requests_per_second > 0 ? fmt.ms(b.p99_ms) : "–";
}

const eventLimit = 200;

function onEvent(ev) {
  if (!ev.kind) return;
  const what = [];
  if (ev.cluster_id) what.push(ev.cluster_id + (ev.backend_id ? "/" + ev.backend_id : ""));
  if (ev.address) what.push(ev.address);
  if (ev.order) what.push(ev.order + (ev.object ? " " + ev.object : ""));
  if (ev.reason) what.push("(" + ev.reason + ")");
  if (ev.count) what.push(ev.count + " orders");
  if (ev.request_id) what.push("by " + ev.request_id);
  const time = ev.time ? new Date(ev.time).toLocaleTimeString() : "";
  const li = el("li", "event", el("time", null, time), " ", el("span", "kind k-" + ev.kind.replace(/[^a-z_]/g, ""), ev.kind), " ", what.join(" "));
  const list = $("event-list");
  list.insertBefore(li, list.firstChild);
  while (list.children.length > eventLimit) list.removeChild(list.lastChild);
  if (ev.kind !== "ocsp_stapled") scheduleRefresh();
}

// scheduleRefresh refreshes the lists soon, once for a burst of events.
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 100);
}

// ---- lists -------------------------------------------------------------

let refreshing = false;
const drawn = new Map(); // list -> the JSON it was drawn from

function changed(list, data) {
  const j = JSON.stringify(data);
  if (drawn.get(list) === j) return false;
  drawn.set(list, j);
  return true;
}

async function refresh() {
  if (refreshing) {
    scheduleRefresh();
    return;
  }
  refreshing = true;
  try {
    const [cl, be, fe, ce, st] = await Promise.all([
      call("GET", "/api/clusters"),
      call("GET", "/api/backends"),
      call("GET", "/api/frontends"),
      call("GET", "/api/certificates"),
      call("GET", "/api/status"),
    ]);
    // A list is drawn again only when it changed: a button being clicked
    // is not replaced under the pointer.
    if (changed("clusters", [cl, be])) showClusters(cl.clusters || [], be.backends || []);
    if (changed("frontends", fe)) showFrontends(fe);
    if (changed("certificates", ce)) showCertificates(ce.certificates || []);
    showProxy(st.status);
    if ($("status").dataset.kind === "error") setStatus("Connected", "ok");
  } catch (e) {
    setStatus(e.message, "error");
  } finally {
    refreshing = false;
  }
}

function healthCheckText(h) {
  if (!h) return "no active health check";
  return "health check " + (h.type || "http") + (h.path ? " " + h.path : "") + " every " + (h.interval || "10s");
}

function showClusters(clusters, backends) {
  const byCluster = new Map();
  for (const b of backends) {
    if (!byCluster.has(b.cluster_id)) byCluster.set(b.cluster_id, []);
    byCluster.get(b.cluster_id).push(b);
  }
  const blocks = clusters.map((c) => {
    const bs = byCluster.get(c.id) || [];
    const down = bs.filter((b) => b.health === "down").length;
    const head = el("div", "cluster-head",
      el("h3", null, c.id),
      el("span", "tag", c.protocol || "http"),
      el("span", "tag", c.load_balancing || "round_robin"),
      el("span", "muted", healthCheckText(c.health_check)),
      el("span", down ? "badge down" : "badge up", bs.length - down + "/" + bs.length + " up"),
      button("Add backend…", "small", () => addBackend(c.id)));
    const rows = bs.map(backendRow);
    const table = el("table", "backends",
      el("thead", null, el("tr", null, ...["Backend", "Address", "Weight", "Health", "Check", "In flight", "Req/s", "p99 (ttfb)", ""].map((h) => el("th", null, h)))),
      el("tbody", null, ...rows));
    if (rows.length === 0) table.appendChild(el("caption", "muted", "No backend: its requests get 503."));
    const block = el("div", "cluster", head, table);
    block.dataset.cluster = c.id;
    return block;
  });
  if (blocks.length === 0) blocks.push(el("p", "muted", "No cluster."));
  replaceChildren($("cluster-list"), blocks);
}

function backendRow(b) {
  const health = el("span", "badge " + (b.health === "down" ? "down" : b.health === "backoff" ? "backoff" : "up"), b.health);
  const row = el("tr", null,
    el("td", "id", b.id + (b.backup ? " (backup)" : "")),
    el("td", "mono", b.address + (b.resolved && b.resolved.length ? " → " + b.resolved.join(", ") : "")),
    el("td", "num", String(b.weight || 100)),
    el("td", "health", health),
    el("td", null, b.check || "–"),
    el("td", "num", String(b.in_flight)),
    el("td", "num rps", "–"),
    el("td", "num p99", "–"),
    el("td", "actions",
      button("Weight…", "small", () => changeWeight(b)),
      button("Drain…", "small danger drain", () => drain(b))));
  row.dataset.backend = b.cluster_id + "/" + b.id;
  row.dataset.health = b.health;
  showRates(row);
  return row;
}

function showFrontends(fe) {
  const rows = [];
  const goes = (f) => {
    if (f.deny) return "deny (403)";
    if (f.redirect) return "redirect " + (f.redirect.location || (f.redirect.scheme || "") + " " + (f.redirect.status || 301));
    return f.cluster_id || "–";
  };
  for (const [kind, list] of [["http", fe.http_frontends], ["https", fe.https_frontends]]) {
    for (const f of list || []) {
      rows.push(el("tr", null, el("td", null, kind), el("td", "mono", f.address), el("td", null, f.hostname || "*"),
        el("td", "mono", (f.path || "/") + (f.path_type && f.path_type !== "prefix" ? " (" + f.path_type + ")" : "")),
        el("td", null, f.method || "any"), el("td", null, goes(f))));
    }
  }
  for (const f of fe.tcp_frontends || []) {
    rows.push(el("tr", null, el("td", null, "tcp"), el("td", "mono", f.address), el("td", null, f.hostname || "*"),
      el("td", null, "–"), el("td", null, "–"), el("td", null, f.cluster_id)));
  }
  if (rows.length === 0) rows.push(el("tr", null, el("td", "muted", "No frontend.")));
  replaceChildren($("frontend-rows"), rows);
}

function showCertificates(certs) {
  const now = Date.now();
  const rows = certs.map((c) => {
    const t = Date.parse(c.not_after);
    const days = Math.floor((t - now) / 86400000);
    const cls = days < 0 ? "badge down" : days < 14 ? "badge backoff" : "badge up";
    const fp = c.fingerprint || "";
    return el("tr", null, el("td", "mono", c.address), el("td", null, (c.names || []).join(", ") + (c.default ? " (default)" : "")),
      el("td", null, new Date(t).toISOString().slice(0, 10)),
      el("td", null, el("span", cls, days < 0 ? "expired" : days + " days")),
      el("td", "mono", fp.slice(0, 16) + (fp.length > 16 ? "…" : "")));
  });
  if (rows.length === 0) rows.push(el("tr", null, el("td", "muted", "No certificate.")));
  replaceChildren($("certificate-rows"), rows);
}

// ---- actions -----------------------------------------------------------

const backendPath = (b) => "/api/clusters/" + encodeURIComponent(b.cluster_id) + "/backends/" + encodeURIComponent(b.id);

function drain(b) {
  confirmAction({
    title: "Drain backend " + b.cluster_id + "/" + b.id + "?",
    text: "It gets no new requests and is removed; its requests in flight finish (a backend_drained event says when the last one ended). Add it again to bring it back.",
    method: "DELETE",
    path: backendPath(b),
    confirm: "Drain",
  }, refresh);
}

function changeWeight(b) {
  confirmAction({
    title: "Change the weight of " + b.cluster_id + "/" + b.id,
    text: "Its share of the cluster's traffic, relative to the other backends of its group (1 to 1000).",
    method: "PATCH",
    path: backendPath(b),
    fields: [{ name: "weight", label: "Weight", type: "number", min: 1, max: 1000, value: b.weight || 100 }],
    body: (v) => ({ weight: Number(v.weight) }),
    confirm: "Change",
  }, refresh);
}

function addBackend(clusterID) {
  confirmAction({
    title: "Add a backend to " + clusterID,
    text: "New requests may go to it at once.",
    method: "POST",
    path: "/api/clusters/" + encodeURIComponent(clusterID) + "/backends",
    fields: [
      { name: "id", label: "Id", type: "text", required: true },
      { name: "address", label: "Address (host:port)", type: "text", required: true },
      { name: "weight", label: "Weight", type: "number", min: 1, max: 1000, value: 100 },
    ],
    body: (v) => ({ id: v.id, address: v.address, weight: Number(v.weight) }),
    confirm: "Add",
  }, refresh);
}

start();
