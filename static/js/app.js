/* Behaviour every page shares, kept out of inline handlers so a strict CSP can apply. */
(function () {
  "use strict";

  /* A link that acts as a button (the explorer's expand/collapse keeps a real href for
     no-JS use) answers to Space as a button does, not only to Enter. */
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === " " && target.matches && target.matches("a[role=button]")) {
      event.preventDefault();
      target.click();
    }
  });
})();
