// The story browser's only script. Pages work without it: it filters the story list, keeps the
// pair view's two columns scrolling in step, and finds a passage's partner on a click.
// It never builds HTML from data: it only reads attributes and moves scroll positions.
(function () {
  "use strict";

  var box = document.getElementById("filter");
  if (box) {
    box.hidden = false;
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase().trim();
      document.querySelectorAll("tr.story-row").forEach(function (row) {
        row.hidden = q !== "" && (row.getAttribute("data-search") || "").indexOf(q) < 0;
      });
    });
  }

  var text = document.querySelector("form.search textarea");
  if (text) {
    text.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); text.form.requestSubmit(); }
    });
  }

  var panes = document.querySelectorAll(".pane[data-side]");
  if (panes.length !== 2) return;
  var ignore = null;

  function partnerOf(el, pane) {
    var n = el.getAttribute("data-passage");
    return n ? pane.querySelector('.ps[data-passage="' + CSS.escape(n) + '"]') : null;
  }

  // The first passage piece still visible at the top of a pane.
  function topPassage(pane) {
    var top = pane.scrollTop, found = null;
    pane.querySelectorAll(".ps[data-passage]").forEach(function (el) {
      if (!found && el.offsetTop + el.offsetHeight > top) found = el;
    });
    return found;
  }

  // Put `dst` where the partner of `el` (a passage in `src`) sits as high as `el` does in `src`.
  function align(src, dst, el) {
    var p = el && partnerOf(el, dst);
    ignore = dst;
    if (p) {
      dst.scrollTop = p.offsetTop - (el.offsetTop - src.scrollTop);
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
      var el = ev.target && ev.target.closest ? ev.target.closest(".ps[data-passage]") : null;
      if (!el) return;
      document.querySelectorAll(".ps.flash").forEach(function (x) { x.classList.remove("flash"); });
      var sel = '.ps[data-passage="' + CSS.escape(el.getAttribute("data-passage")) + '"]';
      document.querySelectorAll(sel).forEach(function (x) { x.classList.add("flash"); });
      align(src, dst, el);
    });
  });
})();
