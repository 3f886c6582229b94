// The main menu (partials/main_nav.html) is a <details> that works without
// JavaScript. This adds what a script can: Escape closes it on small screens,
// and on wide screens it is marked open, for browsers whose CSS cannot show
// the content of a closed <details> (no ::details-content).
(function () {
  "use strict";

  var menu = document.querySelector("details[data-site-menu]");
  if (!menu) return;
  var wide = window.matchMedia("(min-width: 40em)");

  function fit() {
    menu.open = wide.matches;
  }

  fit();
  wide.addEventListener("change", fit);

  menu.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !menu.open || wide.matches) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });
})();
