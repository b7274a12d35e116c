// The projector wall (templates/wall.html): the event's photos full screen, all night. New
// photos (photo.published) jump the queue once their hold delay has passed, then the wall
// cycles through everything; a removed or skipped photo leaves the screen at once; "Blank all
// screens" puts up a neutral screen. The connection is static/live.js's (live:* events).
//
// Flat memory: at most MAX photos are kept (the newest), the page's <img> elements are reused
// (two layers for one photo at a time, two per mosaic cell) and the DOM never grows.

const wall = document.querySelector("[data-wall]");
if (wall) run(wall);

function run(wall) {
  document.documentElement.dataset.wallJs = "on";
  const MAX = 500;
  const HOLD = Math.max(0, Number(wall.dataset.hold) || 0) * 1000;
  const SLIDE = Math.max(3, Number(wall.dataset.slide) || 8) * 1000;
  const FADE = 1200;
  const mosaic = wall.classList.contains("is-mosaic");
  const STEP = mosaic ? Math.max(2000, SLIDE / 2) : SLIDE; // one mosaic cell changes per step

  const byId = new Map(); // every photo we hold: the cycle and the arrivals
  const pool = []; // the cycle, newest first
  const fresh = []; // arrivals waiting for their turn: {id, at}
  const gone = new Set(); // removed or skipped: never again (bounded)
  const shown = []; // the last photos shown, for ← (bounded)
  let cursor = -1;
  let skew = 0; // the server's clock minus ours (from the Date header)
  let current = null; // single layout: the photo on screen
  let currentFresh = false;
  let shownAt = 0;
  let paused = false;
  let blank = wall.classList.contains("is-blank");
  let timer = 0;
  let loading = 0; // the single layout's load in flight (a newer one supersedes it)
  let inFlight = false;

  const pausedNote = document.querySelector("[data-paused]");
  const layers = [...document.querySelectorAll("[data-single] .slide")].map((el) => ({
    el, img: el.querySelector("img"),
    text: el.querySelector(".wall-caption-text"), who: el.querySelector(".wall-caption-who"),
  }));
  let front = 0;
    const grid = document.querySelector("[data-mosaic]");
  const allCells = [...document.querySelectorAll("[data-mosaic] .cell")].map((el) => ({
    el, imgs: [...el.querySelectorAll("img")], cap: el.querySelector("figcaption"), front: 0, id: null, changed: 0,
  }));
  // The mosaic uses as many cells as it has photos for (1, 2, 4, 6, 9 or 12), so a wall with
  // few photos has no dark cells; it grows as photos arrive and shrinks when they leave.
  let cells = allCells.slice(0, 1);

  const now = () => Date.now();
  const eligibleAt = (p) => {
    const published = Date.parse(p.published_at);
    const age = Number.isFinite(published) ? now() + skew - published : 0;
    return now() + Math.max(0, HOLD - Math.max(0, age));
  };
  const onScreen = (id) => (mosaic ? cells.some((c) => c.id === id || c.next === id) : current === id);
  const waiting = () => wall.classList.toggle("is-waiting", !pool.length && !fresh.length && !current && !cells.some((c) => c.id));

    function clearCell(c) {
    for (const img of c.imgs) { img.classList.add("is-cut"); img.classList.remove("is-shown"); }
    c.cap.textContent = "";
    c.id = null;
    delete c.el.dataset.photo;
  }

  function fit() {
    if (!mosaic || !grid) return;
    const n = Math.min(allCells.length, pool.length + fresh.length);
    const k = [12, 9, 6, 4, 2, 1].find((size) => size <= Math.max(1, n) && size <= allCells.length) || 1;
    if (k === cells.length) return;
    grid.dataset.cells = String(k);
    allCells.forEach((c, i) => {
      c.el.hidden = i >= k;
      if (i >= k && c.id) clearCell(c);
    });
    cells = allCells.slice(0, k);
  }

  // ---- What the wall holds ---------------------------------------------------------------------
  function trim() {
    while (pool.length > MAX) {
      const i = pool.findLastIndex((p) => !onScreen(p.id));
      const [old] = pool.splice(i < 0 ? pool.length - 1 : i, 1);
      byId.delete(old.id);
      if (cursor >= pool.length) cursor = pool.length - 1;
    }
    while (fresh.length > MAX) byId.delete(fresh.shift().id);
  }

  function add(p, arriving) {
    if (!p || typeof p.id !== "string" || gone.has(p.id)) return;
    const known = byId.get(p.id);
    if (known) { Object.assign(known, p); return; }
    byId.set(p.id, p);
    const at = eligibleAt(p);
        if (arriving || at > now()) fresh.push({ id: p.id, at });
    else pool.push(p);
    trim();
    fit();
  }

  function forget(id) {
    if (typeof id !== "string") return;
    gone.add(id);
    if (gone.size > 2000) gone.delete(gone.values().next().value);
    byId.delete(id);
    const i = pool.findIndex((p) => p.id === id);
    if (i >= 0) { pool.splice(i, 1); if (cursor >= i) cursor--; }
    const j = fresh.findIndex((f) => f.id === id);
    if (j >= 0) fresh.splice(j, 1);
    // Off the screen now: no fade.
    if (!mosaic && current === id) {
      const layer = layers[front];
      layer.el.classList.add("is-cut");
      layer.el.classList.remove("is-shown");
      delete layer.el.dataset.photo;
      current = null;
      loading++;
      inFlight = false;
      if (!blank) advance();
    }
        fit();
    for (const c of cells) {
      if (c.id !== id) continue;
      clearCell(c);
      if (!blank) change(c);
    }
    waiting();
  }

  // The next photo: an arrival whose hold has passed, else the next in the cycle (in the
  // mosaic, one not on screen already).
  function pick() {
    const t = now();
    const i = fresh.findIndex((f) => f.at <= t);
    if (i >= 0) {
      const [f] = fresh.splice(i, 1);
      const p = byId.get(f.id);
      if (p) {
        pool.unshift(p);
        cursor++;
        trim();
        return { p, arriving: true };
      }
    }
    for (let k = 0; k < pool.length; k++) {
      cursor = (cursor + 1) % pool.length;
      const p = pool[cursor];
      if (!mosaic || !onScreen(p.id)) return { p, arriving: false };
    }
    return null;
  }

  // ---- Showing ---------------------------------------------------------------------------------
  // Loads an image into a hidden element and resolves once it can be shown (decoded).
  function load(img, url) {
    return new Promise((resolve) => {
      if (!url) { resolve(false); return; }
      let timeout = 0;
      const done = (ok) => { clearTimeout(timeout); img.onload = img.onerror = null; resolve(ok); };
      timeout = setTimeout(() => done(false), 20000);
      img.onload = () => { (img.decode ? img.decode() : Promise.resolve()).catch(() => {}).then(() => done(true)); };
      img.onerror = () => done(false);
      if (img.getAttribute("src") === url && img.complete && img.naturalWidth) { done(true); return; }
      img.src = url;
    });
  }

  // An image that would not load: its URL may have expired (the list brings new ones).
  function broken(p) {
    p.fails = (p.fails || 0) + 1;
    if (p.fails >= 3) forget(p.id);
    refreshSoon();
  }

  function panZoom(img) {
    const r = () => (Math.random() * 2 - 1).toFixed(3);
    const inward = Math.random() < 0.5;
    img.style.setProperty("--wall-duration", `${SLIDE + FADE * 2}ms`);
    img.style.setProperty("--wall-zoom-from", inward ? "1" : "1.06");
    img.style.setProperty("--wall-zoom-to", inward ? "1.06" : "1");
    img.style.setProperty("--wall-dx", `${r() * 1.5}%`);
    img.style.setProperty("--wall-dy", `${r() * 1.5}%`);
  }

  async function showSingle(p, arriving) {
    const token = ++loading;
    const back = layers[1 - front];
    back.el.classList.remove("is-shown", "is-cut");
    inFlight = true;
    const ok = await load(back.img, p.large || p.src || p.thumb);
    if (token !== loading) return;
    inFlight = false;
    if (blank) return;
    if (!ok || gone.has(p.id)) {
      if (!ok) broken(p);
      clearTimeout(timer);
      timer = setTimeout(advance, ok ? 0 : 1000);
      return;
    }
    back.text.textContent = p.caption || "";
    back.who.textContent = p.uploader || "";
    back.img.alt = p.caption || "";
    panZoom(back.img);
    back.el.classList.add("is-shown");
    back.el.dataset.photo = p.id;
    layers[front].el.classList.remove("is-shown");
    front = 1 - front;
    current = p.id;
    currentFresh = arriving;
    shownAt = now();
    remember(p.id);
    waiting();
    schedule();
  }

  // One mosaic cell: the given one, else an empty one, else the one changed longest ago.
  async function change(cell) {
    const c = cell || cells.find((x) => !x.id && !x.busy) || cells.filter((x) => !x.busy).sort((a, b) => a.changed - b.changed)[0];
    if (!c) return;
    const next = pick();
    if (!next) return;
    c.busy = true;
    c.next = next.p.id;
    c.changed = now();
    const img = c.imgs[1 - c.front];
    img.classList.remove("is-shown", "is-cut");
    const ok = await load(img, next.p.src || next.p.large || next.p.thumb);
    c.busy = false;
    c.next = null;
    if (!ok || gone.has(next.p.id) || blank) { if (!ok) broken(next.p); return; }
    img.classList.add("is-shown");
    c.imgs[c.front].classList.remove("is-shown");
    c.front = 1 - c.front;
    c.id = next.p.id;
    c.el.dataset.photo = c.id;
    c.cap.textContent = [next.p.caption, next.p.uploader].filter(Boolean).join(" · ");
    if (next.arriving) { currentFresh = true; shownAt = now(); }
    remember(next.p.id);
    waiting();
  }

    // The server hears which photo is on screen: the first time a photo shows on any wall, its
  // guest is told. Over the socket, else (polling) as a small POST; once per photo per page.
  const reported = new Set();
  function report(id) {
    if (reported.has(id)) return;
    reported.add(id);
    if (reported.size > 5000) reported.delete(reported.values().next().value);
    const detail = { message: { type: "showing", photo: id }, sent: false };
    document.dispatchEvent(new CustomEvent("live-send", { detail }));
    if (!detail.sent && wall.dataset.showing) {
      fetch(wall.dataset.showing, { method: "POST", body: new URLSearchParams({ photo: id }) }).catch(() => {});
    }
  }

  function remember(id) {
    report(id);
    if (shown[shown.length - 1] !== id) shown.push(id);
    if (shown.length > 50) shown.shift();
  }

  function advance() {
    clearTimeout(timer);
    timer = 0;
    if (blank) return;
    if (mosaic) {
      const empty = cells.filter((c) => !c.id && !c.busy);
      const n = Math.max(1, Math.min(empty.length, pool.length + fresh.length));
      for (let k = 0; k < n; k++) change(empty[k]);
      shownAt = now();
      currentFresh = false;
      schedule();
      return;
    }
    const next = pick();
    if (next) showSingle(next.p, next.arriving);
    else { waiting(); schedule(); }
  }

  function back() {
    if (mosaic || shown.length < 2) return;
    shown.pop();
    const p = byId.get(shown.pop());
    if (p) showSingle(p, false);
  }

  // When to move on: at the end of this photo's time, or sooner for an arrival (once the one on
  // screen has had a second; an arrival on screen keeps its full time).
  function schedule() {
    clearTimeout(timer);
    timer = 0;
    if (paused || blank || (!mosaic && inFlight)) return;
    const t = now();
    const arrival = fresh.reduce((m, f) => Math.min(m, f.at), Infinity);
    // Room on the screen and a photo for it: now; else as soon as an arrival may show.
    const room = mosaic ? cells.some((c) => !c.id && !c.busy) : !current;
    const spare = mosaic ? pool.some((p) => !onScreen(p.id)) : pool.length > 0;
    let due;
    if (room) due = spare ? t : arrival;
    else {
      due = shownAt + STEP;
      if (arrival < due && !currentFresh) due = Math.max(arrival, shownAt + 1000);
    }
    if (!Number.isFinite(due)) return; // nothing to show until something arrives
    timer = setTimeout(advance, Math.max(0, due - t));
  }

  // ---- Controls: the feed's and the keyboard's ---------------------------------------------------
  function setBlank(on) {
    on = Boolean(on);
    if (on === blank) return;
    blank = on;
    wall.classList.toggle("is-blank", on);
    if (on) { clearTimeout(timer); loading++; inFlight = false; } else advance();
  }

  function setPaused(on) {
    paused = on;
    wall.classList.toggle("is-paused", on);
    if (pausedNote) pausedNote.hidden = !on;
    if (!on) { shownAt = Math.min(shownAt, now() - STEP + 1500); }
    schedule();
  }

  const on = (type, fn) => document.addEventListener(`live:${type}`, (e) => fn(e.detail));
  on("hello", (m) => setBlank(m.blank));
  on("wall.blank", (m) => setBlank(m.on));
  on("photo.published", (m) => {
    // Messages come in order: a photo let back on the walls after a skip comes back.
    if (m.photo) gone.delete(m.photo.id);
    add(m.photo, true);
    schedule();
  });
  on("photo.updated", (m) => {
    const p = m.photo && byId.get(m.photo.id);
    if (!p) return;
    Object.assign(p, m.photo);
    if (!mosaic && current === p.id) {
      layers[front].text.textContent = p.caption || "";
      layers[front].who.textContent = p.uploader || "";
    }
    const c = cells.find((x) => x.id === p.id);
    if (c) c.cap.textContent = [p.caption, p.uploader].filter(Boolean).join(" · ");
  });
  on("photo.removed", (m) => forget(m.id));
  on("wall.skip", (m) => forget(m.id));
  // A revoked link: the page itself now says so.
  document.addEventListener("live-state", (e) => { if (e.detail.refused) setTimeout(() => location.reload(), 1500); });

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "f" || e.key === "F") {
      e.preventDefault();
      if (document.fullscreenElement) document.exitFullscreen?.().catch(() => {});
      else document.documentElement.requestFullscreen?.().catch(() => {});
    } else if (e.key === " ") {
      e.preventDefault();
      setPaused(!paused);
    } else if (e.key === "ArrowRight") {
      e.preventDefault();
      currentFresh = false;
      advance();
    } else if (e.key === "ArrowLeft") {
      e.preventDefault();
      back();
    }
  });

  // The pointer hides when it rests.
  let idle = 0;
  const stir = () => { wall.classList.remove("is-idle"); clearTimeout(idle); idle = setTimeout(() => wall.classList.add("is-idle"), 3000); };
  document.addEventListener("pointermove", stir, { passive: true });
  stir();

  // ---- The event's photos, and new URLs for them now and then --------------------------------------
  let refreshTimer = 0;
  let lastRefresh = 0;
  let listTries = 0;
  async function loadList() {
    clearTimeout(refreshTimer);
    lastRefresh = now();
    const res = await fetch(wall.dataset.photos, { headers: { accept: "application/json" }, cache: "no-store" }).catch(() => null);
    if (!res || !res.ok) {
      refreshTimer = setTimeout(loadList, Math.min(60000, 2000 * 2 ** Math.min(listTries++, 5)));
      return;
    }
    listTries = 0;
    const date = Date.parse(res.headers.get("date") || "");
    // The header drops the milliseconds: the server is up to a second later than that, so a
    // hold lasts at worst a second longer, never shorter.
    if (Number.isFinite(date)) skew = date - now();
    const body = await res.json().catch(() => ({}));
    for (const p of Array.isArray(body.photos) ? body.photos : []) add(p, false);
    waiting();
    if (!current && !cells.some((c) => c.id)) advance(); else schedule();
    refreshTimer = setTimeout(loadList, 45 * 60 * 1000);
  }
  function refreshSoon() {
    if (now() - lastRefresh < 60000) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(loadList, 1000);
  }
  // A laptop that slept: whatever it missed, the feed brings; the URLs may be old by now.
  document.addEventListener("visibilitychange", () => { if (!document.hidden && now() - lastRefresh > 30 * 60 * 1000) loadList(); });

  waiting();
  loadList();
}
