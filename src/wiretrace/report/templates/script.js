// Optional niceties; the page works without them (passage links are plain #anchors).
(function () {
  "use strict";
  var box = document.getElementById("filter");
  if (box) {
    box.hidden = false;
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase().trim();
      document.querySelectorAll("tr.rank-row").forEach(function (el) {
        el.hidden = q !== "" && (el.getAttribute("data-search") || "").indexOf(q) < 0;
      });
    });
  }
  // Sort the ranked table by a column: rows are moved, never rebuilt.
  document.querySelectorAll("table.ranked th.sort").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key"), body = th.closest("table").tBodies[0];
      var desc = th.getAttribute("data-desc") !== "1";
      th.setAttribute("data-desc", desc ? "1" : "0");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (x, y) {
        var a = x.getAttribute("data-" + key) || "", b = y.getAttribute("data-" + key) || "";
        var c = key === "first" ? (a < b ? -1 : a > b ? 1 : 0) : Number(a) - Number(b);
        return desc ? -c : c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  // A click on a passage scrolls its partner into view inside the other column and marks both.
  document.addEventListener("click", function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest("a.ps") : null;
    if (!a) return;
    var target = document.getElementById(a.getAttribute("href").slice(1));
    var pair = a.closest(".pair");
    if (!target || !pair) return;
    ev.preventDefault();
    window.wiretraceFlash(pair, a);
    target.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });
})();
