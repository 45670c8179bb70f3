// Leadflow's little JavaScript: copy buttons and tabs. Every page works without it.
"use strict";
document.addEventListener("click", async (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const source = document.getElementById(copy.dataset.copy);
    const text = source.value !== undefined ? source.value : source.textContent;
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = "Copied";
    } catch (err) {
      copy.textContent = "Select and copy";
    }
    setTimeout(() => { copy.textContent = copy.dataset.label || "Copy"; }, 2000);
    return;
  }
  const tab = event.target.closest("[role=tab]");
  if (tab) {
    const list = tab.closest("[role=tablist]");
    for (const other of list.querySelectorAll("[role=tab]")) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
  }
});
