// Accessibility fixes the theme's markup needs on every page (MkDocs and Zensical builds alike).
//
// 1. Display formulas sit in a scroll container, <div class="nnspec-math">, made at build time
//    by sitebuild/mathml.py. One wider than the page scrolls sideways; such a container is made
//    reachable from the keyboard (tabindex="0": Tab focuses it, the arrow keys scroll it) and
//    named, and loses both again when the formula fits (the width changes with the window and
//    when the math font has loaded).
// 2. The search dialog gets an accessible name where the theme gives it none.
const FORMULA_LABEL = "Formula (scroll sideways to read it all)";

function markScrollable(box) {
  if (box.scrollWidth > box.clientWidth + 1) {
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", FORMULA_LABEL);
  } else {
    box.removeAttribute("tabindex");
    box.removeAttribute("role");
    box.removeAttribute("aria-label");
  }
}

const formulaObserver = new ResizeObserver((entries) => {
  for (const entry of entries) markScrollable(entry.target.closest(".nnspec-math"));
});
for (const box of document.querySelectorAll(".nnspec-math")) {
  markScrollable(box);
  formulaObserver.observe(box);
  if (box.firstElementChild) formulaObserver.observe(box.firstElementChild);
}

for (const dialog of document.querySelectorAll(".md-search[role='dialog']")) {
  if (!dialog.hasAttribute("aria-label") && !dialog.hasAttribute("aria-labelledby")) {
    dialog.setAttribute("aria-label", "Search");
  }
}
