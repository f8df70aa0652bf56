// The requirements form's pickers (templates/orders/includes/pickers.html): Enter in a search
// box searches instead of submitting the form, which would send the changes made so far.
// Without this file (or without JavaScript) the form works as before: the Search button searches.
document.addEventListener("keydown", function (event) {
  var box = event.target;
  if (event.key !== "Enter" || !box.matches || !box.matches(".picker-search input[type=search]")) {
    return;
  }
  event.preventDefault();
  if (window.htmx) {
    window.htmx.trigger(box, "search");
  }
});
