// Sign-up: show the mentor or the learner questions only once "I am joining as" is chosen.
// Without JavaScript every question shows, and the server only asks the chosen group's questions.
document.addEventListener("DOMContentLoaded", function () {
  var radios = document.querySelectorAll('input[name="join_as"]');
  var groups = document.querySelectorAll("[data-join-group]");
  if (!radios.length || !groups.length) {
    return;
  }
  function update() {
    var chosen = document.querySelector('input[name="join_as"]:checked');
    groups.forEach(function (group) {
      group.hidden = !chosen || group.getAttribute("data-join-group") !== chosen.value;
    });
  }
  radios.forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();
});
