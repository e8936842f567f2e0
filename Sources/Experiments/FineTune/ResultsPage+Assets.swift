extension ResultsPage {
  /// The page's CSS (no external fonts or files, so it renders the same offline).
  static let stylesheet = #"""
    :root { --bad: #c62828; --good: #2e7d32; --line: #ddd; --muted: #666; }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
      max-width: 1400px; padding: 0 16px 48px; color: #222; }
    h1 { font-size: 24px; margin: 20px 0 8px; }
    h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
    h3 { font-size: 15px; margin: 16px 0 6px; }
    .note { background: #fff4d6; border-left: 5px solid #e0a800; padding: 8px 12px; margin: 6px 0;
      font-weight: 600; }
    .hint { color: var(--muted); margin: 4px 0; }
    .figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
    .figure { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
    .figure b { display: block; font-size: 22px; }
    .figure span { color: var(--muted); font-size: 12px; }
    .scroll { overflow: auto; max-width: 100%; }
    .scroll.tall { max-height: 75vh; }
    .scroll.tall thead th { position: sticky; top: 0; z-index: 1; }
    .scroll.tall tbody th { position: sticky; left: 0; }
    table { border-collapse: collapse; margin: 6px 0; }
    caption { text-align: left; font-weight: 600; padding: 4px 0; }
    th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; }
    th { background: #f6f6f6; }
    .num { text-align: right; }
    .svg svg { max-width: 100%; height: auto; }
    .per-class tbody tr, .confusion td.cell { cursor: pointer; }
    .per-class tbody tr:hover { background: #eef3fb; }
    .bar { display: inline-block; width: 80px; height: 8px; background: #eee; vertical-align: middle; }
    .bar i { display: block; height: 100%; background: #4a78c2; }
    .confusion td.cell { text-align: right; min-width: 28px; }
    .confusion td.zero { color: #bbb; }
    .confusion td.cell:hover { outline: 2px solid #333; }
    .confusion.narrow th.column span { writing-mode: vertical-rl; transform: rotate(180deg);
      white-space: nowrap; }
    .confusion.narrow td.cell { min-width: 0; padding: 2px 4px; font-size: 11px; }
    .confusion.narrow td.zero { color: transparent; }
    .confusions a { color: inherit; }
    .controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 8px;
      background: #f6f6f6; border-radius: 6px; position: sticky; top: 0; z-index: 1; }
    .controls input[type=number] { width: 56px; }
    .pager { display: flex; gap: 8px; align-items: center; margin: 10px 0; }
    .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 8px; }
    .card { border: 1px solid var(--line); border-left: 4px solid var(--good); border-radius: 4px;
      padding: 6px; font-size: 12px; overflow: hidden; }
    .card.wrong { border-left-color: var(--bad); background: #fff7f7; }
    .frame { display: flex; align-items: center; justify-content: center; margin: 0 auto 4px; }
    .thumb { background-repeat: no-repeat; }
    .thumb.pixelated { image-rendering: pixelated; image-rendering: crisp-edges; }
    .card .name { color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .card .label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .card .label.bad { color: var(--bad); font-weight: 700; }
    .card .label.good { color: var(--good); }
    .scores { margin-top: 4px; }
    .score { display: grid; grid-template-columns: 58px 1fr 40px; gap: 4px; align-items: center;
      font-size: 11px; line-height: 14px; }
    .score .cls { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .score .bar { width: 100%; height: 7px; }
    .score .val { text-align: right; color: var(--muted); }
    .score.truth .cls { color: var(--good); font-weight: 700; }
    .score.predicted .bar i { background: #333; }
    .card.wrong .score.predicted .bar i { background: var(--bad); }

    """#

  /// The gallery script: reads the embedded JSON, filters and sorts its 10,000 rows in memory
  /// and builds DOM nodes for the current page only (text through `textContent`, never HTML).
  /// Sprite sheets are decoded from base64 into blob URLs the first time a page needs them.
  static let script = #"""
    (function () {
      "use strict";
      var $ = function (id) { return document.getElementById(id); };
      var data = JSON.parse($("rp-data").textContent);
      var classes = data.classes, scale = data.scale, samples = data.samples;
      var perSheet = data.grid[0] * data.grid[1];
      var c = { show: $("rp-show"), t: $("rp-true"), p: $("rp-pred"), lo: $("rp-lo"), hi: $("rp-hi"),
        name: $("rp-name"), sort: $("rp-sort"), size: $("rp-size") };
      var page = 0, list = [], urls = [];

      function element(tag, className, text) {
        var e = document.createElement(tag);
        if (className) e.className = className;
        if (text !== undefined) e.textContent = text;
        return e;
      }
      function option(select, value, text) {
        var o = element("option", null, text);
        o.value = String(value);
        select.appendChild(o);
      }
      classes.forEach(function (name, i) { option(c.t, i, name); option(c.p, i, name); });
      var sizes = Array.prototype.map.call(c.size.options, function (o) { return o.value; });
      if (sizes.indexOf(String(data.pageSize)) < 0) option(c.size, data.pageSize, String(data.pageSize));
      c.size.value = String(data.pageSize);

      function sheetURL(s) {
        if (urls[s]) return urls[s];
        var text = $("rp-sheet-" + s).textContent.trim();
        var url = "data:image/png;base64," + text;
        try {
          var binary = atob(text), bytes = new Uint8Array(binary.length);
          for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
          url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
        } catch (e) { /* keep the data URL */ }
        urls[s] = url;
        return url;
      }
      function pct(v) { return (100 * v / scale).toFixed(1) + " %"; }
      function number(v) { return v.toLocaleString(); }

      function filters() {
        var lo = parseFloat(c.lo.value), hi = parseFloat(c.hi.value);
        return { show: c.show.value, t: +c.t.value, p: +c.p.value,
          lo: (isNaN(lo) ? 0 : lo) * scale / 100, hi: (isNaN(hi) ? 100 : hi) * scale / 100,
          name: c.name.value.trim().toLowerCase() };
      }
      function matches(s, i, f) {
        if (f.show === "wrong" && s[0] === s[1]) return false;
        if (f.show === "right" && s[0] !== s[1]) return false;
        if (f.t >= 0 && s[0] !== f.t) return false;
        if (f.p >= 0 && s[1] !== f.p) return false;
        if (s[3] < f.lo || s[3] > f.hi) return false;
        if (f.name && ("#" + i + " " + (s[5] || "")).toLowerCase().indexOf(f.name) < 0) return false;
        return true;
      }
      var keys = {
        "conf-desc": function (s) { return -s[3]; }, "conf-asc": function (s) { return s[3]; },
        "true-asc": function (s) { return s[2]; }, "true-desc": function (s) { return -s[2]; } };
      function update() {
        var f = filters(), found = [];
        for (var i = 0; i < samples.length; i++) if (matches(samples[i], i, f)) found.push(i);
        var key = keys[c.sort.value];
        if (key) found.sort(function (a, b) { return key(samples[a]) - key(samples[b]) || a - b; });
        list = found;
        page = 0;
        render();
      }
      function pages() { return Math.max(1, Math.ceil(list.length / +c.size.value)); }

      function thumbnail(i) {
        var s = samples[i];
        var w = s.length > 6 ? s[6] : data.cell[0], h = s.length > 6 ? s[7] : data.cell[1];
        var zoom = Math.max(1, Math.floor(data.display / Math.max(w, h)));
        var sheet = Math.floor(i / perSheet), cell = i % perSheet, size = data.sheets[sheet];
        var x = (cell % data.grid[0]) * data.cell[0], y = Math.floor(cell / data.grid[0]) * data.cell[1];
        var e = element("div", zoom > 1 ? "thumb pixelated" : "thumb");
        e.style.width = w * zoom + "px";
        e.style.height = h * zoom + "px";
        e.style.backgroundImage = "url(\"" + sheetURL(sheet) + "\")";
        e.style.backgroundSize = size[0] * zoom + "px " + size[1] * zoom + "px";
        e.style.backgroundPosition = (-x * zoom) + "px " + (-y * zoom) + "px";
        return e;
      }
      function scoreRow(s, cls, p) {
        var row = element("div", "score" + (cls === s[0] ? " truth" : "") + (cls === s[1] ? " predicted" : ""));
        row.appendChild(element("span", "cls", classes[cls]));
        var bar = element("span", "bar"), fill = element("i");
        fill.style.width = (100 * p / scale).toFixed(1) + "%";
        bar.appendChild(fill);
        row.appendChild(bar);
        row.appendChild(element("span", "val", (100 * p / scale).toFixed(1)));
        return row;
      }
      function card(i) {
        var s = samples[i], wrong = s[0] !== s[1];
        var e = element("div", wrong ? "card wrong" : "card");
        e.title = "#" + i + (s[5] ? " " + s[5] : "") + "\ntrue: " + classes[s[0]] + " (" + pct(s[2]) +
          ")\npredicted: " + classes[s[1]] + " (" + pct(s[3]) + ")";
        var frame = element("div", "frame");
        frame.style.width = frame.style.height = data.display + "px";
        frame.appendChild(thumbnail(i));
        e.appendChild(frame);
        e.appendChild(element("div", "name", "#" + i + (s[5] ? " · " + s[5] : "")));
        e.appendChild(element("div", "label", "true: " + classes[s[0]]));
        e.appendChild(element("div", wrong ? "label bad" : "label good",
          "pred: " + classes[s[1]] + " · " + pct(s[3])));
        var scores = element("div", "scores"), v = s[4], shown = false;
        if (data.full) {
          for (var k = 0; k < v.length; k++) scores.appendChild(scoreRow(s, k, v[k]));
        } else {
          for (var j = 0; j < Math.min(6, v.length); j += 2) {
            scores.appendChild(scoreRow(s, v[j], v[j + 1]));
            if (v[j] === s[0]) shown = true;
          }
          if (!shown) scores.appendChild(scoreRow(s, s[0], s[2]));
        }
        e.appendChild(scores);
        return e;
      }
      function render() {
        var size = +c.size.value, count = pages();
        page = Math.min(Math.max(0, page), count - 1);
        var start = page * size, end = Math.min(list.length, start + size);
        var fragment = document.createDocumentFragment();
        for (var k = start; k < end; k++) fragment.appendChild(card(list[k]));
        var cards = $("rp-cards");
        cards.textContent = "";
        cards.appendChild(fragment);
        var text = list.length === 0 ? "no image matches (" + number(samples.length) + " in all)" :
          number(start + 1) + "–" + number(end) + " of " + number(list.length) + " matching (" +
          number(samples.length) + " in all) · page " + (page + 1) + " of " + count;
        $("rp-status").textContent = text;
        document.querySelectorAll(".rp-status-copy").forEach(function (e) { e.textContent = text; });
      }
      function go(where) {
        var before = page;
        if (where === "first") page = 0;
        else if (where === "prev") page -= 1;
        else if (where === "next") page += 1;
        else if (where === "last") page = pages() - 1;
        page = Math.min(Math.max(0, page), pages() - 1);
        if (page !== before) { render(); $("rp-controls").scrollIntoView(); }
      }

      ["show", "t", "p", "sort", "size"].forEach(function (k) { c[k].addEventListener("change", update); });
      var timer = null;
      ["lo", "hi", "name"].forEach(function (k) {
        c[k].addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 150); });
      });
      $("rp-reset").addEventListener("click", function () {
        c.show.value = "all"; c.t.value = "-1"; c.p.value = "-1"; c.lo.value = "0"; c.hi.value = "100";
        c.name.value = ""; c.sort.value = "index";
        update();
      });
      document.addEventListener("click", function (event) {
        var button = event.target.closest ? event.target.closest("[data-go]") : null;
        if (button) { go(button.getAttribute("data-go")); return; }
        var pick = event.target.closest ? event.target.closest("[data-t]") : null;
        if (!pick) return;
        event.preventDefault();
        c.t.value = pick.getAttribute("data-t");
        c.p.value = pick.getAttribute("data-p") || "-1";
        c.show.value = "all";
        update();
        $("gallery").scrollIntoView();
      });
      document.addEventListener("keydown", function (event) {
        var tag = event.target.tagName;
        if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
        if (event.key === "ArrowLeft") go("prev");
        else if (event.key === "ArrowRight") go("next");
      });
      update();
    })();

    """#
}
