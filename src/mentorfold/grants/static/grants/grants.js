// Live word counts under long answers (the server checks the limits again on submit).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-word-count]").forEach(function (area) {
    var out = document.createElement("p");
    out.className = "muted word-count";
    out.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", out);
    function update() {
      var words = area.value.trim().split(/\s+/).filter(Boolean).length;
      out.textContent = words + " " + (out.dataset.label || "words");
    }
    area.addEventListener("input", update);
    update();
  });
});
