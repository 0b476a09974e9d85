// The sharing page's Copy button: puts the new link's address on the clipboard
// and says "Copied" through the live region beside it (screen readers hear it).
// Without JavaScript the button stays hidden and the address can be selected.
(function () {
  "use strict";
  function copy(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    // Plain http on another host has no Clipboard API: the older selection copy.
    field.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("refused"));
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      const field = document.getElementById(button.getAttribute("data-copy"));
      const status = button.parentElement.querySelector("[aria-live]");
      if (!field || !status) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(field).then(
          function () { status.textContent = "Copied"; },
          function () {
            field.select();
            status.textContent = "Press Ctrl+C to copy";
          }
        );
      });
      // A second copy announces again: the region only speaks when its text changes.
      field.addEventListener("focus", function () { status.textContent = ""; });
      button.addEventListener("blur", function () { status.textContent = ""; });
    });
  });
})();
