// Flashcard review by keyboard: Space shows the answer, 1-4 rate the card. The page works without this script
// (a <details> element and plain submit buttons); loaded as a static file so the CSP needs no inline script.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) {
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var back = document.getElementById("card-back");
    if (!back) {
      return;
    }
    if (event.key === " " && target && target.tagName !== "BUTTON" && target.tagName !== "SUMMARY") {
      event.preventDefault();
      back.open = !back.open;
      return;
    }
    if (["1", "2", "3", "4"].indexOf(event.key) !== -1) {
      var button = document.querySelector('#rate-form button[data-key="' + event.key + '"]');
      if (button) {
        event.preventDefault();
        button.click();
      }
    }
  });
})();
