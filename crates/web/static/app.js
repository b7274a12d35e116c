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

// The photo uploader: drop or choose many files; each goes up on its own request with a
// progress bar, two at a time, then shows its processing state. Without this script the form
// posts the files in one request and the page reloads.
for (const form of document.querySelectorAll("form[data-uploader]")) {
  const input = form.querySelector("input[type=file]");
  const queue = form.querySelector(".upload-queue");
  const zone = form.querySelector(".drop-zone");
  const endpoint = form.dataset.endpoint;
  const maxBytes = Number(form.dataset.maxBytes) || Infinity;
  const waiting = [];
  let running = 0;
  form.classList.add("is-enhanced");
  // Every word shown comes from the server's message catalogue.
  const t = JSON.parse(form.dataset.messages || "{}");

  const text = (el, s) => { el.textContent = s; };
  const label = (status) => t[status] || status;
  // The caption typed before choosing goes with the photos chosen then (tus-style metadata:
  // the key, a space, the value in base64 of its UTF-8).
  const captionInput = form.querySelector("input[name=caption]");
  const metadata = (caption) => caption
    ? { "upload-metadata": `caption ${btoa(Array.from(new TextEncoder().encode(caption), (b) => String.fromCharCode(b)).join(""))}` }
    : {};

  function item(file) {
    const li = document.createElement("li");
    li.className = "upload-item";
    const name = document.createElement("span");
    name.className = "upload-name";
    text(name, file.name || "photo");
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const state = document.createElement("span");
    state.className = "upload-state";
    text(state, t.waiting);
    li.append(name, bar, state);
    // A preview from the file itself, at once (browsers that cannot show HEIC show nothing).
    if (file.type && file.type.startsWith("image/") && !/hei[cf]/.test(file.type)) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = "";
      img.width = 48;
      img.height = 48;
      img.className = "local-preview";
      img.addEventListener("load", () => URL.revokeObjectURL(img.src), { once: true });
      img.addEventListener("error", () => { URL.revokeObjectURL(img.src); img.remove(); }, { once: true });
      li.prepend(img);
    }
    queue.append(li);
    return { li, bar, state };
  }

  async function poll(url, view, fresh) {
    for (let i = 0; i < 120; i++) {
      const res = await fetch(url, { headers: { accept: "application/json" } }).catch(() => null);
      if (!res || !res.ok) { settle(true); return; }
      const photo = await res.json();
      if (photo.status !== "processing") {
        document.querySelector(".photos-empty")?.remove();
        text(view.state, photo.status === "failed" ? `${label(photo.status)}: ${photo.failure_message || ""}` : label(photo.status));
        view.li.dataset.state = photo.status;
        view.li.dataset.photo = photo.id;
        const small = photo.renditions[photo.renditions.length - 1];
        view.li.querySelector(".local-preview")?.remove();
        if (small) {
          const img = document.createElement("img");
          img.src = small.url;
          img.alt = "";
          img.width = 48;
          img.height = 48;
          view.li.prepend(img);
        }
        form.dispatchEvent(new CustomEvent("photo-done", { bubbles: true, detail: { photo, fresh } }));
        settle(photo.status !== "failed");
        return;
      }
      await new Promise((r) => setTimeout(r, i < 10 ? 1000 : 3000));
    }
    settle(true);
  }

  function send(file, view) {
    running++;
    view.li.dataset.state = "uploading";
    text(view.state, t.uploading);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", endpoint);
    xhr.setRequestHeader("content-type", "application/octet-stream");
    for (const [k, v] of Object.entries(metadata(view.caption))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) view.bar.value = (e.loaded / e.total) * 100; };
    const done = () => { running--; next(); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 200 || xhr.status === 201) {
        view.bar.value = 100;
        view.li.dataset.state = "processing";
        text(view.state, xhr.status === 200 ? t.already : label(body.status));
        poll(`${form.dataset.status || "/api/v1/photos/"}${body.id}`, view, xhr.status === 201);
      } else {
        fail(file, view, (body.error && body.error.message) || t.failed, xhr.status >= 500);
      }
      done();
    };
    xhr.onerror = () => { fail(file, view, t.dropped, true); done(); };
    xhr.send(file);
  }

  // Large files on a page that offers it go up in pieces that survive a dropped connection
  // or a reload (the same file picked again resumes where it stopped).
  const resumable = form.dataset.resumable;
  const PIECE = 1024 * 1024;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function sendResumable(file, view) {
    running++;
    view.li.dataset.state = "uploading";
    text(view.state, t.uploading);
    const key = `mq-up:${resumable}:${file.name}:${file.size}:${file.lastModified}`;
    const json = { accept: "application/json" };
    try {
      let url = localStorage.getItem(key);
      let offset = 0;
      if (url) {
        const r = await fetch(url, { headers: json }).catch(() => null);
        if (r && r.ok) offset = (await r.json()).offset; else url = null;
      }
      if (!url) {
        const r = await fetch(resumable, { method: "POST", headers: { ...json, ...metadata(view.caption), "upload-length": String(file.size) } });
        if (!r.ok) {
          const b = await r.json().catch(() => ({}));
          fail(file, view, (b.error && b.error.message) || t.failed, r.status >= 500);
          return;
        }
        url = r.headers.get("location");
        localStorage.setItem(key, url);
      }
      let tries = 0;
      for (;;) {
        view.bar.value = (offset / file.size) * 100;
        let r;
        try {
          r = await fetch(url, {
            method: "PATCH",
            headers: { ...json, "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
            body: file.slice(offset, Math.min(offset + PIECE, file.size)),
          });
        } catch {
          if (++tries > 40) { fail(file, view, t.dropped, true); return; }
          text(view.state, t.retrying);
          await sleep(Math.min(20000, 500 * 2 ** Math.min(tries, 6)));
          const s = await fetch(url, { headers: json }).catch(() => null);
          if (s && s.ok) offset = (await s.json()).offset;
          continue;
        }
        tries = 0;
        if (r.status === 204 || r.status === 409) {
          offset = Number(r.headers.get("upload-offset"));
          text(view.state, t.uploading);
          continue;
        }
        localStorage.removeItem(key);
        const body = await r.json().catch(() => ({}));
        if (r.status === 200 || r.status === 201) {
          view.bar.value = 100;
          view.li.dataset.state = "processing";
          text(view.state, r.status === 200 ? t.already : label(body.status));
          poll(`${form.dataset.status || "/api/v1/photos/"}${body.id}`, view, r.status === 201);
        } else {
          fail(file, view, (body.error && body.error.message) || t.failed, r.status >= 500);
        }
        return;
      }
    } finally {
      running--;
      next();
    }
  }

  // A refused file keeps no preview and no full bar; "Try again" only where trying again can
  // help (the connection dropped, or the server stumbled), not for a refusal.
  function fail(file, view, message, retryable) {
    view.li.dataset.state = "failed";
    text(view.state, message);
    view.bar.hidden = true;
    if (!retryable) {
      view.li.querySelector(".local-preview")?.remove();
      settle(false);
      return;
    }
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "button small";
    text(retry, t.retry);
    retry.addEventListener("click", () => {
      retry.remove(); view.bar.value = 0; view.bar.hidden = false; retrying--;
      if (summary) summary.hidden = true;
      waiting.push([file, view]); next();
    });
    settle(false, true);
    view.li.append(retry);
  }

  // When every file of the queue has an outcome: "2 of 3 added", and the way on.
  const summary = form.querySelector("[data-upload-summary]");
  let total = 0, added = 0, failed = 0, retrying = 0;
  function settle(ok, retryable) {
    if (ok) added++; else if (retryable) retrying++; else failed++;
    if (!summary || added + failed + retrying < total) return;
    summary.querySelector("span").textContent = summary.dataset.text
      .replace("{n}", String(added)).replace("{total}", String(total));
    summary.hidden = false;
  }

  function next() {
    while (running < 2 && waiting.length) {
      const [file, view] = waiting.shift();
      if (resumable && file.size > PIECE) sendResumable(file, view); else send(file, view);
    }
  }

  function add(files) {
    if (summary && files.length) summary.hidden = true;
    const caption = captionInput ? captionInput.value.trim() : "";
    if (captionInput && files.length) captionInput.value = "";
    for (const file of files) {
      const view = item(file);
      view.caption = caption;
      total++;
      if (file.size > maxBytes) {
        fail(file, view, t.too_large, false);
        continue;
      }
      waiting.push([file, view]);
    }
    next();
  }

  input.addEventListener("change", () => { add(input.files); input.value = ""; });
  for (const other of form.querySelectorAll("input[type=file]:not(#" + input.id + ")")) {
    other.addEventListener("change", () => { add(other.files); other.value = ""; });
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); add(input.files); input.value = ""; });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("is-over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("is-over"));
  }
  zone.addEventListener("drop", (e) => { e.preventDefault(); add(e.dataTransfer.files); });
}

// Figures that refresh themselves: re-read the page and swap the section in.
for (const section of document.querySelectorAll("[data-refresh][id]")) {
  const every = Number(section.dataset.refresh) * 1000;
  setInterval(async () => {
    if (document.hidden) return;
    const res = await fetch(location.href, { headers: { accept: "text/html" } });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const fresh = doc.getElementById(section.id);
    if (fresh) section.replaceChildren(...fresh.childNodes);
  }, every);
}

// The gallery loads its next page as the reader nears the end (the "More photos" link works
// without this).
for (const grid of document.querySelectorAll("[data-gallery]")) {
  let link = document.querySelector("[data-more]");
  if (!link || !("IntersectionObserver" in window)) continue;
  let busy = false;
  const observer = new IntersectionObserver(async (entries) => {
    if (busy || !entries.some((e) => e.isIntersecting) || !link) return;
    busy = true;
    const res = await fetch(link.href, { headers: { accept: "text/html" } });
    if (res.ok) {
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      grid.append(...doc.querySelectorAll("[data-gallery] > li"));
      const next = doc.querySelector("[data-more]");
      if (next) { link.setAttribute("href", next.getAttribute("href")); } else { observer.disconnect(); link.remove(); link = null; }
    }
    busy = false;
  }, { rootMargin: "800px" });
  observer.observe(link);
}

// Reactions without a page reload (the buttons post a form without this). Made while the
// network is gone, a toggle shows at once and waits in a queue (toggling it back cancels it);
// the queue goes out when the browser is online again or the live connection is back.
const outbox = new Map();
const showReaction = (button, on, count) => {
  button.setAttribute("aria-pressed", String(on));
  button.querySelector(".count").textContent = count > 0 ? String(count) : "";
};
async function sendReaction(action, body, form, button) {
  const res = await fetch(action, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  if (!res.ok) return;
  const r = await res.json();
  // The lightbox's one form may have moved on to another photo meanwhile.
  if (form.action === action) showReaction(button, r.on, r.count);
  form.dispatchEvent(new CustomEvent("reacted", { bubbles: true, detail: { ...r, action } }));
}
async function flushReactions() {
  for (const [key, q] of [...outbox]) {
    outbox.delete(key);
    try {
      await sendReaction(q.action, q.body, q.form, q.button);
    } catch {
      outbox.set(key, q);
      return;
    }
  }
}
window.addEventListener("online", flushReactions);
document.addEventListener("live-state", (e) => { if (e.detail.state === "live") flushReactions(); });
document.addEventListener("submit", async (e) => {
  const form = e.target.closest("form[data-react]");
  if (!form || !e.submitter) return;
  e.preventDefault();
  const button = e.submitter;
  const body = new URLSearchParams(new FormData(form));
  body.set("kind", button.value);
  const action = form.action;
  const key = `${action} ${button.value}`;
  const on = button.getAttribute("aria-pressed") !== "true";
  const count = Number(button.querySelector(".count").textContent) || 0;
  const queue = () => {
    // A second toggle of a queued one undoes it: nothing to send.
    if (outbox.has(key)) outbox.delete(key); else outbox.set(key, { action, body, form, button });
    showReaction(button, on, Math.max(0, count + (on ? 1 : -1)));
    form.dispatchEvent(new CustomEvent("reacted", { bubbles: true, detail: { kind: button.value, on, count: Math.max(0, count + (on ? 1 : -1)), action } }));
  };
  if (outbox.has(key) || !navigator.onLine) { queue(); return; }
  try {
    await sendReaction(action, body, form, button);
  } catch {
    queue();
  }
});

// A photo's links for the lightbox. In the guests' gallery the grid says once where its
// photos live (data-photos, data-downloads) and each tile's id names its photo; elsewhere a
// link may carry them itself (data-view, data-download, data-react, data-report).
const photoLinks = (a) => {
  const grid = a.closest("[data-photos]");
  const li = a.closest("li[id^='photo-']");
  if (!grid || !li) {
    const d = a.dataset;
    return { view: d.view || "", download: d.download || "", react: d.react || "", report: d.report || "" };
  }
  const base = grid.dataset.photos + li.id.slice("photo-".length);
  return {
    view: `${base}/view`,
    download: "downloads" in grid.dataset ? `${base}/download` : "",
    react: `${base}/react`,
    report: `${base}/report`,
  };
};

// Lightbox: the 1920 px photo over the page; arrows, Esc, swipe. Without this the link opens
// the photo itself.
const box = document.querySelector("dialog[data-lightbox]");
if (box) {
  const img = box.querySelector("img");
  const caption = box.querySelector(".lightbox-caption");
  const dl = box.querySelector("[data-dl]");
  let current = null;
  const links = () => [...document.querySelectorAll("a[data-full]")];
  const show = (a) => {
    current = a;
    const to = photoLinks(a);
    img.src = a.dataset.full;
    caption.textContent = a.dataset.caption || "";
    dl.hidden = !to.download;
    if (to.download) dl.href = to.download;
    if (!box.open) box.showModal();
    box.dispatchEvent(new CustomEvent("lightbox-show", { detail: a }));
    if (to.view) {
      const body = new URLSearchParams({ csrf_token: box.dataset.csrf || "" });
      fetch(to.view, { method: "POST", body }).catch(() => {});
    }
  };
  const step = (d) => {
    const all = links();
    const i = all.indexOf(current);
    if (all.length) show(all[(i + d + all.length) % all.length]);
  };
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-full]");
    if (!a) return;
    e.preventDefault();
    show(a);
  });
  box.querySelector("[data-prev]").addEventListener("click", () => step(-1));
  box.querySelector("[data-next]").addEventListener("click", () => step(1));
  box.querySelector("[data-close]").addEventListener("click", () => box.close());
  box.addEventListener("keydown", (e) => {
    if (e.key === "ArrowLeft") step(-1);
    if (e.key === "ArrowRight") step(1);
  });
  let x0 = null;
  box.addEventListener("pointerdown", (e) => { x0 = e.clientX; });
  box.addEventListener("pointerup", (e) => {
    if (x0 !== null && Math.abs(e.clientX - x0) > 50) step(e.clientX < x0 ? 1 : -1);
    x0 = null;
  });
}

// Moderation by keyboard: with focus on a queued photo, A approves and R rejects it.
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const tile = e.target.closest && e.target.closest(".moderation-grid .photo-tile");
  if (!tile) return;
  const key = e.key.toLowerCase();
  const buttons = tile.querySelectorAll(".tile-actions button");
  if (key === "a" && buttons[0]) { e.preventDefault(); buttons[0].click(); }
  if (key === "r" && buttons[1]) { e.preventDefault(); buttons[1].click(); }
});

// ===== Members' photos page: select all, select a range, count (host-ui) =====
// Without JavaScript the checkboxes work one by one; with it, "Select all" appears, a
// shift-click selects every photo between the last one clicked and this one, and the bar
// counts the selection. Delegated, so photos the pager adds in place take part too.
(() => {
  const bar = document.querySelector("[data-bulk]");
  if (!bar) return;
  const all = bar.querySelector("[data-select-all]");
  const count = bar.querySelector("[data-bulk-count]");
  const picks = () => Array.from(document.querySelectorAll("input[data-pick]"));
  bar.querySelectorAll("[hidden]").forEach((el) => { el.hidden = false; });
  const update = () => {
    const boxes = picks();
    const n = boxes.filter((b) => b.checked).length;
    count.textContent = n ? String(n) : "";
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
    document.querySelectorAll(".photo-tile").forEach((t) => {
      const b = t.querySelector("input[data-pick]");
      t.classList.toggle("is-picked", !!(b && b.checked));
    });
  };
  let last = null;
  document.addEventListener("click", (e) => {
    const box = e.target.closest && e.target.closest("input[data-pick]");
    if (!box) return;
    const boxes = picks();
    if (e.shiftKey && last && last !== box && boxes.includes(last)) {
      const [a, b] = [boxes.indexOf(last), boxes.indexOf(box)].sort((x, y) => x - y);
      boxes.slice(a, b + 1).forEach((x) => { x.checked = box.checked; });
    }
    last = box;
    update();
  });
  all.addEventListener("change", () => {
    picks().forEach((b) => { b.checked = all.checked; });
    update();
  });
  update();
})();
// ===== end members' photos page =====
// ---- Guests' gallery: the lightbox's reactions and "Report" -------------------------------
// The tiles carry each photo's reactions (data-reactions="kind:count:mine ...") and links;
// the lightbox's one set of buttons shows the open photo's, and a toggle writes back to its
// tile so the counts stay right when it opens again.
{
  const box = document.querySelector("dialog[data-lightbox]");
  const form = box && box.querySelector("form[data-react]");
  if (form) {
    const report = box.querySelector("[data-report]");
    let tile = null;
    const read = (a) => Object.fromEntries((a.dataset.reactions || "").split(" ").filter(Boolean)
      .map((s) => { const [k, n, m] = s.split(":"); return [k, { n: Number(n), m: m === "1" }]; }));
    box.addEventListener("lightbox-show", (e) => {
      tile = e.detail;
      const to = photoLinks(tile);
      const has = Boolean(to.react);
      form.hidden = !has;
      report.hidden = !to.report;
      if (to.report) report.href = to.report;
      if (!has) return;
      form.action = to.react;
      const state = read(tile);
      for (const b of form.querySelectorAll("button[value]")) {
        const s = state[b.value] || { n: 0, m: false };
        b.setAttribute("aria-pressed", String(s.m));
        b.querySelector(".count").textContent = s.n > 0 ? String(s.n) : "";
      }
    });
    form.addEventListener("reacted", (e) => {
      const id = /\/photos\/([\w-]+)\/react$/.exec(new URL(e.detail.action || form.action, location.href).pathname);
      const target = (id && document.querySelector(`#photo-${id[1]} a[data-full]`)) || tile;
      if (!target) return;
      const state = read(target);
      state[e.detail.kind] = { n: e.detail.count, m: e.detail.on };
      target.dataset.reactions = Object.entries(state).map(([k, s]) => `${k}:${s.n}:${s.m ? 1 : 0}`).join(" ");
    });
  }
}

// ---- Guest page: "My photos" and the count follow the uploads -----------------------------
// As each photo finishes, its tile joins "My photos" (sharp renditions, opens in the
// lightbox) and "You have shared n of …" counts it, without a reload. A tile that was still
// processing when the page was made is replaced in place when the feed says it is ready.
{
  const mine = document.querySelector("[data-mine]");
  const tpl = document.querySelector("template[data-mine-tile]");
  const shared = document.querySelector("[data-shared]");
  if (mine && tpl) {
    document.addEventListener("photo-done", (e) => {
      const { photo, fresh } = e.detail;
      const old = document.getElementById(`photo-${photo.id}`);
      if (photo.status === "failed" || (old && !old.classList.contains("photo-processing"))) return;
      const li = tpl.content.firstElementChild.cloneNode(true);
      li.id = `photo-${photo.id}`;
      li.classList.add("photo-tile", `photo-${photo.status}`);
      const r = [...photo.renditions].sort((a, b) => a.width - b.width);
      const a = li.querySelector("a.frame");
      const img = a.querySelector("img");
      if (r.length) {
        a.href = a.dataset.full = r[r.length - 1].url;
        img.src = r[0].url;
        img.width = r[0].width;
        img.height = r[0].height;
        img.srcset = r.map((x) => `${x.url} ${x.width}w`).join(", ");
      }
      const status = li.querySelector(".status");
      status.classList.add(`status-${photo.status}`);
      status.textContent = tpl.dataset[photo.status] || "";
      li.querySelector(".tile-actions a").href = `${tpl.dataset.delete}${photo.id}/delete`;
      if (old) { old.replaceWith(li); return; }
      mine.prepend(li);
      if (fresh && shared) {
        const n = Number(shared.dataset.shared) + 1;
        shared.dataset.shared = String(n);
        shared.textContent = shared.dataset.sharedText.replace("{n}", String(n));
      }
    });
  }
}

// ---- Sharing the guest link (host-setup) ----
// The plain link works without this; the buttons show only where the browser can do them:
// copying to the clipboard, and the phone's share sheet (navigator.share).
for (const box of document.querySelectorAll("[data-share-url]")) {
  const url = box.dataset.shareUrl;
  const status = box.querySelector(".share-status");
  const copy = box.querySelector("[data-copy-link]");
  const share = box.querySelector("[data-share-link]");
  if (copy && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(url);
        if (status) status.textContent = box.dataset.copied || "";
      } catch (_) {
        // Refused (no permission): the link above can still be selected and copied by hand.
      }
    });
  }
  if (share && typeof navigator.share === "function") {
    share.hidden = false;
    share.addEventListener("click", async () => {
      try {
        await navigator.share({ title: box.dataset.shareTitle || document.title, url });
      } catch (_) {
        // The host closed the share sheet: nothing to do.
      }
    });
  }
}
