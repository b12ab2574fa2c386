// Optional drag-and-drop for the ranking list; posts the same order the Move up/down buttons would.
(function () {
  "use strict";
  function csrf() {
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function bind(list) {
    var dragged = null;
    list.addEventListener("dragstart", function (ev) {
      dragged = ev.target.closest("li");
      if (dragged) { dragged.classList.add("dragging"); ev.dataTransfer.effectAllowed = "move"; }
    });
    list.addEventListener("dragover", function (ev) {
      if (!dragged) { return; }
      ev.preventDefault();
      var over = ev.target.closest("li");
      if (over && over !== dragged) {
        var rect = over.getBoundingClientRect();
        var after = ev.clientY > rect.top + rect.height / 2;
        list.insertBefore(dragged, after ? over.nextSibling : over);
      }
    });
    list.addEventListener("dragend", function () {
      if (!dragged) { return; }
      dragged.classList.remove("dragging");
      dragged = null;
      var order = Array.prototype.map.call(list.querySelectorAll("li[data-mentor]"), function (li) {
        return li.getAttribute("data-mentor");
      }).join(",");
      var body = new URLSearchParams({ action: "order", order: order, csrfmiddlewaretoken: csrf() });
      if (window.htmx) {
        window.htmx.ajax("POST", list.getAttribute("data-order-url"), {
          target: "#ranking", swap: "outerHTML", values: { action: "order", order: order }
        });
      } else {
        fetch(list.getAttribute("data-order-url"), { method: "POST", body: body, credentials: "same-origin" })
          .then(function () { window.location.reload(); });
      }
    });
  }
  function init() {
    document.querySelectorAll("ol.ranking").forEach(function (list) {
      if (!list.dataset.bound) { list.dataset.bound = "1"; bind(list); }
    });
  }
  // Keep the keyboard where it was: the server marks the moved mentor's button (or the list) autofocus.
  function refocus() {
    var target = document.querySelector("#ranking [autofocus], #ranking[autofocus]");
    if (target && document.activeElement !== target) { target.focus(); }
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSwap", init);
  document.addEventListener("htmx:afterSettle", refocus);
})();
