// Momentique's page enhancements. Pages work without this file; it only adds to them.
// Loaded as a module with the request's CSP nonce (no inline handlers anywhere).

document.documentElement.dataset.js = "on";

// "Print" buttons on the poster page.
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}

// A new event starts in the host's own time zone (the server cannot know it).
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (zone) {
  for (const link of document.querySelectorAll('a[href="/app/events/new"]')) {
    const url = new URL(link.href);
    url.searchParams.set("tz", zone);
    link.href = url.toString();
  }
}
