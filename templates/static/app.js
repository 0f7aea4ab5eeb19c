/* e-Surety: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Japanese eras, newest first: [first day (y, m, d), name].
  var ERAS = [[2019, 5, 1, "令和"], [1989, 1, 8, "平成"], [1926, 12, 25, "昭和"], [1912, 7, 30, "大正"], [1873, 1, 1, "明治"]];
  var FORMS = [/^(\d{4})(\d{2})(\d{2})$/, /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/, /^(\d{4})-(\d{1,2})-(\d{1,2})$/];

  function toHalfWidth(text) {
    return text.replace(/[０-９／－]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xfee0); }).trim();
  }

  /** 20231030 / 2023/10/30 / 2023-10-30 → 令和5年10月30日 (the same forms the server accepts), or "". */
  function eraOf(value) {
    var text = toHalfWidth(value || "");
    for (var i = 0; i < FORMS.length; i++) {
      var m = FORMS[i].exec(text);
      if (!m) continue;
      var y = +m[1], mo = +m[2], d = +m[3];
      var day = new Date(y, mo - 1, d);
      if (day.getFullYear() !== y || day.getMonth() !== mo - 1 || day.getDate() !== d) return "";
      for (var j = 0; j < ERAS.length; j++) {
        var e = ERAS[j];
        if (day >= new Date(e[0], e[1] - 1, e[2])) {
          var n = y - e[0] + 1;
          return e[3] + (n === 1 ? "元" : n) + "年" + mo + "月" + d + "日";
        }
      }
      return y + "年" + mo + "月" + d + "日";
    }
    return "";
  }

  /** The column names of a data table: its thead's first row, or a first row of th only. */
  function headerRow(table) {
    if (table.tHead && table.tHead.rows.length) return table.tHead.rows[0];
    var first = table.rows[0];
    if (!first || table.rows.length < 2) return null;
    for (var i = 0; i < first.cells.length; i++) if (first.cells[i].tagName !== "TH") return null;
    return first;
  }

  /** On a phone a data table reads as one card per row (app.css: table.cards): every cell carries
   *  its column's name, which the stylesheet shows before the value. Forms and key-value tables
   *  (no header row) are left alone; without this file the table scrolls in its box. */
  function cardTables() {
    Array.prototype.forEach.call(document.querySelectorAll("table:not(.form):not(.review):not(.overview)"), function (table) {
      var head = headerRow(table);
      if (!head) return;
      var names = [];
      Array.prototype.forEach.call(head.cells, function (c) {
        for (var k = 0; k < c.colSpan; k++) names.push((c.innerText || c.textContent).replace(/\s+/g, " ").trim());
      });
      Array.prototype.forEach.call(table.rows, function (row) {
        if (row === head) { row.classList.add("card-head"); return; }
        var col = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (names[col]) cell.setAttribute("data-label", names[col]);
          col += cell.colSpan;
        });
      });
      table.classList.add("cards");
    });
  }

  function init() {
    cardTables();
    var inputs = document.querySelectorAll("[data-era-echo]");
    Array.prototype.forEach.call(inputs, function (input) {
      var out = document.getElementById(input.getAttribute("data-era-echo"));
      if (!out) return;
      var update = function () { out.textContent = eraOf(input.value); };
      input.addEventListener("input", update);
      update();
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=print]"), function (el) {
      el.hidden = false;
      el.addEventListener("click", function (ev) { ev.preventDefault(); window.print(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=close]"), function (el) {
      el.addEventListener("click", function (ev) {
        if (window.opener !== null || window.history.length <= 1) { ev.preventDefault(); window.close(); }
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
