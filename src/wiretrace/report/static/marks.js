// wiretrace marks: what both renderings (the overview page and the story browser) do with marked text.
// A click on a passage marks every piece of that passage within `scope` (both sides of a pair) and
// returns them; the caller scrolls the partner into view its own way.
window.wiretraceFlash = function (scope, piece) {
  "use strict";
  scope.querySelectorAll(".ps.flash").forEach(function (x) { x.classList.remove("flash"); });
  var sel = '.ps[data-passage="' + CSS.escape(piece.getAttribute("data-passage") || "") + '"]';
  var all = Array.prototype.slice.call(scope.querySelectorAll(sel));
  all.forEach(function (x) { x.classList.add("flash"); });
  return all;
};
