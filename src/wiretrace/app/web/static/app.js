// The story browser's only script. Server pages work without it: it keeps the pair view's two columns
// scrolling in step and finds a passage's partner on a click. In the static export (site/) it also
// pages and sorts the story list, searches the prebuilt index and draws documents and pairs, all from
// data shards loaded as <script> files (JSONP: works from file://).
// It never parses data as HTML: every element is made with createElement and filled with textContent.
(function () {
  "use strict";

  // ------------------------------------------------------------------ data shards (JSONP)
  var loaded = {}, waiting = {};
  window.wiretraceData = function (key, value) {
    loaded[key] = value;
    (waiting[key] || []).forEach(function (cb) { cb(value); });
    delete waiting[key];
  };
  function load(key, src, cb) {
    if (Object.prototype.hasOwnProperty.call(loaded, key)) { cb(loaded[key]); return; }
    if (waiting[key]) { waiting[key].push(cb); return; }
    waiting[key] = [cb];
    var s = document.createElement("script");
    s.src = src;
    s.onerror = function () { var cbs = waiting[key] || []; delete waiting[key]; cbs.forEach(function (f) { f(null); }); };
    document.head.appendChild(s);
  }
  // 32-bit FNV-1a of the UTF-8 bytes, as export.py computes it.
  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text), h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 0x01000193) >>> 0; }
    return h >>> 0;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function link(href, cls, text) { var a = el("a", cls, text); a.setAttribute("href", href); return a; }
  function hashParams() { return new URLSearchParams(window.location.hash.replace(/^#/, "")); }
  function slug(v) { return String(v).toLowerCase().replace(/[^a-z0-9_-]/g, "-") || "unknown"; }
  var body = document.body;

  // ------------------------------------------------------------------ story rows (list and search)
  function storyRow(s, rank) {
    var tr = el("tr", "story-row");
    tr.setAttribute("data-story", s.id);
    tr.appendChild(el("td", "num rank muted", rank));
    var td = el("td");
    td.appendChild(link(s.href, "headline", s.headline));
    td.appendChild(el("div", "muted sid", s.id + " \u00b7 " + s.n_docs + " document" + (s.n_docs !== 1 ? "s" : "")));
    tr.appendChild(td);
    var when = el("td", "when");
    if (s.first) {
      when.textContent = s.first + (s.last !== s.first ? " \u2013 " + s.last : "");
      if (s.days) when.appendChild(el("span", "muted", " (" + s.days + " day" + (s.days !== 1 ? "s" : "") + ")"));
    } else when.appendChild(el("span", "muted", "undated"));
    tr.appendChild(when);
    tr.appendChild(el("td", "num sources", s.n_sources));
    tr.appendChild(el("td", "num reuse", s.reuse));
    var o = el("td");
    if (s.origin) {
      if (s.origin.source) { o.appendChild(el("b", "", s.origin.source)); o.appendChild(el("br")); }
      o.appendChild(link(s.origin.href, "docid", s.origin.id));
    } else o.appendChild(el("span", "muted", "\u2013"));
    tr.appendChild(o);
    var t = el("td");
    var svg = svgEl("svg", { "class": "timeline", viewBox: "0 0 170 34", width: 170, height: 34, role: "img" });
    svg.appendChild(svgEl("line", { "class": "axis", x1: 4, y1: 30, x2: 166, y2: 30 }));
    (s.dots || []).forEach(function (d) {
      var c = svgEl("circle", { "class": "dot " + d[2], cx: d[0], cy: d[1], r: 4 });
      var title = svgEl("title", {});
      title.textContent = d[3];
      c.appendChild(title);
      svg.appendChild(c);
    });
    t.appendChild(svg);
    if (s.more_dots) t.appendChild(el("div", "muted small", "+" + s.more_dots + " not drawn"));
    tr.appendChild(t);
    return tr;
  }

  // ------------------------------------------------------------------ the story list (static export)
  if (body.hasAttribute("data-list") && body.classList.contains("page-stories")) {
    var prefix = body.getAttribute("data-list"), per = Number(body.getAttribute("data-per"));
    var pages = Number(body.getAttribute("data-pages"));
    var rowsBox = document.getElementById("story-rows");
    var showList = function () {
      var p = hashParams(), sort = p.get("sort") || "size", page = Math.max(1, Math.min(pages, Number(p.get("page")) || 1));
      var key = "list-" + sort + "-" + String(page).padStart(5, "0");
      load(key, prefix + sort + "-" + String(page).padStart(5, "0") + ".js", function (rows) {
        if (!rows) return;
        rowsBox.textContent = "";
        rows.forEach(function (s, i) { rowsBox.appendChild(storyRow(s, (page - 1) * per + i + 1)); });
        document.querySelectorAll("nav.sorts [data-sort]").forEach(function (x) {
          var k = x.getAttribute("data-sort");
          var a = el(k === sort ? "b" : "a", k === sort ? "cur" : "", x.textContent);
          a.setAttribute("data-sort", k);
          if (k !== sort) a.setAttribute("href", "#sort=" + k + "&page=1");
          x.replaceWith(a);
        });
        document.querySelectorAll("nav.pager").forEach(function (nav) {
          nav.textContent = "";
          if (page > 1) nav.appendChild(link("#sort=" + sort + "&page=" + (page - 1), "prev", "\u2190 previous"));
          var where = el("span", "where", "page ");
          where.appendChild(el("b", "pno", page));
          where.appendChild(document.createTextNode(" of " + pages));
          nav.appendChild(document.createTextNode(" "));
          nav.appendChild(where);
          nav.appendChild(document.createTextNode(" "));
          if (page < pages) nav.appendChild(link("#sort=" + sort + "&page=" + (page + 1), "next", "next \u2192"));
          nav.setAttribute("data-page", page);
        });
        body.setAttribute("data-shown", sort + ":" + page);
      });
    };
    window.addEventListener("hashchange", showList);
    if (window.location.hash) showList(); else body.setAttribute("data-shown", "size:1");
  }

  // ------------------------------------------------------------------ keyword search (static export)
  if (body.hasAttribute("data-terms")) {
    var terms = body.getAttribute("data-terms"), shards = Number(body.getAttribute("data-shards"));
    var listPrefix = body.getAttribute("data-list"), perPage = Number(body.getAttribute("data-per"));
    var form = document.getElementById("find"), box = document.getElementById("q");
    var status = document.getElementById("status"), out = document.getElementById("story-rows");
    var SHOWN = 50;
    var search = function (q) {
      var words = (q.toLowerCase().match(/[\p{L}\p{N}_]+/gu) || []).filter(function (w) { return w.length > 1 || /\d/.test(w); });
      out.textContent = "";
      out.classList.remove("empty");
      if (!words.length) { status.textContent = "Type one or more words."; return; }
      status.textContent = "Searching\u2026";
      var lists = [], left = words.length;
      words.forEach(function (w, i) {
        var k = fnv1a(w) % shards;
        load("terms-" + k, terms + k + ".js", function (shard) {
          lists[i] = (shard && Object.prototype.hasOwnProperty.call(shard, w)) ? shard[w] : [];
          if (--left === 0) show(lists);
        });
      });
      function show(lists) {
        var hits = lists.reduce(function (acc, l) { var s = new Set(l); return acc.filter(function (x) { return s.has(x); }); });
        if (!hits.length) {
          status.textContent = "No story holds every word of \u201c" + q + "\u201d.";
          var tr = el("tr", "empty"); var td = el("td", "", "no match"); td.colSpan = 7; tr.appendChild(td); out.appendChild(tr);
          return;
        }
        hits = hits.slice(0, SHOWN);
        var need = {}, rows = {}, wanted = 0;
        hits.forEach(function (i) { need[Math.floor(i / perPage)] = true; });
        Object.keys(need).forEach(function (n) {
          wanted++;
          var name = "list-size-" + String(Number(n) + 1).padStart(5, "0");
          load(name, listPrefix + String(Number(n) + 1).padStart(5, "0") + ".js", function (shard) {
            rows[n] = shard || [];
            if (--wanted === 0) {
              status.textContent = hits.length + (hits.length === SHOWN ? "+" : "") + " stor" + (hits.length === 1 ? "y" : "ies") + ", largest first";
              hits.forEach(function (i) {
                var s = rows[Math.floor(i / perPage)][i % perPage];
                if (s) out.appendChild(storyRow(s, i + 1));
              });
              body.setAttribute("data-searched", q);
            }
          });
        });
      }
    };
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      window.location.hash = new URLSearchParams({ q: box.value }).toString();
    });
    var fromHash = function () { var q = hashParams().get("q") || ""; box.value = q; if (q) search(q); };
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }

  // ------------------------------------------------------------------ documents and pairs (static export)
  function docBucket(id, cb) {
    var n = Number(body.getAttribute("data-buckets")), k = fnv1a(id) % n;
    load("docs-" + k, body.getAttribute("data-docs") + k + ".js", function (b) {
      cb(b && Object.prototype.hasOwnProperty.call(b, id) ? b[id] : null);
    });
  }
  function missing(view, what) { view.textContent = ""; view.appendChild(el("p", "error", what + " is not in this export.")); }
  // Cut text into pieces under marks [start, end, cls, label, title, passage]; the first mark listed wins.
  function pieces(text, marks) {
    var cuts = [0, text.length];
    marks.forEach(function (m) { cuts.push(Math.max(0, Math.min(text.length, m[0])), Math.max(0, Math.min(text.length, m[1]))); });
    cuts = Array.from(new Set(cuts)).sort(function (a, b) { return a - b; });
    var out = [], seen = {};
    for (var i = 0; i + 1 < cuts.length; i++) {
      var x = cuts[i], y = cuts[i + 1], idx = -1;
      if (x >= y) continue;
      for (var j = 0; j < marks.length; j++) if (marks[j][0] <= x && marks[j][1] >= y) { idx = j; break; }
      var last = out[out.length - 1];
      if (last && last.mark === idx) { last.end = y; continue; }
      out.push({ start: x, end: y, mark: idx, first: idx >= 0 && !seen[idx] });
      if (idx >= 0) seen[idx] = true;
    }
    return out;
  }
  function fillText(box, text, marks, tag, side) {
    pieces(text, marks).forEach(function (p) {
      var t = text.slice(p.start, p.end);
      if (p.mark < 0) { box.appendChild(document.createTextNode(t)); return; }
      var m = marks[p.mark];
      var e = el(m[5] ? tag : "span", m[2], t);
      if (p.first && m[3]) e.setAttribute("data-label", m[3]);
      if (m[4]) e.setAttribute("title", m[4]);
      if (m[5]) { e.setAttribute("data-passage", m[5]); if (p.first) e.id = side + "-" + m[5]; }
      box.appendChild(e);
    });
  }

  if (body.classList.contains("page-document") && body.hasAttribute("data-docs")) {
    var showDoc = function () {
      var id = hashParams().get("id") || "", view = document.getElementById("view");
      docBucket(id, function (d) {
        if (!d) { missing(view, "Document " + JSON.stringify(id)); return; }
        document.title = (d.title || d.id) + " \u00b7 wiretrace";
        view.textContent = "";
        view.appendChild(el("h1", "doc-title", d.title || d.id));
        var dl = el("dl", "facts");
        var fact = function (k, v, cls) { if (!v) return; dl.appendChild(el("dt", "", k)); dl.appendChild(el("dd", cls || "", v)); };
        fact("id", d.id, "docid"); fact("outlet", d.source); fact("published", d.published); fact("url", d.url);
        fact("read as", d.format + " \u00b7 " + d.encoding + " \u00b7 " + d.text.length + " characters \u00b7 " + d.path);
        if (d.story) {
          dl.appendChild(el("dt", "", "story"));
          var dd = el("dd"); dd.appendChild(link(d.story[1], "", d.story[2]));
          if (d.story[3] === d.id) { dd.appendChild(document.createTextNode(" ")); dd.appendChild(el("span", "badge rel-origin", "origin")); }
          dl.appendChild(dd);
        }
        view.appendChild(dl);
        if (d.related.length) {
          var card = el("section", "card"); card.appendChild(el("h2", "", "Related pages"));
          var table = el("table", "related"), tb = el("tbody");
          var head = el("tr");
          ["Document", "Relation", "This page covered", "Passages", ""].forEach(function (h) { head.appendChild(el("th", "", h)); });
          var th = el("thead"); th.appendChild(head); table.appendChild(th);
          d.related.forEach(function (r) {
            var tr = el("tr"), c1 = el("td"); c1.appendChild(link(r[1], "docid", r[0])); tr.appendChild(c1);
            var c2 = el("td"); c2.appendChild(el("span", "badge rel-" + slug(r[3]), r[3])); tr.appendChild(c2);
            tr.appendChild(el("td", "num", r[4] === null ? "\u2013" : Math.round(r[4] * 100) + "%"));
            tr.appendChild(el("td", "num", r[5]));
            var c5 = el("td"); c5.appendChild(link(r[2], "pair-link", "side by side")); tr.appendChild(c5);
            tb.appendChild(tr);
          });
          table.appendChild(tb); card.appendChild(table); view.appendChild(card);
        }
        var sec = el("section", "card"); sec.appendChild(el("h2", "", "Text as read"));
        var marks = (d.segs || []).map(function (s) {
          var isBody = s[2] === "body";
          return [s[0], s[1], isBody ? "body" : "rm k-" + slug(s[2]), isBody ? "" : s[2], s[3] ? s[2] + ": " + s[3] : s[2], ""];
        });
        if (!d.segs) sec.appendChild(el("p", "muted", "Not cleaned yet: the text is shown as read."));
        var txt = el("div", "txt doc-text");
        fillText(txt, d.text, marks, "span", "");
        sec.appendChild(txt); view.appendChild(sec);
        body.setAttribute("data-shown", d.id);
      });
    };
    window.addEventListener("hashchange", showDoc);
    showDoc();
  }

  if (body.classList.contains("page-pair") && body.hasAttribute("data-pairs")) {
    var p = hashParams(), a = p.get("a") || "", b = p.get("b") || "", view = document.getElementById("view");
    var key = [a, b].sort().join("\n"), n = Number(body.getAttribute("data-pair-buckets")), k = fnv1a(key) % n;
    load("pairs-" + k, body.getAttribute("data-pairs") + k + ".js", function (bucket) {
      var pr = bucket && Object.prototype.hasOwnProperty.call(bucket, key) ? bucket[key] : null;
      if (!pr) { missing(view, "The pair " + JSON.stringify(a) + " \u00b7 " + JSON.stringify(b)); return; }
      docBucket(pr.a, function (da) {
        docBucket(pr.b, function (db) {
          if (!da || !db) { missing(view, "A document of this pair"); return; }
          drawPair(view, pr, { a: da, b: db });
          syncPanes();
          body.setAttribute("data-shown", key);
        });
      });
    });
  }

  function drawPair(view, pr, docs) {
    view.textContent = "";
    document.title = pr.a + " \u00b7 " + pr.b + " \u00b7 wiretrace";
    var h1 = el("h1", "pair-title");
    h1.appendChild(el("span", "docid", pr.a)); h1.appendChild(el("span", "badge rel-" + slug(pr.relation), pr.relation));
    h1.appendChild(el("span", "docid", pr.b));
    view.appendChild(h1);
    view.appendChild(el("p", "meta", pr.direction + (pr.reasons.length ? " \u00b7 " + pr.reasons.join("; ") : "")));
    var sc = el("p", "scores");
    [["lexical", pr.scores[0]], ["semantic", pr.scores[1]], [pr.a + " covered", pr.scores[2]], [pr.b + " covered", pr.scores[3]]].forEach(function (x) {
      var s = el("span", "score", x[0] + " ");
      if (x[1] !== null) { var m = el("meter"); m.min = 0; m.max = 1; m.value = x[1]; s.appendChild(m); }
      s.appendChild(el("b", "", x[1] === null ? " \u2013" : " " + Number(x[1]).toFixed(2)));
      sc.appendChild(s);
    });
    view.appendChild(sc);
    view.appendChild(el("p", "legend", "Aligned passages carry the same number on both sides; removed noise is greyed out; the columns scroll in step." +
      ((pr.slots || []).length ? " Outlined words: the fillers that differ (one form, other facts)." : "")));
    var sbs = el("div", "sbs");
    ["a", "b"].forEach(function (side) {
      var d = docs[side], sec = el("section", "side");
      sec.setAttribute("data-side", side);
      var h2 = el("h2"); h2.appendChild(link(d.id === pr.a || d.id === pr.b ? docHref(d.id) : "#", "docid", d.id));
      h2.appendChild(el("span", "muted small", " " + [d.source, d.published].filter(Boolean).join(" \u00b7 ")));
      sec.appendChild(h2);
      if (d.story) { var sp = el("p", "small muted", "story: "); sp.appendChild(link(d.story[1], "", d.story[2])); sec.appendChild(sp); }
      // a template pair's differing fillers first: they show inside a passage too
      var marks = (pr.slots || []).map(function (q) {
        var r = side === "a" ? [q[0], q[1]] : [q[2], q[3]];
        var o = side === "a" ? docs.b.text.slice(q[2], q[3]) : docs.a.text.slice(q[0], q[1]);
        return [r[0], r[1], "slot", "", "other filler: the other text has \u201c" + o + "\u201d here", ""];
      }).concat(pr.passages.map(function (q, i) {
        var r = side === "a" ? [q[0], q[1]] : [q[2], q[3]];
        return [r[0], r[1], "ps pk-" + slug(q[4]), String(i + 1), "passage " + (i + 1) + ": " + q[4] + " (" + Number(q[5]).toFixed(2) + ")", String(i + 1)];
      }));
      (d.segs || []).forEach(function (s) {
        if (s[2] !== "body") marks.push([s[0], s[1], "noise k-" + slug(s[2]), s[2], "removed: " + s[2], ""]);
      });
      var pane = el("div", "pane txt");
      pane.setAttribute("data-side", side); pane.tabIndex = 0;
      fillText(pane, d.text, marks, "mark", side);
      sec.appendChild(pane);
      sbs.appendChild(sec);
    });
    view.appendChild(sbs);
  }
  function docHref(id) { return "doc.html#" + new URLSearchParams({ id: id }).toString(); }

  // ------------------------------------------------------------------ the pair view's columns
  var text = document.querySelector("form.search textarea");
  if (text) {
    text.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); text.form.requestSubmit(); }
    });
  }

  function syncPanes() {
    var panes = document.querySelectorAll(".pane[data-side]");
    if (panes.length !== 2) return;
    var ignore = null;

    function partnerOf(e, pane) {
      var num = e.getAttribute("data-passage");
      return num ? pane.querySelector('.ps[data-passage="' + CSS.escape(num) + '"]') : null;
    }
    // The first passage piece still visible at the top of a pane.
    function topPassage(pane) {
      var top = pane.scrollTop, found = null;
      pane.querySelectorAll(".ps[data-passage]").forEach(function (e) {
        if (!found && e.offsetTop + e.offsetHeight > top) found = e;
      });
      return found;
    }
    // Put `dst` where the partner of `e` (a passage in `src`) sits as high as `e` does in `src`.
    function align(src, dst, e) {
      var partner = e && partnerOf(e, dst);
      ignore = dst;
      if (partner) {
        dst.scrollTop = partner.offsetTop - (e.offsetTop - src.scrollTop);
      } else {
        var f = src.scrollTop / Math.max(1, src.scrollHeight - src.clientHeight);
        dst.scrollTop = f * (dst.scrollHeight - dst.clientHeight);
      }
      window.setTimeout(function () { if (ignore === dst) ignore = null; }, 80);
    }
    Array.prototype.forEach.call(panes, function (src, i) {
      var dst = panes[1 - i];
      src.addEventListener("scroll", function () {
        if (ignore === src) return;
        align(src, dst, topPassage(src));
      });
      src.addEventListener("click", function (ev) {
        var e = ev.target && ev.target.closest ? ev.target.closest(".ps[data-passage]") : null;
        if (!e) return;
        window.wiretraceFlash(document, e);
        align(src, dst, e);
      });
    });
  }
  syncPanes();
})();
