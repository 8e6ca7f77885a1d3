// thinkscope report: sortable / filterable summary table and the trace browser. Every string
// from the results (model text included) reaches the page through textContent only.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };

  // -- summary table ----------------------------------------------------------------------
  const table = $("summary-table");
  const rows = Array.from(table.tBodies[0].rows);
  function filterSummary() {
    const a = $("f-analysis").value, g = $("f-group").value;
    const t = $("f-text").value.toLowerCase();
    let shown = 0;
    for (const r of rows) {
      const ok = (!a || r.dataset.analysis === a) && (!g || r.dataset.group === g) &&
        (!t || r.cells[2].textContent.toLowerCase().includes(t));
      r.hidden = !ok;
      if (ok) shown++;
    }
    $("summary-count").textContent = shown + " of " + rows.length + " rows";
  }
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
    th.addEventListener("click", () => {
      const asc = !th.classList.contains("asc");
      Array.from(table.tHead.rows[0].cells).forEach((c) => c.classList.remove("asc", "desc"));
      th.classList.add(asc ? "asc" : "desc");
      const num = th.dataset.type === "num";
      const key = (r) => {
        const c = r.cells[i];
        if (!num) return c.textContent;
        const v = parseFloat(c.dataset.value);
        return isNaN(v) ? -Infinity : v;
      };
      const sorted = rows.slice().sort((x, y) => {
        const a = key(x), b = key(y);
        const d = num ? a - b : String(a).localeCompare(String(b));
        return asc ? d : -d;
      });
      for (const r of sorted) table.tBodies[0].appendChild(r);
    });
  });
  ["f-analysis", "f-group", "f-text"].forEach((id) => $(id).addEventListener("input", filterSummary));
  filterSummary();

  // -- trace browser ----------------------------------------------------------------------
  const data = JSON.parse($("trace-data").textContent);
  const traces = data.traces;
  const colours = data.colours || {};
  const fill = (sel, values) => values.forEach((v) => {
    const o = el("option", v); o.value = v; sel.appendChild(o);
  });
  fill($("t-model"), Array.from(new Set(traces.map((t) => t.model))).sort());
  fill($("t-label"), Array.from(new Set(traces.flatMap((t) => t.segments.map((s) => s[0]))
    .filter((x) => x))).sort());
  const verdict = (t) => t.correct === true ? "right" : t.correct === false ? "wrong" : "unknown";

  function matches(t) {
    const m = $("t-model").value, l = $("t-label").value;
    const c = $("t-correct").value, e = $("t-error").value;
    if (m && t.model !== m) return false;
    if (l && !t.segments.some((s) => s[0] === l)) return false;
    if (c && verdict(t) !== c) return false;
    if (e === "none" && t.first_error !== null) return false;
    if (e === "some" && t.first_error === null) return false;
    return true;
  }

  const SVGNS = "http://www.w3.org/2000/svg";
  const svgEl = (tag, attrs, text) => {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  function plot(title, points, kind) {
    // points: [x in [0,1], y in [0,1]]; kind "step" (truncation) or "bars" (importance)
    const W = 320, H = 150, L = 34, B = 26, T = 18, R = 8;
    const svg = svgEl("svg", { width: W, height: H, role: "img" });
    svg.appendChild(svgEl("title", {}, title));
    svg.appendChild(svgEl("text", { x: L, y: 12, "font-size": 11 }, title));
    const x = (v) => L + v * (W - L - R), y = (v) => H - B - v * (H - B - T);
    svg.appendChild(svgEl("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: "#888" }));
    svg.appendChild(svgEl("line", { x1: L, y1: y(0), x2: L, y2: y(1), stroke: "#888" }));
    if (kind === "step") {
      let d = "";
      points.forEach((p, i) => { d += (i ? " L" : "M") + x(p[0]) + " " + y(p[1]); });
      svg.appendChild(svgEl("path", { d: d, fill: "none", stroke: "#1f77b4", "stroke-width": 2 }));
      points.forEach((p) => svg.appendChild(svgEl("circle", { cx: x(p[0]), cy: y(p[1]), r: 3, fill: "#1f77b4" })));
      svg.appendChild(svgEl("text", { x: 2, y: y(1) + 4, "font-size": 10 }, "same"));
      svg.appendChild(svgEl("text", { x: 2, y: y(0) + 4, "font-size": 10 }, "other"));
      svg.appendChild(svgEl("text", { x: L, y: H - 6, "font-size": 10 }, "fraction of CoT kept (sentence cuts)"));
    } else {
      const bw = (W - L - R) / Math.max(points.length, 1);
      points.forEach((p, i) => {
        const r = svgEl("rect", { x: L + i * bw + 1, y: y(p[1]), width: Math.max(bw - 2, 1),
          height: y(0) - y(p[1]), fill: "#ff7f0e" });
        r.appendChild(svgEl("title", {}, p[2]));
        svg.appendChild(r);
      });
      svg.appendChild(svgEl("text", { x: L, y: H - 6, "font-size": 10 }, "sentence (hover for text)"));
    }
    return svg;
  }

  function openTrace(id) {
    const t = traces.find((x) => x.id === id);
    const view = $("trace-view");
    view.replaceChildren();
    for (const r of $("trace-list").tBodies[0].rows) r.classList.toggle("open", r.dataset.id === id);
    if (!t) { view.appendChild(el("p", "Choose a trace.", "small")); return; }
    const box = el("div", undefined, "trace");
    box.dataset.trace = t.id;
    const meta = el("table", undefined, "meta");
    const add = (k, v) => {
      if (v === null || v === undefined || v === "") return;
      const tr = el("tr"); tr.appendChild(el("td", k)); tr.appendChild(el("td", v)); meta.appendChild(tr);
    };
    add("model", t.model); add("trace", t.id); add("problem", t.problem);
    add("question", t.question); add("hint", t.hint); add("gold answer", t.gold);
    add("model's answer", t.answer); add("graded", verdict(t));
    add("checked steps", t.n_checkable === null ? null : t.n_checkable + " checkable, " + t.n_errors + " wrong");
    add("first erroneous step", t.first_error === null ? "none found" : t.first_error);
    box.appendChild(meta);
    const body = el("div", undefined, "segments");
    t.segments.forEach((s, i) => {
      const span = el("span", s[1], "seg" + (t.first_error === i ? " first-error" : ""));
      span.style.background = colours[s[0]] || "#ffffff";
      span.title = s[0] || "unlabelled";
      body.appendChild(span);
    });
    box.appendChild(body);
    const curves = el("div", undefined, "curves");
    if (t.early && t.early.length)
      curves.appendChild(plot("answer forced after each cut: same as full CoT?",
        t.early.map((p) => [p[0], p[1] ? 1 : 0]), "step"));
    if (t.importance && t.importance.length) {
      const vals = t.importance.map((p) => p[1] || 0), top = Math.max(...vals, 1e-9);
      curves.appendChild(plot("resampling importance (KL) per sentence, max " + top.toFixed(3),
        t.importance.map((p, i) => [i, (p[1] || 0) / top, p[0] + ": " + p[3]]), "bars"));
    }
    if (curves.childNodes.length) box.appendChild(curves);
    view.appendChild(box);
  }

  function writeHash(open) {
    const p = new URLSearchParams();
    [["model", "t-model"], ["label", "t-label"], ["correct", "t-correct"], ["error", "t-error"]]
      .forEach(([k, id]) => { if ($(id).value) p.set(k, $(id).value); });
    if (open) p.set("open", open);
    history.replaceState(null, "", "#traces&" + p.toString());
  }

  function listTraces(open) {
    const body = $("trace-list").tBodies[0];
    body.replaceChildren();
    const shown = traces.filter(matches);
    for (const t of shown) {
      const tr = el("tr");
      tr.dataset.id = t.id;
      tr.className = "trace-row";
      [t.model, t.id.slice(0, 10), t.problem || "", verdict(t),
       t.first_error === null ? "–" : "step " + t.first_error].forEach((v) => tr.appendChild(el("td", v)));
      tr.addEventListener("click", () => { openTrace(t.id); writeHash(t.id); });
      body.appendChild(tr);
    }
    $("trace-count").textContent = shown.length + " of " + traces.length + " traces";
    const target = shown.find((t) => t.id === open) || shown[0];
    openTrace(target ? target.id : null);
    return target;
  }

  ["t-model", "t-label", "t-correct", "t-error"].forEach((id) => $(id).addEventListener("input", () => {
    const t = listTraces(null); writeHash(t ? t.id : null);
  }));

  // state from the address: #traces&model=...&label=...&open=<trace id> (a link to a view);
  // filters the address does not name are reset
  function applyHash() {
    const hash = location.hash.slice(1);
    if (!hash.startsWith("traces&")) return false;
    const p = new URLSearchParams(hash.slice("traces&".length));
    [["model", "t-model"], ["label", "t-label"], ["correct", "t-correct"], ["error", "t-error"]]
      .forEach(([k, id]) => { $(id).value = p.get(k) || ""; });
    listTraces(p.get("open"));
    return true;
  }
  window.addEventListener("hashchange", applyHash);
  if (!applyHash()) listTraces(null);
})();
