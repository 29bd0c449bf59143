// The review page: keyboard and mouse actions, sent through the JSON API (POST /api/decisions)
// with the per-run token as "Authorization: Bearer". After each decision the page's findings are
// fetched again (the server renders them) and swapped in, so what is shown is what is stored.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="review-token"]');
  var TOKEN = meta ? meta.getAttribute("content") : "";
  var chain = Promise.resolve();  // keys and clicks run one after another, never interleaved
  var cursor = 0;
  var pendingSelection = null;  // [start, end] captured when the add or promote form opened
  var formMode = null;  // {action, id, version}

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function paper() { return $("#paper"); }
  function rows() { return $all("tr.finding, li.candidate"); }

  function banner(text, kind) {
    var b = $("#banner");
    b.textContent = text;
    b.className = "banner" + (kind ? " " + kind : "");
    b.hidden = !text;
  }

  function setCursor(i, scroll) {
    var all = rows();
    if (!all.length) return;
    cursor = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (r, k) { r.classList.toggle("cursor", k === cursor); });
    var row = all[cursor];
    $all("mark.ev.on").forEach(function (m) { m.classList.remove("on"); });
    var f = row.getAttribute("data-f");
    if (f !== null) {
      var marks = $all('mark.ev[data-f~="' + f + '"]');
      marks.forEach(function (m) { m.classList.add("on"); });
      if (marks.length && scroll !== false) marks[0].scrollIntoView({block: "nearest"});
    }
    if (scroll !== false) row.scrollIntoView({block: "nearest"});
  }

  function current() { return rows()[cursor] || null; }

  function firstUndecided(from) {
    var all = rows();
    for (var k = 0; k < all.length; k++) {
      var i = (from + k) % all.length;
      if (all[i].getAttribute("data-state") === "unreviewed") return i;
    }
    return -1;
  }

  // Character offsets of the current selection inside the source text (null when none).
  function selectionSpan() {
    var sel = window.getSelection(), pre = $("#source");
    if (!sel || sel.isCollapsed || !pre || sel.rangeCount === 0) return null;
    var range = sel.getRangeAt(0);
    if (!pre.contains(range.startContainer) || !pre.contains(range.endContainer)) return null;
    var before = document.createRange();
    before.setStart(pre, 0);
    before.setEnd(range.startContainer, range.startOffset);
    var start = before.toString().length;
    var end = start + range.toString().length;
    return end > start ? [start, end] : null;
  }

  function post(body) {
    return fetch("/api/decisions", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN},
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {message: resp.statusText}; }).then(function (data) {
        if (resp.ok) { banner("", ""); return reload().then(function () { return data; }); }
        if (resp.status === 409) {
          banner("Conflict: " + data.message, "conflict");
          return reload().then(function () { return null; });
        }
        banner("Not saved: " + (data.message || resp.status), "error");
        return null;
      });
    }, function () { banner("Not saved: the server did not answer. Is it still running?", "error"); return null; });
  }

  // Fetch this page again and swap in what the server renders now (findings, text, progress).
  function reload() {
    var id = (current() || {}).id;
    return fetch(location.pathname + location.search, {credentials: "same-origin"}).then(function (r) {
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("review"), progress = doc.getElementById("progress");
      if (!fresh) return;
      $("#review").innerHTML = fresh.innerHTML;
      if (progress) $("#progress").textContent = progress.textContent;
      var all = rows(), at = -1;
      for (var k = 0; k < all.length; k++) if (all[k].id === id) at = k;
      setCursor(at >= 0 ? at : 0, false);
    });
  }

  function decide(action, extra) {
    var row = current();
    var body = {paper_id: paper().getAttribute("data-paper"), action: action};
    if (row && action !== "add") {
      body.finding_id = row.getAttribute("data-id");
      body.version = Number(row.getAttribute("data-version") || 0);
    }
    for (var k in extra) body[k] = extra[k];
    var at = cursor;
    return post(body).then(function (ok) {
      // A decided finding: on to the next undecided one (the same place if none is left).
      if (ok && action !== "add" && action !== "promote") {
        var next = firstUndecided(at + 1);
        setCursor(next >= 0 ? next : at);
      }
      return ok;
    });
  }

  function accept() {
    var row = current();
    if (!row || !row.matches("tr.finding")) return Promise.resolve();
    return decide("accept", {});
  }

  function acceptAll() {
    var ids = $all('tr.finding[data-state="unreviewed"]').map(function (r) { return r.id; });
    return ids.reduce(function (p, id) {
      return p.then(function () {
        var all = rows();
        for (var k = 0; k < all.length; k++) if (all[k].id === id) cursor = k;
        return decide("accept", {});
      });
    }, Promise.resolve());
  }

  function openReject() {
    var row = current();
    if (!row || !row.matches("tr.finding")) return;
    var form = $("#reject-form");
    form.reset();
    $('[data-slot="label"]', form).textContent = (row.querySelector('[data-field="factor"] b') || {}).textContent || "";
    form.hidden = false;
    form.querySelector("input[name=reason]").focus();
  }

  function submitReject(reason) {
    var form = $("#reject-form");
    reason = reason || (form.querySelector("input[name=reason]:checked") || {}).value;
    if (!reason) { banner("Pick a reason (1-6).", "error"); return Promise.resolve(); }
    var note = form.querySelector("input[name=note]").value;
    form.hidden = true;
    return decide("reject", {reason: reason, note: note || null});
  }

  function fill(form, f) {
    ["factor", "alteration", "therapy", "cancer_type", "effect", "factor_type", "therapy_class"].forEach(function (k) {
      var el = form.elements[k];
      if (el && f[k] !== undefined && f[k] !== null) el.value = f[k];
    });
  }

  function openEdit(mode) {
    var form = $("#edit-form"), row = current(), quote = $('[data-slot="quote"]', form);
    form.reset();
    quote.hidden = true;
    formMode = {action: mode};
    pendingSelection = null;
    if (mode === "correct") {
      if (!row || !row.matches("tr.finding")) return;
      var f = JSON.parse(row.getAttribute("data-finding") || "{}");
      fill(form, f);
      $('[data-slot="title"]', form).textContent = "Correct finding " + (cursor + 1);
    } else {
      pendingSelection = selectionSpan();
      var text = $("#source").textContent;
      if (mode === "add" && !pendingSelection) {
        banner("Select the evidence in the source text first, then press s.", "error");
        return;
      }
      if (mode === "promote") {
        if (!row || !row.matches("li.candidate")) return;
        var c = JSON.parse(row.getAttribute("data-finding") || "{}");
        if (c.role === "pro_resistance" || c.role === "anti_resistance") {
          c.effect = c.effect || (c.role === "pro_resistance" ? "promotes_resistance" : "reverses_resistance");
        }
        fill(form, {factor: c.factor || c.name, therapy: c.therapy, cancer_type: c.cancer_type,
                    alteration: c.alteration, effect: c.effect});
      } else {
        var picked = text.slice(pendingSelection[0], pendingSelection[1]);
        if (picked.length <= 60 && picked.indexOf(" ") < 0) form.elements.factor.value = picked;
      }
      if (pendingSelection) {
        quote.textContent = "Evidence: " + text.slice(pendingSelection[0], pendingSelection[1]);
        quote.hidden = false;
      }
      $('[data-slot="title"]', form).textContent = mode === "add" ? "Add a finding" : "Promote candidate";
    }
    form.hidden = false;
    form.elements.factor.focus();
  }

  function submitEdit() {
    var form = $("#edit-form"), fields = {};
    ["factor", "alteration", "therapy", "cancer_type", "effect", "factor_type", "therapy_class"].forEach(function (k) {
      var v = form.elements[k].value.trim();
      if (v) fields[k] = v;
    });
    form.hidden = true;
    var extra = {fields: fields};
    if (pendingSelection) extra.span = {start: pendingSelection[0], end: pendingSelection[1]};
    return decide(formMode.action, extra);
  }

  function closePanels() {
    $all(".panel").forEach(function (p) { p.hidden = true; });
    var help = $("#help");
    if (help) help.hidden = true;
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) location.href = link.getAttribute("href");
  }

  function run(task) { chain = chain.then(task).catch(function (e) { banner(String(e), "error"); }); }

  var KEYS = {
    "j": function () { setCursor(cursor + 1); },
    "k": function () { setCursor(cursor - 1); },
    "a": accept,
    "A": acceptAll,
    "r": openReject,
    "e": function () { openEdit("correct"); },
    "s": function () { openEdit("add"); },
    "p": function () { openEdit("promote"); },
    "n": function () { go("next-link"); },
    "l": function () { go("list-link"); },
    "?": function () { var h = $("#help"); h.hidden = !h.hidden; }
  };

  function panelOpen() {
    return $all(".panel").some(function (p) { return !p.hidden; });
  }

  function rejectDigit(key) {
    var reject = $("#reject-form");
    if (!reject || reject.hidden) return;
    var choice = reject.querySelectorAll("input[name=reason]")[Number(key) - 1];
    choice.checked = true;
    if (key === "6") { reject.elements.note.focus(); return; }
    return submitReject(choice.value);
  }

  // Every key runs in order after the ones before it (and the requests they started), so
  // "a a a n" or "r 2" typed fast act on what the page shows by then.
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape") { run(closePanels); return; }
    var t = ev.target;
    var typing = /^(TEXTAREA|SELECT)$/.test(t.tagName) || (t.tagName === "INPUT" && t.type !== "radio");
    if (typing) return;
    if (/^[1-6]$/.test(ev.key)) {
      ev.preventDefault();
      run(function () { return rejectDigit(ev.key); });
      return;
    }
    var action = KEYS[ev.key];
    if (!action) return;
    ev.preventDefault();
    run(function () { if (!panelOpen() || ev.key === "?") return action(); });
  });

  document.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (ev.target.id === "reject-form") run(function () { return submitReject(); });
    if (ev.target.id === "edit-form") run(submitEdit);
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.closest("[data-help]")) { ev.preventDefault(); KEYS["?"](); return; }
    if (t.closest("[data-close]")) { closePanels(); return; }
    var row = t.closest("tr.finding, li.candidate");
    if (row) {
      var k = rows().indexOf(row);
      if (k >= 0) setCursor(k, false);
    }
    var act = t.closest("[data-act]");
    if (!act) return;
    var what = act.getAttribute("data-act");
    if (what === "accept") run(accept);
    else if (what === "reject") openReject();
    else if (what === "correct") openEdit("correct");
    else if (what === "add") openEdit("add");
    else if (what === "promote") openEdit("promote");
  });

  // Keep the selection made in the text: clicking the add button must not lose it first.
  document.addEventListener("mousedown", function (ev) {
    if (ev.target.closest && ev.target.closest("#add-button, [data-act=promote]")) ev.preventDefault();
  });

  if (paper()) {
    var first = firstUndecided(0);
    setCursor(first >= 0 ? first : 0, false);
  }
})();
