(function () {
  "use strict";
  var PALETTE = __PALETTE__;  // number of highlight colours (HIGHLIGHTS)
  // Findings <-> evidence: a row and the marks of its quotes share the finding number (data-f).
  function focusFinding(article, f) {
    article.querySelectorAll("mark.ev.on, tr.finding.on").forEach(function (el) {
      el.classList.remove("on");
    });
    for (var k = 0; k < PALETTE; k++) article.classList.remove("fh" + k);
    if (f === null || f === undefined || f === "") {
      article.classList.remove("focus");
      return;
    }
    // The focused finding's own colour, also on pieces that several findings share.
    article.classList.add("focus", "fh" + (Number(f) % PALETTE));
    article.querySelectorAll('mark.ev[data-f~="' + f + '"]').forEach(function (el) {
      el.classList.add("on");
    });
    var row = article.querySelector('tr.finding[data-f="' + f + '"]');
    if (row) row.classList.add("on");
  }
  function pinned(article) { return article.getAttribute("data-pinned"); }
  function pin(article, f) {
    if (f === null) article.removeAttribute("data-pinned"); else article.setAttribute("data-pinned", f);
    focusFinding(article, f);
  }
  document.addEventListener("mouseover", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr.finding");
    if (row) focusFinding(row.closest("article"), row.getAttribute("data-f"));
  });
  document.addEventListener("mouseout", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr.finding");
    if (row && !(ev.relatedTarget && row.contains(ev.relatedTarget))) {
      var article = row.closest("article");
      focusFinding(article, pinned(article));
    }
  });
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var row = t.closest && t.closest("tr.finding");
    if (row && !t.closest("a")) {
      var article = row.closest("article"), f = row.getAttribute("data-f");
      pin(article, pinned(article) === f ? null : f);
      return;
    }
    var mark = t.closest && t.closest("mark.ev");
    if (mark) {
      var art = mark.closest("article"), fs = mark.getAttribute("data-f").split(" ");
      // Several findings may share this piece: each click moves on to the next one.
      var i = fs.indexOf(pinned(art));
      pin(art, i >= 0 && i + 1 < fs.length ? fs[i + 1] : (i >= 0 ? null : fs[0]));
      return;
    }
    var link = t.closest && t.closest("[data-factor]");
    if (link && factorSelect) {
      ev.preventDefault();
      factorSelect.value = link.getAttribute("data-factor");
      applyFilter();
      document.getElementById("atlas-table").scrollIntoView();
    }
  });
  document.addEventListener("focusin", function (ev) {
    var row = ev.target.closest && ev.target.closest("tr.finding");
    if (row) pin(row.closest("article"), row.getAttribute("data-f"));
  });
  function followHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (!el || !el.hasAttribute("data-f")) return;
    var article = el.closest("article");
    if (article) pin(article, el.getAttribute("data-f"));
  }
  window.addEventListener("hashchange", followHash);

  // Atlas table: filter by factor, role and free text; sort rows within factor groups.
  var table = document.getElementById("atlas-table");
  var factorSelect = document.getElementById("atlas-factor");
  var roleSelect = document.getElementById("atlas-role");
  var search = document.getElementById("atlas-search");
  var order = document.getElementById("atlas-order");
  var count = document.getElementById("atlas-count");
  function applyFilter() {
    if (!table) return;
    var fk = factorSelect.value, role = roleSelect.value, q = search.value.trim().toLowerCase();
    var shown = 0, total = 0;
    table.querySelectorAll("tbody.group").forEach(function (group) {
      var any = false;
      group.querySelectorAll("tr.row").forEach(function (row) {
        total++;
        var ok = (!fk || row.getAttribute("data-factor") === fk) &&
          (!role || row.getAttribute("data-role") === role) &&
          (!q || row.textContent.toLowerCase().indexOf(q) >= 0);
        row.hidden = !ok;
        if (ok) { any = true; shown++; }
      });
      group.hidden = !any;
    });
    count.textContent = shown + " of " + total + " findings";
  }
  function cellValue(row, col) {
    var cell = row.children[col];
    return cell ? (cell.getAttribute("data-v") || cell.textContent).toLowerCase() : "";
  }
  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && String(x) === a && String(y) === b) return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function sortGroups(how, dir) {
    var groups = Array.prototype.slice.call(table.querySelectorAll("tbody.group"));
    groups.sort(function (a, b) {
      var byName = compare(a.getAttribute("data-label"), b.getAttribute("data-label"));
      if (how === "papers") {
        return (b.getAttribute("data-papers") - a.getAttribute("data-papers")) || byName;
      }
      return dir * byName;
    });
    groups.forEach(function (g) { table.appendChild(g); });
  }
  if (table) {
    [factorSelect, roleSelect].forEach(function (el) { el.addEventListener("change", applyFilter); });
    search.addEventListener("input", applyFilter);
    order.addEventListener("change", function () { sortGroups(order.value, 1); });
    table.querySelectorAll("thead th[data-sort]").forEach(function (th) {
      th.tabIndex = 0;
      function sortBy() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var col = Number(th.getAttribute("data-col"));
        if (th.getAttribute("data-sort") === "factor") { sortGroups("name", dir); return; }
        table.querySelectorAll("tbody.group").forEach(function (group) {
          var rows = Array.prototype.slice.call(group.querySelectorAll("tr.row"));
          rows.sort(function (a, b) { return dir * compare(cellValue(a, col), cellValue(b, col)); });
          rows.forEach(function (r) { group.appendChild(r); });
        });
      }
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sortBy(); });
    });
    applyFilter();
  }
  followHash();
})();
