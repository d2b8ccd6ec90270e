/* nkdata site: sort and filter tables, search passages. Progressive enhancement:
   every page is complete without this script; it only reveals the forms and acts on
   the rows already in the page. No network, no innerHTML with data. */
(function () {
  "use strict";

  function cellKey(row, i, kind) {
    var cell = row.cells[i];
    if (!cell) return "";
    var key = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (kind === "number") { var n = parseFloat(key); return isNaN(n) ? -Infinity : n; }
    return key.toLowerCase();
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var kind = th.getAttribute("data-kind") || "text";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellKey(a, i, kind), y = cellKey(b, i, kind);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function wireFilters(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    if (!table) return;
    form.hidden = false;
    var output = form.querySelector("output");
    var inputs = form.querySelectorAll("[data-filter]");
    function apply() {
      var shown = 0, rows = table.tBodies[0].rows;
      for (var r = 0; r < rows.length; r++) {
        var row = rows[r], text = row.textContent.toLowerCase(), ok = true;
        for (var k = 0; k < inputs.length; k++) {
          var v = inputs[k].value.trim().toLowerCase();
          if (!v) continue;
          var what = inputs[k].getAttribute("data-filter");
          if (what === "text") {
            if (text.indexOf(v) === -1) { ok = false; break; }
          } else if ((row.getAttribute("data-" + what) || "").toLowerCase() !== v) { ok = false; break; }
        }
        row.hidden = !ok;
        if (ok) shown++;
      }
      if (output) output.textContent = shown + " of " + rows.length + " rows";
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    apply();
  }

  function wireSearch(form) {
    var list = document.getElementById(form.getAttribute("data-list"));
    if (!list) return;
    form.hidden = false;
    var input = form.querySelector("input");
    var output = form.querySelector("output");
    var items = list.children;
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      for (var i = 0; i < items.length; i++) {
        var t = items[i].textContent.toLowerCase();
        var ok = words.every(function (w) { return t.indexOf(w) !== -1; });
        items[i].hidden = !ok;
        if (ok) shown++;
      }
      if (output) output.textContent = shown + " of " + items.length + " passages";
    }
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) input.value = q;
    input.addEventListener("input", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    apply();
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("form.filters").forEach(wireFilters);
  document.querySelectorAll("form.search").forEach(wireSearch);
})();
