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

  function init() {
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
