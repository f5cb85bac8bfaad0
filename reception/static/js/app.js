/* Behaviour of the pages that include it (the talon, the hearing brief), here rather than inline (the Content-Security-Policy runs no inline code):
   a button with data-print prints the page. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { window.print(); }
  });
}());
