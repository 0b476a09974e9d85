// The site menu: open on wide screens (its summary is hidden there), folded on
// phones so the page starts right under the header. Escape or a click outside
// folds it again. Without JavaScript the menu simply stays open.
(function () {
  "use strict";
  const phone = window.matchMedia("(max-width: 640px)");
  function fit(menu) {
    menu.open = !phone.matches;
  }
  document.addEventListener("DOMContentLoaded", function () {
    const menu = document.querySelector("details.site-menu");
    if (!menu) return;
    fit(menu);
    phone.addEventListener("change", function () { fit(menu); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && phone.matches && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (phone.matches && menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });
})();
