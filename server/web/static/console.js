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

  // A page that answers a plain form post with something to look at first
  // (a refusal, a preview) marks it with data-focus: start there.
  function focusOn(el) {
    if (!el.hasAttribute("tabindex") && !el.matches("a[href], button, input, select, textarea")) {
      el.setAttribute("tabindex", "-1"); // focusable by script, not in the tab order
    }
    el.focus();
  }
  var first = document.querySelector("main [data-focus]");
  if (first) { focusOn(first); }

  // After a partial swap, keep keyboard and screen-reader users where the
  // change happened: on what the new content marks (data-focus, an alert),
  // or, when the swap took away the element that had focus (a tab link, a
  // button inside the swapped part), on its counterpart in the new content:
  // the first field refused, the current tab, or the new content itself.
  document.addEventListener("htmx:afterSettle", function (e) {
    var target = e.detail && e.detail.target;
    if (!target) { return; }
    if (target.id && !target.isConnected) {
      target = document.getElementById(target.id) || target; // an outerHTML swap replaced it
    }
    if (target.hasAttribute("data-keep-focus")) { return; }
    var focus = target.querySelector("[data-focus]") || target.querySelector("[role=alert]");
    var lost = !document.activeElement || document.activeElement === document.body;
    if (!focus && lost) {
      focus = target.querySelector("[aria-invalid=true]") || target.querySelector("[aria-current]") || target;
    }
    if (focus) { focusOn(focus); }
    var label = target.getAttribute("data-announce");
    if (label) { announce(label); }
  });
})();
