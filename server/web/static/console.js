// The console's own behaviour on top of plain HTML. Every page works
// without it; it adds copy buttons, confirmations, select-all, automatic
// filter submission, and focus handling after htmx swaps.
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("announce");
    if (region) { region.textContent = ""; region.textContent = text; }
  }

  document.addEventListener("click", function (e) {
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copy.textContent = "Copied";
          announce("Copied to the clipboard");
        });
      }
      return;
    }
    var all = e.target.closest("input[data-select-all]");
    if (all) {
      var boxes = document.querySelectorAll("input[name='" + all.getAttribute("data-select-all") + "']");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
    }
  });

  // Confirm destructive submissions; htmx's own hx-confirm covers its
  // requests, this covers plain forms.
  document.addEventListener("submit", function (e) {
    var submitter = e.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { e.preventDefault(); }
  });

  // A filter select submits its form when it changes.
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-submit], input[data-submit]")) {
      var form = e.target.form;
      if (form) { form.requestSubmit(); }
    }
  });

  // After a partial swap, move focus into the new content so keyboard and
  // screen-reader users land where the change happened.
  document.addEventListener("htmx:afterSettle", function (e) {
    var target = e.detail && e.detail.target;
    if (!target || target.hasAttribute("data-keep-focus")) { return; }
    var focus = target.querySelector("[data-focus]") || target.querySelector("[role=alert]");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) { focus.setAttribute("tabindex", "-1"); }
      focus.focus();
    }
    var label = target.getAttribute("data-announce");
    if (label) { announce(label); }
  });
})();
