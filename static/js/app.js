/* Behaviour every page shares, kept out of inline handlers so a strict CSP can apply. */
(function () {
  "use strict";

  /* With scripts on, a phone folds the navigation behind its Menu button (app.css). */
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".menu-toggle");
    if (!toggle) {
      return;
    }
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  });

  /* A link that acts as a button (the explorer's expand/collapse keeps a real href for
     no-JS use) answers to Space as a button does, not only to Enter. */
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === " " && target.matches && target.matches("a[role=button]")) {
      event.preventDefault();
      target.click();
    }
  });

  /* A table wider than its column (on a phone) scrolls sideways inside itself; a keyboard
     can then focus it to scroll it. Checked again when the width changes or htmx swaps. */
  function markScrollable() {
    document.querySelectorAll("table, .map-wrap").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    markScrollable();
    new MutationObserver(markScrollable).observe(document.body, { childList: true, subtree: true });
  });
  window.addEventListener("resize", markScrollable);
})();
