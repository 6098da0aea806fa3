"use strict";
(function () {
  var holder = document.getElementById("drydock-data");
  var kind = holder.getAttribute("data-kind");
  var data = JSON.parse(holder.textContent);
  var SEV = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"];
  var root = document.getElementById("report");

  // Every value from the image or the database goes in as text, never as markup.
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function osv(id) {
    // A plain link, opened only when clicked; ids are checked so nothing else becomes a URL.
    if (!/^[A-Za-z0-9._:-]+$/.test(id)) return el("span", { text: id });
    return el("a", { href: "https://osv.dev/vulnerability/" + encodeURIComponent(id), rel: "noreferrer noopener", text: id });
  }
  function mb(n) { return n == null ? "" : (n / 1e6).toFixed(1) + " MB"; }
  function sevBadge(s) { return el("span", { cls: "sev " + s, text: s }); }
  function age(s) { if (s == null) return "unknown"; var h = s / 3600; return h < 48 ? h.toFixed(0) + " h" : (h / 24).toFixed(0) + " days"; }

  function header(image, extra) {
    var h = el("header");
    add(h, el("h1", { text: "drydock " + kind + ": " + (image ? image.name : "") }));
    var meta = add(h, el("div", { cls: "meta" }));
    function row(k, v) { if (v == null || v === "") return; add(meta, el("span", { text: k })); add(meta, el("b", { text: String(v) })); }
    if (image) {
      row("manifest", image.manifest_digest);
      row("config", image.config_digest);
      row("platform", image.platform);
      if (image.os) row("OS", (image.os.pretty_name || (image.os.id + " " + (image.os.version_id || ""))));
      row("layers", (image.layers || []).length);
      var b = image.base_image;
      if (b) row("base image", (b.name || "unknown") + (b.tag ? ":" + b.tag : "") + " (" + b.evidence + ", " + b.confidence + (b.layers != null ? ", " + b.layers + " layers" : "") + ")");
    }
    (extra || []).forEach(function (e) { row(e[0], e[1]); });
    return h;
  }

  function severityBar(counts, total) {
    var box = el("div");
    var bar = add(box, el("div", { cls: "bar", role: "img", "aria-label": "findings per severity" }));
    var legend = add(box, el("div", { cls: "legend" }));
    SEV.forEach(function (s) {
      var n = counts[s] || 0;
      if (n && total) {
        // Through the CSSOM: a style attribute would need 'unsafe-inline' in the page's CSP.
        var seg = bar.appendChild(el("span", { cls: s, title: s + ": " + n }));
        seg.style.width = (100 * n / total).toFixed(3) + "%";
      }
      add(legend, el("span", { "data-severity-total": s }, [el("i", { cls: s }), s + ": " + n]));
    });
    return box;
  }

  // A sortable table over rows of plain values; cells are built by `cell(row, column)`.
  function table(columns, rows, cell, id) {
    var t = el("table", { id: id });
    var thead = add(t, el("thead")), tr = add(thead, el("tr"));
    var body = add(t, el("tbody"));
    var state = { col: null, dir: 1 };
    columns.forEach(function (c, i) {
      var th = add(tr, el("th", { text: c.title }));
      th.addEventListener("click", function () {
        state.dir = state.col === i ? -state.dir : 1; state.col = i;
        Array.prototype.forEach.call(tr.children, function (x) { x.removeAttribute("data-dir"); });
        th.setAttribute("data-dir", state.dir > 0 ? "asc" : "desc");
        rows.sort(function (a, b) {
          var x = c.key(a), y = c.key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
        });
        draw();
      });
    });
    var visible = function () { return true; };
    function draw() {
      body.textContent = "";
      var frag = document.createDocumentFragment(), shown = 0;
      rows.forEach(function (r) {
        if (!visible(r)) return;
        shown++;
        var row = el("tr");
        columns.forEach(function (c) { var td = el("td"); var v = cell(r, c); if (v != null) td.appendChild(typeof v === "string" ? document.createTextNode(v) : v); row.appendChild(td); });
        frag.appendChild(row);
      });
      body.appendChild(frag);
      t.setAttribute("data-shown", String(shown));
      if (t.onDraw) t.onDraw(shown);
    }
    t.filter = function (f) { visible = f; draw(); };
    draw();
    return t;
  }

  // Filters live in the URL fragment (#severity=HIGH&q=openssl), so a filtered view is a link.
  function readFragment() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("=");
      out[decodeURIComponent(i < 0 ? kv : kv.slice(0, i))] = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }
  function writeFragment(f) {
    var parts = [];
    for (var k in f) if (f[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(f[k]));
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
  }
  function filterBar(fields, onChange) {
    var bar = el("div", { cls: "filters" });
    var initial = readFragment(), values = {};
    fields.forEach(function (f) {
      var input;
      if (f.options) {
        input = el("select", { "aria-label": f.label, "data-filter": f.name });
        add(input, el("option", { value: "", text: f.label + ": all" }));
        f.options.forEach(function (o) { add(input, el("option", { value: String(o), text: String(o) })); });
      } else {
        input = el("input", { type: "search", placeholder: f.label, "aria-label": f.label, "data-filter": f.name });
      }
      input.value = initial[f.name] || "";
      values[f.name] = input.value;
      input.addEventListener("input", function () { values[f.name] = input.value; writeFragment(values); onChange(values); });
      add(bar, input);
    });
    var count = add(bar, el("span", { cls: "count" }));
    bar.setCount = function (shown, total) { count.textContent = shown + " of " + total + " shown"; };
    bar.values = values;
    return bar;
  }
  function uniq(list) { var s = {}; list.forEach(function (x) { if (x != null && x !== "") s[x] = 1; }); return Object.keys(s).sort(); }

  function findingsSection(parent, findings, opts) {
    var base = opts && opts.baseline;
    var cols = [
      { title: "severity", key: function (f) { return SEV.indexOf(f.severity); } },
      { title: "advisory", key: function (f) { return f.id; } },
      { title: "package", key: function (f) { return f.package.name; } },
      { title: "installed", key: function (f) { return f.package.version; } },
      { title: "fixed in", key: function (f) { return f.fixed_version || ""; } },
      { title: "status", key: function (f) { return f.status; } },
      { title: "layer", key: function (f) { return f.layer == null ? -1 : f.layer; } }
    ];
    var fixes = findings.some(function (f) { return f.fix; });
    if (fixes) cols.push({ title: "fix", key: function (f) { return f.fix ? f.fix.class : ""; } });
    if (base) cols.push({ title: "baseline", key: function (f) { return f.baseline ? f.baseline.state : ""; } });
    var fields = [
      { name: "q", label: "search" },
      { name: "severity", label: "severity", options: SEV },
      { name: "ecosystem", label: "ecosystem", options: uniq(findings.map(function (f) { return f.package.ecosystem; })) },
      { name: "status", label: "status", options: uniq(findings.map(function (f) { return f.status; })) },
      { name: "layer", label: "layer", options: uniq(findings.map(function (f) { return f.layer == null ? "" : String(f.layer); })) }
    ];
    if (fixes) fields.push({ name: "fix", label: "fix", options: uniq(findings.map(function (f) { return f.fix ? f.fix.class : ""; })) });
    if (base) fields.push({ name: "baseline", label: "baseline", options: uniq(findings.map(function (f) { return f.baseline ? f.baseline.state : ""; })) });
    function matches(f, v) {
      if (v.severity && f.severity !== v.severity) return false;
      if (v.ecosystem && f.package.ecosystem !== v.ecosystem) return false;
      if (v.status && f.status !== v.status) return false;
      if (v.layer && String(f.layer) !== v.layer) return false;
      if (v.baseline && !(f.baseline && f.baseline.state === v.baseline)) return false;
      if (v.fix && !(f.fix && f.fix.class === v.fix)) return false;
      if (v.q) {
        var hay = [f.id, f.package.name, f.package.version, f.summary || "", (f.aliases || []).join(" "), f.package.purl].join(" ").toLowerCase();
        if (hay.indexOf(v.q.toLowerCase()) < 0) return false;
      }
      return true;
    }
    var rows = findings.slice();
    var t;
    var bar = filterBar(fields, function (v) { t.filter(function (f) { return matches(f, v); }); });
    add(parent, bar);
    t = table(cols, rows, function (f, c) {
      switch (c.title) {
        case "severity": return sevBadge(f.severity);
        case "advisory": {
          var box = el("span", null, [osv(f.id)]);
          if (f.aliases && f.aliases.length) box.appendChild(el("div", { cls: "count", text: f.aliases.slice(0, 4).join(", ") + (f.aliases.length > 4 ? " …" : "") }));
          if (f.summary) box.appendChild(el("div", { text: f.summary }));
          return box;
        }
        case "package": return el("code", { text: f.package.name, title: f.package.purl });
        case "installed": return el("code", { text: f.package.version });
        case "fixed in": return f.fixed_version ? el("code", { text: f.fixed_version }) : el("span", { cls: "empty", text: "no fix yet" });
        case "status": return f.status;
        case "layer": {
          var d = f.introduced_by && f.introduced_by.dockerfile;
          if (d) return el("span", { title: d.instruction, text: d.path.split("/").pop() + ":" + d.line });
          return f.layer == null ? "" : String(f.layer);
        }
        case "fix": return f.fix ? el("span", { title: f.fix.action, text: f.fix.class + (f.fix.version ? " → " + f.fix.version : "") }) : "";
        case "baseline": return f.baseline ? el("span", { cls: f.baseline.state === "new" ? "new" : "", text: f.baseline.state + (f.baseline.newly_disclosed ? " (newly disclosed)" : "") }) : "";
      }
    }, "findings");
    t.onDraw = function (shown) { bar.setCount(shown, rows.length); };
    t.filter(function (f) { return matches(f, bar.values); });
    add(parent, t);
  }

  function layersSection(parent, image, packages, findings) {
    add(parent, el("h2", { text: "Layers" }));
    (image.layers || []).forEach(function (l) {
      var pk = packages.filter(function (p) { return p.layer === l.index; });
      var fs = findings.filter(function (f) { return f.layer === l.index; });
      var box = add(parent, el("div", { cls: "layer", "data-layer": String(l.index) }));
      add(box, el("div", null, [el("b", { text: "layer " + l.index }), "  " + mb(l.size) + " · " + pk.length + " packages · " + fs.length + " findings"]));
      if (l.created_by) add(box, el("div", { cls: "cmd mono", text: l.created_by }));
      if (pk.length) {
        var d = add(box, el("details"));
        add(d, el("summary", { text: "packages installed by this layer" }));
        add(d, el("div", { cls: "mono", text: pk.map(function (p) { return p.name + " " + p.version; }).join(", ") }));
      }
    });
  }

  function inventorySection(parent, packages) {
    var d = add(parent, el("details", { id: "inventory" }));
    add(d, el("summary", { text: "Package inventory (" + packages.length + ")" }));
    var rows = packages.slice();
    add(d, table([
      { title: "name", key: function (p) { return p.name; } },
      { title: "version", key: function (p) { return p.version; } },
      { title: "ecosystem", key: function (p) { return p.ecosystem; } },
      { title: "layer", key: function (p) { return p.layer == null ? -1 : p.layer; } },
      { title: "location", key: function (p) { return (p.locations || [])[0] || ""; } }
    ], rows, function (p, c) {
      switch (c.title) {
        case "name": return el("code", { text: p.name, title: p.purl });
        case "version": return el("code", { text: p.version });
        case "ecosystem": return p.ecosystem;
        case "layer": return p.layer == null ? "" : String(p.layer);
        case "location": return el("span", { cls: "mono", text: (p.locations || [])[0] || "" });
      }
    }, "packages"));
  }

  function counts(findings) { var c = {}; findings.forEach(function (f) { c[f.severity] = (c[f.severity] || 0) + 1; }); return c; }

  var main = el("main");
  if (kind === "scan") {
    var db = data.database || {};
    root.appendChild(header(data.image, [["database age", age(db.age_seconds)], ["advisory sources", (db.sources || []).map(function (s) { return s.name; }).join(", ")], ["packages scanned", data.packages_scanned]]));
    add(main, el("h2", { text: "Findings (" + data.findings.length + ")" }));
    add(main, severityBar(data.summary.by_severity || {}, data.findings.length));
    var cards = add(main, el("div", { cls: "cards" }));
    add(cards, el("div", { cls: "card" }, [el("b", { text: String(data.summary.fixable), "data-total": "fixable" }), "with a fix"]));
    add(cards, el("div", { cls: "card" }, [el("b", { text: String(data.findings.length - data.summary.fixable) }), "without a fix"]));
    if (data.baseline) {
      var b = data.baseline;
      [["new", b.new], ["unchanged", b.unchanged], ["updated", b.updated], ["newly disclosed", b.newly_disclosed], ["fixed by the change", (b.absent || []).length]].forEach(function (x) {
        add(cards, el("div", { cls: "card" }, [el("b", { text: String(x[1]), "data-total": x[0] }), x[0]]));
      });
    }
    findingsSection(main, data.findings, { baseline: !!data.baseline });
    layersSection(main, data.image, data.packages || [], data.findings);
    if (data.suppressed && data.suppressed.length) {
      add(main, el("h2", { text: "Suppressed (" + data.suppressed.length + ")" }));
      add(main, table([{ title: "advisory", key: function (s) { return s.id; } }, { title: "package", key: function (s) { return s.package; } }, { title: "reason", key: function (s) { return s.reason; } }, { title: "expires", key: function (s) { return s.expires || ""; } }],
        data.suppressed.slice(), function (s, c) { return c.title === "advisory" ? osv(s.id) : String(s[c.title === "package" ? "package" : c.title === "reason" ? "reason" : "expires"] || ""); }, "suppressed"));
    }
    inventorySection(main, data.packages || []);
  } else if (kind === "sbom") {
    root.appendChild(header(data.image, [["packages", data.packages.length]]));
    layersSection(main, data.image, data.packages, []);
    inventorySection(main, data.packages);
    main.querySelector("#inventory").setAttribute("open", "");
  } else if (kind === "compare") {
    root.appendChild(header(data.after, [["compared with", data.before.name], ["shared layers", data.layers.shared], ["size", mb(data.layers.before_bytes) + " → " + mb(data.layers.after_bytes)]]));
    var all = [];
    ["new", "fixed", "updated", "unchanged"].forEach(function (state) {
      data.findings[state].forEach(function (f) { var g = JSON.parse(JSON.stringify(f)); g.baseline = { state: state === "fixed" ? "fixed" : state }; all.push(g); });
    });
    var cc = add(main, el("div", { cls: "cards" }));
    ["new", "fixed", "updated", "unchanged"].forEach(function (s) { add(cc, el("div", { cls: "card" }, [el("b", { text: String(data.findings[s].length), "data-total": s }), s + " vulnerabilities"])); });
    add(main, el("h2", { text: "Vulnerabilities" }));
    findingsSection(main, all, { baseline: true });
    add(main, el("h2", { text: "Package changes" }));
    var changes = [];
    ["added", "removed", "changed"].forEach(function (k) { data.packages[k].forEach(function (p) { changes.push({ change: k, p: p }); }); });
    add(main, table([{ title: "change", key: function (r) { return r.change; } }, { title: "ecosystem", key: function (r) { return r.p.ecosystem; } }, { title: "package", key: function (r) { return r.p.name; } }, { title: "before", key: function (r) { return r.p.before.join(", "); } }, { title: "after", key: function (r) { return r.p.after.join(", "); } }],
      changes, function (r, c) { return c.title === "change" ? r.change : c.title === "ecosystem" ? r.p.ecosystem : c.title === "package" ? el("code", { text: r.p.name }) : c.title === "before" ? r.p.before.join(", ") : r.p.after.join(", "); }, "changes"));
  } else if (kind === "lint") {
    var fs = data.findings || [];
    root.appendChild(header(null, [["findings", fs.length], ["files", uniq(fs.map(function (f) { return f.file; })).length]]));
    add(main, el("h2", { text: "Dockerfile findings (" + fs.length + ")" }));
    add(main, table([{ title: "severity", key: function (f) { return f.severity; } }, { title: "rule", key: function (f) { return f.rule; } }, { title: "file", key: function (f) { return f.file + ":" + String(1e6 + f.line); } }, { title: "message", key: function (f) { return f.message; } }],
      fs.slice(), function (f, c) { return c.title === "severity" ? f.severity : c.title === "rule" ? el("code", { text: f.rule + (f.hadolint ? " (" + f.hadolint + ")" : "") }) : c.title === "file" ? el("code", { text: f.file + ":" + f.line }) : f.message; }, "lint"));
  }
  root.appendChild(main);
  root.setAttribute("data-ready", "true");
})();
