// AutonomOS web console. Vanilla JavaScript, no framework, no network
// access beyond hostd's own API (the page's Content-Security-Policy allows
// nothing else).
//
// The session token lives in this tab's sessionStorage and is only ever
// sent in the Authorization header: the live event stream is read with
// fetch() streaming rather than EventSource, which could not send the
// header and would need the token in the URL.
"use strict";

(function () {
  const TOKEN_KEY = "aos.token";
  const WHO_KEY = "aos.who";
  const POLL_MS = 3000; // graph polling while the event stream is down
  const SVG_NS = "http://www.w3.org/2000/svg";

  // Column order of the graph, left to right.
  const COLUMNS = ["source", "object", "entity", "view", "agent"];

  const $ = (id) => document.getElementById(id);

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || "",
    graph: null, // last graph shown
    graphETag: "",
    lastEventID: "",
    stream: null, // AbortController of the event stream
    streamUp: false,
    pollTimer: 0,
    reconnectTimer: 0,
    reconnectDelay: 1000,
    reloadTimers: {},
  };

  // ---------------------------------------------------------------- helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "text") e.textContent = v;
      else e.setAttribute(k, String(v));
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  const numberFmt = new Intl.NumberFormat("en");
  function fmtRows(n) {
    return numberFmt.format(n);
  }
  function fmtTime(s) {
    if (!s) return "never";
    const d = new Date(s);
    if (isNaN(d)) return s;
    return d.toLocaleString("en-GB", { dateStyle: "short", timeStyle: "medium" });
  }
  function shorten(s, n) {
    return s.length > n ? s.slice(0, n - 1) + "…" : s;
  }

  // announce puts a short message into the polite live region, for people
  // using a screen reader.
  function announce(msg) {
    const a = $("announce");
    a.textContent = "";
    // A fresh text node after a tick makes every reader repeat it.
    setTimeout(() => (a.textContent = msg), 30);
  }

  class APIError extends Error {
    constructor(status, detail) {
      super(detail || "HTTP " + status);
      this.status = status;
    }
  }

  // api calls hostd's API with the session token. It returns the Response
  // for 304 and the decoded JSON otherwise; problem details become an
  // APIError with their detail. A 401 ends the session.
  async function api(method, path, body, extraHeaders) {
    const headers = Object.assign({ Accept: "application/json" }, extraHeaders || {});
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 304) return res;
    if (res.status === 401 && state.token) {
      endSession("Your session has ended; log in again.");
      throw new APIError(401, "not logged in");
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = null;
      }
    }
    if (!res.ok) {
      const detail = data && (data.detail || data.title);
      throw new APIError(res.status, detail || res.status + " " + res.statusText);
    }
    return { data, headers: res.headers };
  }

  function showError(id, err) {
    $(id).textContent = err ? String(err.message || err) : "";
  }

  // ------------------------------------------------------------ session

  async function login(ev) {
    ev.preventDefault();
    const email = $("login-email").value.trim();
    const password = $("login-password").value;
    if (!email || !password) {
      showError("login-error", "Enter your email and password.");
      return;
    }
    $("login-submit").disabled = true;
    showError("login-error", "");
    try {
      const { data } = await api("POST", "/api/v1/auth/login", { email, password });
      state.token = data.token;
      sessionStorage.setItem(TOKEN_KEY, data.token);
      const who = (data.user && data.user.email) + (data.tenant && data.tenant.name ? " · " + data.tenant.name : "");
      sessionStorage.setItem(WHO_KEY, who);
      $("login-password").value = "";
      startSession();
    } catch (err) {
      showError("login-error", err.status === 401 ? "Wrong email or password." : err);
    } finally {
      $("login-submit").disabled = false;
    }
  }

  function startSession() {
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("session").hidden = false;
    $("who").textContent = sessionStorage.getItem(WHO_KEY) || "";
    // The form that had the focus is gone: put it at the start of the page.
    $("graph-title").focus();
    announce("Logged in.");
    loadGraph();
    loadReviews();
    loadConnections();
    connectEvents();
  }

  function endSession(message) {
    state.token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(WHO_KEY);
    if (state.stream) state.stream.abort();
    state.stream = null;
    clearTimeout(state.reconnectTimer);
    stopPolling();
    state.graph = null;
    state.graphETag = "";
    state.lastEventID = "";
    $("app-view").hidden = true;
    $("session").hidden = true;
    $("login-view").hidden = false;
    $("graph").replaceChildren();
    showError("login-error", message || "");
    setLive("offline");
    $("login-email").focus();
  }

  // --------------------------------------------------------------- graph

  async function loadGraph() {
    try {
      const extra = state.graphETag ? { "If-None-Match": state.graphETag } : undefined;
      const res = await api("GET", "/api/v1/graph", undefined, extra);
      if (res.status === 304) return;
      state.graphETag = res.headers.get("ETag") || "";
      const prev = state.graph;
      state.graph = res.data;
      renderGraph(res.data, prev);
      showError("graph-error", "");
      if (prev && prev.version !== res.data.version) announce("Graph updated to version " + res.data.version + ".");
    } catch (err) {
      if (err.status === 404) {
        $("graph").replaceChildren(el("p", { class: "empty", text: "No graph yet: add a connection and sync it." }));
        showError("graph-error", "");
      } else if (err.status !== 401) {
        showError("graph-error", err);
      }
    }
  }

  // edgeKey and the facts compared between versions, to mark what changed.
  const edgeKey = (e) => e.from + "\u0000" + e.to + "\u0000" + e.kind;
  const edgeFacts = (e) => [e.confidence, e.row_count, JSON.stringify(e.attributes || {})].join("|");
  const nodeFacts = (n) => [n.label, n.kind, JSON.stringify(n.attributes || {})].join("|");

  // layout places nodes in their kind's column; within a column, nodes are
  // ordered by the mean position of their neighbours in the column before
  // (one barycentre pass), which keeps most edges from crossing.
  function layout(g) {
    const cols = COLUMNS.map(() => []);
    const other = [];
    for (const n of g.nodes) {
      const c = COLUMNS.indexOf(n.kind);
      (c >= 0 ? cols[c] : other).push(n);
    }
    if (other.length) cols.push(other);
    const pos = new Map(); // id -> {col, row}
    const preds = new Map();
    for (const e of g.edges) {
      if (!preds.has(e.to)) preds.set(e.to, []);
      preds.get(e.to).push(e.from);
    }
    cols.forEach((col, ci) => {
      const keyed = col.map((n, i) => {
        let sum = 0,
          k = 0;
        for (const p of preds.get(n.id) || []) {
          const pp = pos.get(p);
          if (pp && pp.col === ci - 1) {
            sum += pp.row;
            k++;
          }
        }
        return { n, key: k ? sum / k : Infinity, i };
      });
      if (ci > 0) keyed.sort((a, b) => (a.key === b.key ? a.i - b.i : a.key - b.key));
      keyed.forEach((x, row) => pos.set(x.n.id, { col: ci, row }));
      cols[ci] = keyed.map((x) => x.n);
    });
    return { cols, pos };
  }

  function edgeLabel(e) {
    const parts = [];
    if (e.confidence > 0) parts.push(Math.round(e.confidence * 100) + "%");
    if (e.row_count > 0) parts.push(fmtRows(e.row_count) + (e.confidence > 0 ? "" : " rows"));
    return parts.join(" · ");
  }

  function renderGraph(g, prev) {
    const nodes = g.nodes || [];
    const edges = g.edges || [];
    $("graph-version").textContent = String(g.version);
    $("graph-counts").textContent = nodes.length + " nodes · " + edges.length + " edges";
    $("graph-updated").textContent = g.updated_at ? "saved " + fmtTime(g.updated_at) : "";

    const before = { nodes: new Map(), edges: new Map() };
    if (prev) {
      for (const n of prev.nodes || []) before.nodes.set(n.id, nodeFacts(n));
      for (const e of prev.edges || []) before.edges.set(edgeKey(e), edgeFacts(e));
    }
    const changedNode = (n) => prev && before.nodes.get(n.id) !== nodeFacts(n);
    const changedEdge = (e) => prev && before.edges.get(edgeKey(e)) !== edgeFacts(e);

    const { cols, pos } = layout(g);
    const W = 1000,
      NW = 126,
      NH = 28,
      HEAD = 26, // column titles
      TOP = 8;
    const ncol = Math.max(cols.length, COLUMNS.length);
    const gap = (W - ncol * NW) / (ncol - 1);
    const maxRows = Math.max(1, ...cols.map((c) => c.length));
    // Rows spread out to fill the panel's shape, within readable bounds.
    const box = $("graph");
    const aspect = box.clientWidth > 0 && box.clientHeight > 0 ? box.clientHeight / box.clientWidth : 0.6;
    const ROW = Math.max(38, Math.min(96, (aspect * W - HEAD - TOP * 2) / maxRows));
    const H = HEAD + TOP * 2 + maxRows * ROW;
    const xy = new Map();
    cols.forEach((col, ci) => {
      const offset = HEAD + TOP + ((maxRows - col.length) * ROW) / 2;
      col.forEach((n, r) => xy.set(n.id, { x: ci * (NW + gap), y: offset + r * ROW + (ROW - NH) / 2 }));
    });

    const root = svg("svg", {
      viewBox: "0 0 " + W + " " + H,
      class: "graph-svg",
      role: "img",
      "aria-labelledby": "graph-svg-title",
    });
    root.append(
      svg("title", {
        id: "graph-svg-title",
        text: "Graph version " + g.version + ": " + nodes.length + " nodes and " + edges.length + " edges, sources to agents",
      }),
    );
    const defs = svg("defs");
    defs.append(
      svg("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L8,4 L0,8 z", class: "arrow" })),
    );
    root.append(defs);
    const titles = ["Sources", "Objects", "Entities", "Views", "Agents", "Other"];
    const heads = svg("g", { class: "column-titles" });
    for (let ci = 0; ci < cols.length; ci++) {
      heads.append(svg("text", { x: (ci * (NW + gap) + NW / 2).toFixed(1), y: 14, "text-anchor": "middle", class: "column-title", text: titles[ci].toUpperCase() }));
    }
    root.append(heads);

    const edgeLayer = svg("g", { class: "edges" });
    const labelLayer = svg("g", { class: "edge-labels" });
    for (const e of edges) {
      const a = xy.get(e.from),
        b = xy.get(e.to);
      if (!a || !b) continue;
      const cls = "edge kind-" + e.kind + (changedEdge(e) ? " changed" : "");
      let d, lx, ly, anchor;
      if (pos.get(e.from).col === pos.get(e.to).col) {
        // Within a column (references): an arc to the right of the nodes.
        const x = a.x + NW,
          y1 = a.y + NH / 2,
          y2 = b.y + NH / 2;
        const bulge = 22 + Math.min(40, Math.abs(y2 - y1) / 6);
        d = `M${x},${y1} C${x + bulge},${y1} ${x + bulge},${y2} ${x + 2},${y2}`;
        lx = x + bulge * 0.75 + 3;
        ly = (y1 + y2) / 2;
        anchor = "start";
      } else {
        const x1 = a.x + NW,
          y1 = a.y + NH / 2,
          x2 = b.x - 2,
          y2 = b.y + NH / 2;
        const mx = (x1 + x2) / 2;
        d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
        // Labels sit near the column with the most nodes (the objects),
        // where edges are furthest apart: after the source end for
        // mappings, before the target end for a source's objects.
        const t = { contains: 0.8, maps_to: 0.27 }[e.kind] || 0.5;
        const bez = (p0, p1, p2, p3) => (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t * t * p2 + t ** 3 * p3;
        lx = bez(x1, mx, mx, x2);
        ly = bez(y1, y1, y2, y2) - 3;
        anchor = "middle";
      }
      const path = svg("path", { d, class: cls, "marker-end": "url(#arrow)" });
      // A view's rows already label its unified_in edge; the feeds
      // edges, which converge on few agents, would only repeat them.
      const label = e.kind === "feeds" ? "" : edgeLabel(e);
      const title = e.kind + ": " + e.from + " → " + e.to + (e.confidence > 0 ? ", confidence " + e.confidence.toFixed(2) : "") + (e.row_count > 0 ? ", " + fmtRows(e.row_count) + " rows" : "");
      path.append(svg("title", { text: title }));
      edgeLayer.append(path);
      if (label) {
        labelLayer.append(svg("text", { x: lx.toFixed(1), y: ly.toFixed(1), "text-anchor": anchor, class: "edge-label" + (changedEdge(e) ? " changed" : ""), "data-edge": e.from + "->" + e.to, text: label }));
      }
    }
    root.append(edgeLayer);

    const nodeLayer = svg("g", { class: "nodes" });
    for (const n of nodes) {
      const p = xy.get(n.id);
      const attrs = Object.entries(n.attributes || {})
        .map(([k, v]) => k + ": " + v)
        .join(", ");
      const gnode = svg("g", {
        class: "node kind-" + (COLUMNS.includes(n.kind) ? n.kind : "other") + (changedNode(n) ? " changed" : ""),
        transform: `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`,
        "data-id": n.id,
      });
      gnode.append(svg("title", { text: n.kind + " " + (n.label || n.id) + (attrs ? " (" + attrs + ")" : "") }));
      gnode.append(svg("rect", { width: NW, height: NH, rx: 6, ry: 6 }));
      gnode.append(svg("text", { x: 9, y: NH / 2 + 4, class: "node-label", text: shorten(n.label || n.id, 19) }));
      nodeLayer.append(gnode);
    }
    root.append(nodeLayer, labelLayer);
    $("graph").replaceChildren(root);

    // The same graph as rows, for screen readers and for copying.
    const label = new Map(nodes.map((n) => [n.id, n.label || n.id]));
    $("graph-rows").replaceChildren(
      ...edges.map((e) =>
        el(
          "tr",
          { class: changedEdge(e) ? "changed" : "" },
          el("td", { text: label.get(e.from) || e.from }),
          el("td", { text: label.get(e.to) || e.to }),
          el("td", { text: e.kind.replace("_", " ") }),
          el("td", { text: e.confidence > 0 ? Math.round(e.confidence * 100) + "%" : "" }),
          el("td", { text: e.row_count > 0 ? fmtRows(e.row_count) : "" }),
        ),
      ),
    );
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => state.graph && renderGraph(state.graph, null), 200);
  });

  // ------------------------------------------------------------- reviews

  async function loadReviews() {
    try {
      const { data } = await api("GET", "/api/v1/reviews?status=pending");
      renderReviews((data && data.items) || []);
      showError("reviews-error", "");
    } catch (err) {
      if (err.status !== 401) showError("reviews-error", err);
    }
  }

  function renderReviews(items) {
    $("reviews-count").textContent = items.length ? items.length + " pending" : "";
    const list = $("reviews");
    if (!items.length) {
      list.replaceChildren(el("li", { class: "empty", text: "Nothing waits for a decision." }));
      return;
    }
    list.replaceChildren(
      ...items.map((it) => {
        const r = it.repair || {};
        const what = r.to ? r.field + " → " + r.to : r.field + " is gone";
        const where = (it.key && it.key.connection_id) + " / " + (it.key && it.key.object);
        const conf = typeof r.confidence === "number" ? Math.round(r.confidence * 100) + "%" : "";
        const evidence = (r.evidence || []).slice(0, 3);
        return el(
          "li",
          { class: "review", "data-review": it.id },
          el("div", { class: "review-what" }, el("strong", { text: what }), el("span", { class: "meta", text: " " + conf })),
          el("div", { class: "meta", text: where + (r.target ? " · carries " + r.target : "") }),
          it.reason ? el("div", { class: "reason", text: it.reason }) : null,
          evidence.length ? el("ul", { class: "evidence" }, ...evidence.map((x) => el("li", { text: x }))) : null,
          el(
            "div",
            { class: "actions" },
            el("button", { type: "button", class: "approve", "aria-label": "Approve: " + what + " (" + where + ")", onclick: () => decide(it.id, "approve", what) }, "Approve"),
            el("button", { type: "button", class: "reject", "aria-label": "Reject: " + what + " (" + where + ")", onclick: () => decide(it.id, "reject", what) }, "Reject"),
          ),
        );
      }),
    );
  }

  async function decide(id, action, what) {
    const item = document.querySelector(`[data-review="${CSS.escape(id)}"]`);
    if (item) for (const b of item.querySelectorAll("button")) b.disabled = true;
    try {
      await api("POST", "/api/v1/reviews/" + encodeURIComponent(id) + "/" + action, {});
      announce((action === "approve" ? "Approved: " : "Rejected: ") + what + ".");
      showError("reviews-error", "");
    } catch (err) {
      if (err.status !== 401) showError("reviews-error", err);
    }
    loadReviews();
    loadConnections();
    // The graph follows through the event stream, or the next poll.
    if (!state.streamUp) loadGraph();
  }

  // --------------------------------------------------------- connections

  async function loadConnections() {
    try {
      const [{ data }, drift] = await Promise.all([api("GET", "/api/v1/connections"), loadDrift()]);
      renderConnections((data && data.connections) || [], drift);
      showError("connections-error", "");
    } catch (err) {
      if (err.status !== 401) showError("connections-error", err);
    }
  }

  // loadDrift returns the recent drift events by connection, or null when
  // this hostd has no drift event route.
  async function loadDrift() {
    try {
      const { data } = await api("GET", "/api/v1/drift/events?limit=100");
      const events = (data && data.events) || [];
      const by = new Map(); // newest first, as the API lists them
      for (const ev of events) {
        const c = ev.connection_id || "";
        if (!by.has(c)) by.set(c, []);
        by.get(c).push(ev);
      }
      return by;
    } catch (err) {
      if (err.status === 404 || err.status === 405) return null;
      throw err;
    }
  }

  // renderProposals lists the mapping proposals for new objects that wait
  // for a person (a connection in Safe Mode, or a low confidence).
  function renderProposals(cs) {
    const items = [];
    for (const c of cs) for (const p of c.pending || []) items.push({ c, p });
    $("proposals").replaceChildren(
      ...items.map(({ c, p }) => {
        const what = c.id + " / " + p.object + " → " + (p.entity || "no entity");
        const fields = ((p.mapping && p.mapping.fields) || []).filter((f) => f.target).length;
        return el(
          "li",
          { class: "review proposal", "data-proposal": c.id + "/" + p.object },
          el("div", { class: "review-what" }, el("strong", { text: "New object: " + what }), el("span", { class: "meta", text: " " + Math.round((p.confidence || 0) * 100) + "%" })),
          el("div", { class: "meta", text: fields + " fields mapped" + (p.reason ? " · waits: " + p.reason : "") }),
          el(
            "div",
            { class: "actions" },
            el("button", { type: "button", class: "approve", "aria-label": "Approve mapping: " + what, onclick: (ev) => approveMapping(ev.target, c.id, p.object, what) }, "Approve mapping"),
          ),
        );
      }),
    );
  }

  async function approveMapping(button, conn, object, what) {
    button.disabled = true;
    try {
      await api("POST", "/api/v1/mappings/" + encodeURIComponent(conn) + "/" + encodeURIComponent(object) + "/approve");
      announce("Approved mapping: " + what + ".");
      showError("reviews-error", "");
    } catch (err) {
      if (err.status !== 401) showError("reviews-error", err);
    }
    loadConnections();
    if (!state.streamUp) loadGraph();
  }

  function renderConnections(cs, drift) {
    renderProposals(cs);
    $("connections-count").textContent = cs.length ? String(cs.length) : "";
    const body = $("connections");
    if (!cs.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "empty", text: "No connections yet." })));
      return;
    }
    body.replaceChildren(
      ...cs.map((c) => {
        const h = c.health || {};
        const status = h.status || "unknown";
        const events = drift ? drift.get(c.id) || [] : null;
        const pending = (c.pending || []).length;
        const driftCell = el("td", { class: "meta" });
        if (events === null) driftCell.append("–");
        else if (!events.length) driftCell.append("none");
        else {
          const last = events[0];
          const changes = (last.changes || []).map((ch) => ch.kind + " " + ch.field).join(", ");
          const repairs = (last.repairs || []).map((r) => r.field + (r.to ? " → " + r.to : "") + " " + r.status).join(", ");
          driftCell.append(
            el("span", { class: "block", text: events.length + " recent" }),
            el("span", {
              class: "block",
              title: [changes, repairs].filter(Boolean).join("; "),
              text: last.object + " · " + last.severity,
            }),
          );
        }
        if (pending) driftCell.append(el("span", { class: "block", text: pending + " new object" + (pending > 1 ? "s" : "") + " waiting" }));
        return el(
          "tr",
          { "data-connection": c.id },
          el("th", { scope: "row" }, el("span", { text: c.name || c.id }), el("span", { class: "meta block", text: c.kind + (c.safe_mode ? " · safe mode" : "") })),
          el("td", {}, el("span", { class: "pill health-" + status, text: status }), h.failures ? el("span", { class: "meta block", text: h.failures + " failed in a row" }) : null, h.last_error ? el("span", { class: "meta block error-text", title: h.last_error, text: shorten(h.last_error, 40) }) : null),
          el("td", { class: "meta", text: fmtTime(h.last_sync_at) }),
          driftCell,
        );
      }),
    );
  }

  // ----------------------------------------------------------------- ask

  async function ask(ev) {
    ev.preventDefault();
    const q = $("ask-question").value.trim();
    if (!q) return;
    const out = $("answer");
    $("ask-submit").disabled = true;
    out.replaceChildren(el("p", { class: "meta", text: "Thinking…" }));
    try {
      const { data } = await api("POST", "/api/v1/nlp/ask", { question: q });
      const sources = data.sources || [];
      out.replaceChildren(
        el("p", { class: "meta" }, "Persona ", el("strong", { class: "persona", text: data.persona || "?" }), typeof data.confidence === "number" ? " · routing confidence " + Math.round(data.confidence * 100) + "%" : "", data.mode ? " · " + data.mode : ""),
        el("p", { class: "answer-text", text: data.text || "(no answer)" }),
        sources.length
          ? el("ol", { class: "sources", "aria-label": "Sources" }, ...sources.map((s) => el("li", { value: s.n, class: s.cited ? "cited" : "" }, el("strong", { text: s.title || s.document_id }), el("span", { class: "meta", text: " " + shorten(s.text || "", 140) }))))
          : el("p", { class: "meta", text: "No sources." }),
      );
    } catch (err) {
      if (err.status !== 401) out.replaceChildren(el("p", { class: "error", role: "alert", text: String(err.message) }));
    } finally {
      $("ask-submit").disabled = false;
    }
  }

  // -------------------------------------------------------- live events

  function setLive(mode) {
    const p = $("live-state");
    p.textContent = mode;
    p.className = "pill live-" + mode;
  }

  function startPolling() {
    if (state.pollTimer || !state.token) return;
    setLive("polling");
    let tick = 0;
    state.pollTimer = setInterval(() => {
      loadGraph();
      // The lists have no ETag; they are read less often.
      if (++tick % 3 === 0) {
        loadReviews();
        loadConnections();
      }
    }, POLL_MS);
  }

  function stopPolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = 0;
  }

  // reloadSoon coalesces reloads that events ask for in a burst.
  function reloadSoon(what, fn) {
    clearTimeout(state.reloadTimers[what]);
    state.reloadTimers[what] = setTimeout(fn, 150);
  }

  function onEvent(type, data) {
    if (type === "reset") {
      // The server could not replay what this page missed: read it all.
      reloadSoon("graph", loadGraph);
      reloadSoon("reviews", loadReviews);
      reloadSoon("connections", loadConnections);
    } else if (type === "graph.changed") {
      reloadSoon("graph", loadGraph);
    } else if (type.startsWith("review.") || type === "mesh.repair.queued" || type === "mesh.repair.applied") {
      reloadSoon("reviews", loadReviews);
      reloadSoon("connections", loadConnections);
    } else if (type.startsWith("mesh.") || type.startsWith("drift.") || type.startsWith("sync.")) {
      reloadSoon("connections", loadConnections);
    }
  }

  // connectEvents reads GET /api/v1/events as a Server-Sent Events stream
  // with fetch() (so the token goes in a header), resending Last-Event-ID
  // when it reconnects. While the stream is down the graph is polled.
  async function connectEvents() {
    if (!state.token) return;
    clearTimeout(state.reconnectTimer);
    const ctl = new AbortController();
    state.stream = ctl;
    const headers = { Accept: "text/event-stream", Authorization: "Bearer " + state.token };
    if (state.lastEventID) headers["Last-Event-ID"] = state.lastEventID;
    let retryMs = 0;
    try {
      const res = await fetch("/api/v1/events", { headers, signal: ctl.signal, cache: "no-store" });
      if (res.status === 401) {
        endSession("Your session has ended; log in again.");
        return;
      }
      const ct = res.headers.get("Content-Type") || "";
      if (!res.ok || !res.body || !ct.startsWith("text/event-stream")) throw new Error("event stream: " + res.status);
      state.streamUp = true;
      state.reconnectDelay = 1000;
      stopPolling();
      setLive("live");
      // Catch up with whatever happened while the stream was down.
      loadGraph();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      let ev = { type: "", data: [], id: null };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf[nl] === "\r" && buf[nl + 1] === "\n" ? 2 : 1));
          if (line === "") {
            // Dispatch (the SSE rules): an event with no data is dropped.
            if (ev.id !== null) state.lastEventID = ev.id;
            if (ev.data.length) {
              let data = null;
              try {
                data = JSON.parse(ev.data.join("\n"));
              } catch (_) {
                data = ev.data.join("\n");
              }
              onEvent(ev.type || "message", data);
            }
            ev = { type: "", data: [], id: null };
            continue;
          }
          if (line.startsWith(":")) continue; // keep-alive comment
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? "" : line.slice(colon + 1);
          if (val.startsWith(" ")) val = val.slice(1);
          if (field === "event") ev.type = val;
          else if (field === "data") ev.data.push(val);
          else if (field === "id" && !val.includes("\u0000")) ev.id = val;
          else if (field === "retry" && /^\d+$/.test(val)) retryMs = parseInt(val, 10);
        }
      }
    } catch (err) {
      if (ctl.signal.aborted) return; // logged out
    }
    if (state.stream !== ctl || !state.token) return;
    state.streamUp = false;
    startPolling();
    const delay = Math.max(retryMs, state.reconnectDelay);
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, 30000);
    state.reconnectTimer = setTimeout(connectEvents, delay);
  }

  // ---------------------------------------------------------------- start

  function init() {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", () => endSession("Logged out."));
    $("ask-form").addEventListener("submit", ask);
    setLive("offline");
    if (state.token) startSession();
    else $("login-email").focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
