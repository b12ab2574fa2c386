// Small progressive enhancements; every page works without JavaScript.
(function () {
  // A wide table scrolls inside its own box on a small screen instead of pushing the whole page sideways.
  // A box that scrolls must be reachable with the keyboard, so it gets tabindex (and the table's caption as
  // its name) only while it actually scrolls.
  function fitTables(root) {
    var tables = (root || document).querySelectorAll("main table");
    Array.prototype.forEach.call(tables, function (table) {
      var wrap = table.parentElement;
      if (!wrap.classList.contains("table-wrap")) {
        wrap = document.createElement("div");
        wrap.className = "table-wrap";
        table.parentNode.insertBefore(wrap, table);
        wrap.appendChild(table);
      }
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        var caption = table.querySelector("caption");
        if (caption && !wrap.hasAttribute("aria-label")) {
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", caption.textContent.trim());
        }
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var links = document.getElementById("nav-links");
    if (toggle && links) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", String(!open));
        links.classList.toggle("open", !open);
      });
    }
    fitTables(document);
    var resizeTimer;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { fitTables(document); }, 150);
    });
    document.body.addEventListener("htmx:afterSettle", function () { fitTables(document); });
  });
})();
