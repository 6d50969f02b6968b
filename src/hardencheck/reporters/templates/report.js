/* hardencheck report: draws the findings table from the page's own JSON, with filters, search and
   paging. Reads nothing but this page (no fetch, no storage) and writes text nodes only: a value
   from an audited host is never parsed as HTML. */
(function () {
  "use strict";
  var source = document.getElementById("hc-rows");
  var table = document.getElementById("findings-table");
  if (!source || !table) { return; }
  var data = JSON.parse(source.textContent);
  var hosts = data.hosts, checks = data.checks, rows = data.rows, labels = data.labels;
  var PAGE = data.page, CELL = data.cell;
  var hasChange = table.getAttribute("data-comparison") === "1";
  var tbody = table.tBodies[0];
  var controls = {};
  ["host", "group", "severity", "status", "req", "change", "check"].forEach(function (key) {
    var el = document.querySelector('select[data-key="' + key + '"]');
    if (el) { controls[key] = el; }
  });
  var search = document.getElementById("f-q");
  var matchedEl = document.getElementById("f-matched");
  var more = document.getElementById("f-more");
  var haystack = null;
  var matched = [];
  var drawn = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null && text !== "") { node.textContent = String(text); }
    return node;
  }

  function short(text, limit) {
    return text.length <= limit ? text : text.slice(0, limit - 1) + "\u2026";
  }

  function text(row) {
    var check = checks[row[1]];
    var parts = [hosts[row[0]][0], check[0], check[1], check[2], row[2], row[3], row[4], row[5], row[6], check[5]];
    row[7].forEach(function (e) { parts.push(e[0], e[1], e[3]); });
    return parts.join("\n").toLowerCase();
  }

  function wanted() {
    var f = {};
    Object.keys(controls).forEach(function (key) {
      if (controls[key].value !== "") { f[key] = controls[key].value; }
    });
    return f;
  }

  function keep(row, f, q, i) {
    var check = checks[row[1]];
    if (f.host !== undefined && String(row[0]) !== f.host) { return false; }
    if (f.check !== undefined && String(row[1]) !== f.check) { return false; }
    if (f.severity !== undefined && check[2] !== f.severity) { return false; }
    if (f.status !== undefined && row[2] !== f.status) { return false; }
    if (f.change !== undefined && row[3] !== f.change) { return false; }
    if (f.group !== undefined && hosts[row[0]][1].indexOf(Number(f.group)) < 0) { return false; }
    if (f.req !== undefined && check[3].indexOf(Number(f.req)) < 0) { return false; }
    return !q || haystack[i].indexOf(q) >= 0;
  }

  function details(row, box) {
    var check = checks[row[1]];
    row[7].forEach(function (e) {
      var item = el("div", "evi");
      item.appendChild(el("code", "loc", e[0]));
      if (e[3]) {
        var repo = el("div", "hint", "repository file ");
        repo.appendChild(el("code", "", e[3]));
        item.appendChild(repo);
      }
      if (e[1]) { item.appendChild(el("pre", "", e[1])); }
      if (e[2]) {
        var sha = el("div", "sha", "sha256 ");
        sha.appendChild(el("code", "", e[2]));
        item.appendChild(sha);
      }
      box.appendChild(item);
    });
    if (row[4].length > CELL) {
      var full = el("div", "full", "observed (full)");
      full.appendChild(el("pre", "", row[4]));
      box.appendChild(full);
    }
    if (row[6].length > 300) {
      var reason = el("div", "full", "reason");
      reason.appendChild(el("pre", "", row[6]));
      box.appendChild(reason);
    }
    var extra = row[9];
    if (extra && extra.w) { box.appendChild(el("div", "waiver", "waiver: " + extra.w)); }
    if (extra && extra.b) {
      var before = el("div", "before", "baseline: " + (labels.status[extra.b] || extra.b));
      if (extra.bo) {
        before.appendChild(document.createTextNode(", observed "));
        before.appendChild(el("code", "", short(extra.bo, CELL)));
      }
      box.appendChild(before);
    }
    if (check[4]) {
      var fix = el("div", "");
      var link = el("a", "", "Fix: plan item " + check[4]);
      link.href = "#plan-" + check[4];
      fix.appendChild(link);
      box.appendChild(fix);
    }
    box.appendChild(el("div", "fp", "fingerprint " + row[8]));
  }

  function rowElement(i) {
    var row = rows[i];
    var check = checks[row[1]];
    var tr = document.createElement("tr");
    tr.setAttribute("data-row", String(i));
    tr.appendChild(el("td", "host", hosts[row[0]][0]));
    var cell = el("td", "");
    cell.appendChild(el("code", "cid", check[0]));
    cell.appendChild(el("div", "title", check[1]));
    tr.appendChild(cell);
    cell = el("td", "");
    cell.appendChild(el("span", "sev sev-" + check[2], check[2]));
    tr.appendChild(cell);
    cell = el("td", "");
    cell.appendChild(el("span", "pill st-" + row[2], labels.status[row[2]] || row[2]));
    tr.appendChild(cell);
    if (hasChange) {
      cell = el("td", "");
      if (row[3]) {
        cell.appendChild(el("span", "pill ch-" + row[3], labels.change[row[3]] || row[3]));
        var extra = row[9];
        if (extra && extra.b && extra.b !== row[2]) {
          cell.appendChild(el("div", "hint", "was " + (labels.status[extra.b] || extra.b).toLowerCase()));
        }
      }
      tr.appendChild(cell);
    }
    cell = el("td", "obs");
    if (row[4]) { cell.appendChild(el("code", "", short(row[4], CELL))); }
    if (row[5]) { cell.appendChild(el("div", "exp", "expected " + row[5])); }
    if (row[6]) { cell.appendChild(el("div", "reason", short(row[6], 300))); }
    tr.appendChild(cell);
    tr.appendChild(el("td", "req", check[5]));
    cell = el("td", "ev");
    var box = el("details", "");
    var n = row[7].length;
    box.appendChild(el("summary", "", n ? n + (n === 1 ? " source" : " sources") : "details"));
    box.addEventListener("toggle", function () {
      if (box.open && !box.hasAttribute("data-filled")) {
        box.setAttribute("data-filled", "1");
        details(row, box);
      }
    });
    cell.appendChild(box);
    tr.appendChild(cell);
    return tr;
  }

  function draw(upTo) {
    var frag = document.createDocumentFragment();
    var end = Math.min(upTo, matched.length);
    for (; drawn < end; drawn++) { frag.appendChild(rowElement(matched[drawn])); }
    tbody.appendChild(frag);
    matchedEl.textContent = String(matched.length);
    var rest = matched.length - drawn;
    more.hidden = rest <= 0;
    more.textContent = "Show " + Math.min(PAGE, rest) + " more (" + rest + " not shown)";
  }

  function apply() {
    var f = wanted();
    var q = search ? search.value.trim().toLowerCase() : "";
    if (q && haystack === null) { haystack = rows.map(text); }
    matched = [];
    for (var i = 0; i < rows.length; i++) {
      if (keep(rows[i], f, q, i)) { matched.push(i); }
    }
    tbody.textContent = "";
    drawn = 0;
    draw(PAGE);
  }

  function reset() {
    Object.keys(controls).forEach(function (key) { controls[key].value = ""; });
    if (search) { search.value = ""; }
  }

  Object.keys(controls).forEach(function (key) { controls[key].addEventListener("change", apply); });
  if (search) {
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 120);
    });
  }
  document.getElementById("f-reset").addEventListener("click", function () { reset(); apply(); });
  more.addEventListener("click", function () { draw(drawn + PAGE); });

  document.addEventListener("click", function (ev) {
    var target = ev.target.closest ? ev.target.closest("[data-filter]") : null;
    if (!target) { return; }
    var key = target.getAttribute("data-filter");
    if (!controls[key]) { return; }
    reset();
    controls[key].value = target.getAttribute("data-value");
    ["status", "change"].forEach(function (extra) {
      var value = target.getAttribute("data-also-" + extra);
      if (value && controls[extra]) { controls[extra].value = value; }
    });
    apply();
    document.getElementById("findings").scrollIntoView({ behavior: "auto", block: "start" });
  });

  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.block, details.more"), function (box) {
      if (!box.open) { box.open = true; opened.push(box); }
    });
    Array.prototype.forEach.call(tbody.querySelectorAll("details"), function (box) {
      if (!box.open) {
        if (!box.hasAttribute("data-filled")) {
          box.setAttribute("data-filled", "1");
          details(rows[Number(box.closest("tr").getAttribute("data-row"))], box);
        }
        box.open = true;
        opened.push(box);
      }
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (box) { box.open = false; });
    opened = [];
  });

  apply();
})();
