// Where focus goes after an HTMX swap. A swap that replaces the element someone was using leaves
// focus on <body>, and a keyboard or screen-reader user is lost at the top of the page. After a
// request the person made, focus goes to the first field Telnyx or the form refused, else to the
// swapped region's heading, else to the region; after a swap nobody asked for (the live refresh,
// the sync status), focus returns to the element that had it, found again by its id, or stays
// where it is: a background update never takes focus.
(function () {
  "use strict";
  let before = null;

  function focusable(element) {
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus({ preventScroll: false });
  }

  function lost() {
    const active = document.activeElement;
    return !active || active === document.body || !document.contains(before);
  }

  document.addEventListener("htmx:beforeSwap", function () {
    before = document.activeElement;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!before || !lost()) return;
    const again = before.id && document.getElementById(before.id);
    const trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    const asked = Boolean(trigger && trigger.isTrusted);
    // An outerHTML swap leaves event.detail.target detached: its replacement has its id.
    const swapped = event.detail.target;
    const target = swapped && (document.contains(swapped) ? swapped : document.getElementById(swapped.id));
    before = null;
    if (!asked || !target) {
      if (again) again.focus({ preventScroll: true });
      return;
    }
    const refused = target.querySelector('[aria-invalid="true"]') ||
      document.querySelector('[aria-invalid="true"]');
    const heading = target.querySelector("h1, h2, h3");
    focusable(refused || heading || target);
  });
})();
