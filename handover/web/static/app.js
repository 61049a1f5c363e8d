// The only script of the page, served by this server (the Content-Security-Policy allows no
// other): it hides revealed secrets again, copies one to the clipboard, and shows the unlock
// page once the server has locked the registry for idleness.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const body = document.body;
  const revealMs = Number(body.dataset.revealMs || 0);
  for (const secret of document.querySelectorAll("[data-secret]")) {
    window.setTimeout(() => {
      secret.textContent = secret.dataset.hiddenText || "";
      secret.classList.add("hidden-secret");
      delete secret.dataset.secret;
      for (const button of document.querySelectorAll(`[data-copy="${secret.id}"]`)) {
        button.remove();
      }
    }, revealMs);
  }
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.classList.remove("hidden");
    button.addEventListener("click", () => {
      const secret = document.getElementById(button.dataset.copy);
      if (secret && secret.dataset.secret !== undefined && navigator.clipboard) {
        navigator.clipboard.writeText(secret.textContent.trim()).then(() => {
          button.textContent = button.dataset.copied || button.textContent;
        });
      }
    });
  }
  const idleMs = Number(body.dataset.idleMs || 0);
  if (idleMs > 0) {
    // The server locks on its own at the idle time; this only brings the unlock page up.
    window.setTimeout(
      () => window.location.replace(window.location.pathname + window.location.search),
      idleMs + 1000,
    );
  }
});
