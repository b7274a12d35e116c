// Live pages: one connection to the event feed (docs/LIVE.md, "Clients"), then what each
// page does with its messages. Pages work without this file; it only moves them by itself.
//
// The page names its feed on one element: data-live (the socket, relative), data-feed (the
// same messages over plain HTTP) and data-feed-seq (the sequence number the page was rendered
// at). Each message is dispatched on document as `live:<type>` with the message as detail; the
// connection's state as `live-state` ({state: "live" | "reconnecting" | "offline", polling}).

const root = document.querySelector("[data-live]");
if (root) connect(root);

function connect(root) {
  const socketPath = root.dataset.live;
  const feedPath = root.dataset.feed || "";
  const rendered = Number.parseInt(root.dataset.feedSeq ?? "", 10);
  let seq = Number.isFinite(rendered) ? rendered : null;
  let ws = null;
  let opened = false;
  let failures = 0; // sockets in a row that did not open
  let attempt = 0; // reconnections since the last good contact (for the backoff)
  let heard = Date.now();
  let lastGood = Date.now();
  let polling = false;
  let pollTimer = 0;
  let retryTimer = 0;
  let stopped = false;
  let state = "";
  const OPEN_FAILURES = 3;
  const SILENCE = 45000;

  const statuses = [...document.querySelectorAll("[data-live-status]")];
  function setState(next) {
    if (!navigator.onLine || (next === "reconnecting" && Date.now() - lastGood > 60000)) next = "offline";
    // How the messages come (for the curious and the tests): a socket or polling.
    document.documentElement.dataset.liveVia = polling ? "poll" : "socket";
    if (next === state) return;
    state = next;
    document.documentElement.dataset.live = next;
    for (const el of statuses) {
      el.hidden = false;
      el.classList.remove("is-live", "is-reconnecting", "is-offline");
      el.classList.add(`is-${next}`);
      const key = `liveText${next[0].toUpperCase()}${next.slice(1)}`;
      if (key in el.dataset) el.textContent = el.dataset[key];
    }
    document.dispatchEvent(new CustomEvent("live-state", { detail: { state: next, polling } }));
  }

  const url = (path, scheme) => {
    const u = new URL(path, location.href);
    if (scheme) u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (seq !== null) u.searchParams.set("since", String(seq));
    return u.toString();
  };

  function deliver(m) {
    if (!m || typeof m.type !== "string") return;
    if (m.type === "reload") { location.reload(); stopped = true; return; }
    // A page without a rendered seq starts from now (a page ahead of the feed gets "reload").
    if (m.type === "hello" && seq === null && Number.isFinite(m.head)) seq = m.head;
    if (typeof m.seq === "number") {
      if (seq !== null && m.seq <= seq) return; // had it already
      seq = m.seq;
    }
    document.dispatchEvent(new CustomEvent(`live:${m.type}`, { detail: m }));
  }

  // Backoff: 1 s doubling to 30 s, each wait somewhere between half and all of it.
  function later(fn) {
    clearTimeout(retryTimer);
    const cap = Math.min(30000, 1000 * 2 ** Math.min(attempt, 5));
    attempt++;
    retryTimer = setTimeout(fn, cap / 2 + Math.random() * cap / 2);
  }

  function drop() {
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(); } catch { /* already closed */ }
    ws = null;
  }

  function open() {
    if (stopped) return;
    clearTimeout(retryTimer);
    drop();
    opened = false;
    let socket;
    try { socket = new WebSocket(url(socketPath, true)); } catch { closed({ code: 1006 }); return; }
    ws = socket;
    // A socket that neither opens nor closes (a proxy that holds it, a policy that kills it
    // without a word: readyState CLOSED at once) counts as one that did not open.
    const stuck = () => { if (ws === socket && !opened) { drop(); closed({ code: 1006 }); } };
    const openTimer = setTimeout(stuck, socket.readyState === 3 ? 0 : 10000);
    socket.onopen = () => {
      clearTimeout(openTimer);
      opened = true;
      failures = 0;
      attempt = 0;
      heard = lastGood = Date.now();
      stopPolling();
      setState("live");
    };
    socket.onmessage = (e) => {
      heard = lastGood = Date.now();
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      deliver(m);
    };
    socket.onclose = (e) => { clearTimeout(openTimer); if (ws === socket) { ws = null; closed(e); } };
  }

  function closed(e) {
    if (stopped) return;
    // 4003: this viewer may not watch any more (blocked, removed, revoked). Stop.
    if (e.code === 4003) {
      stopped = true;
      stopPolling();
      setState("offline");
      document.dispatchEvent(new CustomEvent("live-state", { detail: { state: "offline", refused: true } }));
      return;
    }
    if (!opened) failures++;
    if (!opened && failures >= OPEN_FAILURES && feedPath) {
      // Some proxies block WebSockets: the same feed over HTTP, and a socket now and then.
      startPolling();
      clearTimeout(retryTimer);
      retryTimer = setTimeout(open, 120000 + Math.random() * 60000);
      return;
    }
    setState("reconnecting");
    // Too slow (4008) or going away (1001): straight back, to this or another instance.
    if (e.code === 4008 || e.code === 1001) attempt = 0;
    later(open);
  }

  function stopPolling() {
    polling = false;
    clearTimeout(pollTimer);
  }

  function startPolling() {
    if (polling) return;
    polling = true;
    attempt = 0;
    poll();
  }

  async function poll() {
    if (!polling || stopped) return;
    clearTimeout(pollTimer);
    let res = null;
    try {
      res = await fetch(url(feedPath, false), { headers: { accept: "application/json" }, cache: "no-store" });
    } catch { /* network */ }
    if (!polling) return;
    if (res && (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 410)) {
      closed({ code: 4003 });
      return;
    }
    if (!res || !res.ok) {
      setState("reconnecting");
      const cap = Math.min(30000, 3000 * 2 ** Math.min(attempt++, 4));
      pollTimer = setTimeout(poll, cap / 2 + Math.random() * cap / 2);
      return;
    }
    let body;
    try { body = await res.json(); } catch { body = {}; }
    attempt = 0;
    heard = lastGood = Date.now();
    setState("live");
    if (body.reload) { location.reload(); stopped = true; return; }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    for (const m of messages) deliver(m);
    // head: how far this answer read the feed (past messages that were not for us).
    if (Number.isFinite(body.head) && (seq === null || body.head > seq)) seq = body.head;
    pollTimer = setTimeout(poll, body.more || messages.length >= 200 ? 0 : 3000);
  }

  // Heartbeat: the server says something at least every 20 s; silence for 45 s, or a laptop
  // that slept (the timer itself came late while the page was in view; a hidden tab's timers
  // are slowed on purpose), means the socket is dead even if it looks open.
  let beat = Date.now();
  const check = () => {
    const now = Date.now();
    const slept = now - beat > 15000 && !document.hidden;
    beat = now;
    if (stopped) return;
    if (ws && opened && (now - heard > SILENCE || slept)) {
      drop();
      setState("reconnecting");
      attempt = 0;
      later(open);
    } else if (polling && slept) {
      poll();
    }
    if (state === "reconnecting") setState("reconnecting"); // turns to offline after a minute
  };
  setInterval(check, 5000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { beat = Date.now(); check(); } });

  window.addEventListener("offline", () => setState("offline"));
  window.addEventListener("online", () => {
    if (stopped) return;
    attempt = 0;
    if (polling) poll(); else if (!ws || !opened) open();
  });

    // A page's message to the server (a wall's "showing"): sent when the socket is open; the
  // sender learns whether it was (detail.sent) and uses its HTTP fallback otherwise.
  document.addEventListener("live-send", (e) => {
    if (!ws || !opened || ws.readyState !== 1 || !e.detail) return;
    try { ws.send(JSON.stringify(e.detail.message)); e.detail.sent = true; } catch { /* closing */ }
  });

  open();
}

// ===== What the pages do with the messages =====================================================

const on = (type, fn) => document.addEventListener(`live:${type}`, (e) => fn(e.detail));
const tileOf = (id) => (typeof id === "string" && /^[\w-]+$/.test(id) ? document.getElementById(`photo-${id}`) : null);
const edgeWidth = (p, edge) => (p.width >= p.height ? edge : Math.max(1, Math.round((edge * p.width) / p.height)));
const edgeHeight = (p, edge) => (p.height >= p.width ? edge : Math.max(1, Math.round((edge * p.height) / p.width)));

// Counts on a tile and in the lightbox: photo.reactions carries every kind's count.
on("photo.reactions", (m) => {
  const tile = tileOf(m.id);
  if (!tile || !m.counts) return;
  const link = tile.querySelector("a[data-reactions], a[data-full]");
  if (link && link.closest("[data-photos]")) {
    const mine = new Set((link.dataset.reactions || "").split(" ").filter((s) => s.endsWith(":1")).map((s) => s.split(":")[0]));
    const kinds = new Set([...Object.keys(m.counts), ...mine]);
    link.dataset.reactions = [...kinds].map((k) => `${k}:${Number(m.counts[k]) || 0}:${mine.has(k) ? 1 : 0}`).join(" ");
    const box = document.querySelector("dialog[data-lightbox]");
    const form = box && box.open && box.querySelector("form[data-react]");
    if (form && form.action.includes(`/photos/${m.id}/react`)) {
      for (const b of form.querySelectorAll("button[value]")) {
        const n = Number(m.counts[b.value]) || 0;
        b.querySelector(".count").textContent = n > 0 ? String(n) : "";
      }
    }
  }
  for (const b of tile.querySelectorAll("form[data-react] button[value]")) {
    const n = Number(m.counts[b.value]) || 0;
    b.querySelector(".count").textContent = n > 0 ? String(n) : "";
  }
});

// ---- Guests' gallery: new photos at the top, a pill when scrolled away ------------------------
{
  const grid = document.querySelector("[data-gallery][data-photos]");
  const tpl = document.querySelector("template[data-gallery-tile]");
  const pill = document.querySelector("[data-new-photos]");
  if (grid && tpl) {
    const when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { hour: "numeric", minute: "2-digit" });
    let unseen = 0;
    const away = () => grid.getBoundingClientRect().top < -200;
    const showPill = () => {
      if (!pill) return;
      pill.hidden = unseen === 0;
      const text = unseen === 1 ? pill.dataset.one : pill.dataset.many;
      pill.textContent = (text || "").replace("{n}", String(unseen));
    };
    pill?.addEventListener("click", () => {
      unseen = 0;
      showPill();
      grid.scrollIntoView({ behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth", block: "start" });
    });
    window.addEventListener("scroll", () => { if (unseen && !away()) { unseen = 0; showPill(); } }, { passive: true });

    const fill = (li, p) => {
      const a = li.querySelector("a.frame");
      const img = a.querySelector("img");
      a.href = `${grid.dataset.photos}${p.id}/view`;
      a.dataset.full = p.large || p.src || p.thumb;
      const at = Date.parse(p.published_at);
      a.dataset.caption = [p.caption, p.uploader, Number.isFinite(at) ? when.format(at) : ""].filter(Boolean).join(" · ");
      img.src = p.thumb || p.src;
      img.width = edgeWidth(p, 150);
      img.height = edgeHeight(p, 150);
      const set = [];
      if (p.thumb) set.push(`${p.thumb} ${edgeWidth(p, 150)}w`);
      if (p.src) set.push(`${p.src} ${edgeWidth(p, 800)}w`);
      img.srcset = set.join(", ");
      img.alt = (tpl.dataset.alt || "").replace("{name}", p.uploader || "");
    };

    on("photo.published", (m) => {
      const p = m.photo;
      if (!p || typeof p.id !== "string" || tileOf(p.id)) return;
      const li = tpl.content.firstElementChild.cloneNode(true);
      li.id = `photo-${p.id}`;
      fill(li, p);
      grid.prepend(li);
      grid.hidden = false;
      document.querySelector("[data-gallery-empty]")?.remove();
      if (away()) { unseen++; showPill(); }
    });
    on("photo.updated", (m) => {
      const p = m.photo;
      const li = p && tileOf(p.id);
      if (li && grid.contains(li)) fill(li, p);
    });
  }
}

// ---- Guest page: "your photo is on the big screen" ------------------------------------------------
// Only the photo's own guest (and members, whose pages have no note) hear photo.on_wall. The
// note shows at once; the badge goes on the photo's tile in My photos, now or when the upload
// queue adds that tile (a wall may show a photo before its uploader's page has taken it in).
{
  const note = document.querySelector("[data-on-wall-note]");
  const mine = document.querySelector("[data-mine]");
  if (note && mine) {
    let hide = 0;
    const shown = new Set();
    const badge = (li) => {
      const meta = li.querySelector(".photo-meta");
      if (!meta || meta.querySelector("[data-on-wall-badge]")) return;
      const b = document.createElement("span");
      b.className = "on-wall-badge";
      b.dataset.onWallBadge = "";
      b.textContent = note.dataset.badge || "";
      meta.append(" ", b);
    };
    const mark = () => {
      for (const li of mine.children) if (shown.has(li.id)) badge(li);
    };
    new MutationObserver(mark).observe(mine, { childList: true });
    on("photo.on_wall", (m) => {
      if (typeof m.id !== "string") return;
      shown.add(`photo-${m.id}`);
      mark();
      note.hidden = false;
      clearTimeout(hide);
      hide = setTimeout(() => { note.hidden = true; }, 15000);
    });
  }
}

// A photo that left (hidden, deleted) leaves the guests' gallery.
on("photo.removed", (m) => {
  const tile = tileOf(m.id);
  if (tile && tile.closest("[data-gallery][data-photos]")) tile.remove();
});

// ---- Guest page: "My photos" follows each photo's status ----------------------------------------
{
  const mine = document.querySelector("[data-mine]");
  const tpl = document.querySelector("template[data-mine-tile]");
  if (mine && tpl) {
    on("photo.status", async (m) => {
      const li = tileOf(m.id);
      if (!li || !mine.contains(li) || typeof m.status !== "string") return;
      if (li.querySelector(".photo-empty") && (m.status === "published" || m.status === "pending_review")) {
        // Ready: its renditions, through the same path as an upload that just finished.
        const res = await fetch(`${tpl.dataset.delete}${m.id}`, { headers: { accept: "application/json" } }).catch(() => null);
        if (res && res.ok) {
          const photo = await res.json().catch(() => null);
          if (photo) { document.dispatchEvent(new CustomEvent("photo-done", { detail: { photo, fresh: false } })); return; }
        }
      }
      for (const c of [...li.classList]) if (c.startsWith("photo-") && c !== "photo-tile") li.classList.remove(c);
      li.classList.add(`photo-${m.status}`);
      const status = li.querySelector(".status");
      if (status) {
        status.className = `status status-${m.status}`;
        status.textContent = tpl.dataset[m.status] || status.textContent;
      }
    });
  }
}

// The uploader's queue says where each photo it sent is now (approved, rejected, …).
on("photo.status", (m) => {
  const form = document.querySelector("form[data-uploader]");
  if (!form || typeof m.id !== "string") return;
  for (const li of form.querySelectorAll(".upload-item[data-photo]")) {
    if (li.dataset.photo !== m.id || li.dataset.state === "failed") continue;
    const words = JSON.parse(form.dataset.messages || "{}")[m.status];
    const state = li.querySelector(".upload-state");
    if (words && state) { state.textContent = words; li.dataset.state = m.status; }
  }
});

// ---- Members: the event page's figures and who is watching ------------------------------------
{
  const stats = document.querySelector("[data-live-figures]");
  if (stats) {
    const set = (name, n) => {
      if (!Number.isFinite(n)) return;
      for (const el of document.querySelectorAll(`[data-stat="${name}"] dd`)) el.textContent = String(n);
    };
    // The chart and the rest of the card: read again, at most every 10 s, when something moved.
    let timer = 0;
    let last = 0;
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(async () => {
        timer = 0;
        last = Date.now();
        const res = await fetch(location.href, { headers: { accept: "text/html" } }).catch(() => null);
        if (!res || !res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.getElementById(stats.id);
        if (fresh) stats.replaceChildren(...fresh.childNodes);
      }, Math.max(1000, 10000 - (Date.now() - last)));
    };
    on("figures", (m) => { set("photos", m.photos); set("contributors", m.contributors); refresh(); });
    on("queue", (m) => { set("pending", m.pending); refresh(); });
  }
  const presence = document.querySelector("[data-presence]");
  if (presence) {
    on("presence", (m) => {
      const n = (k) => String(Number(m[k]) || 0);
      presence.textContent = (presence.dataset.text || "").replace("{phones}", n("phones")).replace("{members}", n("members")).replace("{walls}", n("walls"));
      presence.hidden = false;
    });
  }
}

// ---- Members: the photos page and the moderation queue take in new items ----------------------
// Their tiles carry forms and menus, so new ones come from the page itself (read again, as the
// pager does): new tiles go in at the top with a count, a tile whose status changed is swapped
// for its new self, one that left goes. data-live-merge="all": the grid is the whole list (the
// queue), so a tile the page no longer has goes too. Without a grid (nothing there yet) the
// count is a link that reloads the page.
{
  const counter = document.querySelector("[data-live-new]");
  if (counter) {
    const grid = document.querySelector("[data-live-merge]");
    const whole = grid && grid.dataset.liveMerge === "all";
    const gone = new Set();
    let arrived = 0;
    let timer = 0;
    let busy = false;
    const count = (n) => {
      arrived += n;
      if (!arrived) return;
      counter.textContent = (arrived === 1 ? counter.dataset.one : counter.dataset.many || "").replace("{n}", String(arrived));
      counter.hidden = false;
    };
    const merge = async () => {
      timer = 0;
      if (busy) { soon(); return; }
      busy = true;
      const res = await fetch(location.href, { headers: { accept: "text/html" } }).catch(() => null);
      const doc = res && res.ok ? new DOMParser().parseFromString(await res.text(), "text/html") : null;
      busy = false;
      const fresh = doc && doc.querySelector("[data-live-merge]");
      if (!fresh) return;
      const ids = new Set([...fresh.children].map((li) => li.id));
      const added = [];
      for (const li of [...fresh.children].reverse()) {
        if (!li.id) continue;
        const old = document.getElementById(li.id);
        if (!old) { grid.prepend(document.adoptNode(li)); added.push(li); }
        else if (old.className !== li.className && !old.contains(document.activeElement)) old.replaceWith(document.adoptNode(li));
      }
      for (const li of [...grid.children]) {
        if (li.id && !ids.has(li.id) && (whole || gone.has(li.id.slice("photo-".length)))) li.remove();
      }
      gone.clear();
      count(added.length);
    };
    const soon = () => { if (!timer) timer = setTimeout(merge, 700); };
    const queue = counter.dataset.liveNew === "queue";
    let pending = Number(counter.dataset.pending);
    if (queue) {
      on("queue", (m) => {
        const n = Number(m.pending);
        if (!Number.isFinite(n)) return;
        if (grid) soon(); else if (n > pending) count(n - pending);
        pending = n;
      });
    } else {
      const photo = (id) => {
        if (grid) soon(); else if (!gone.has(id)) { gone.add(id); count(1); }
      };
      on("photo.published", (m) => { if (m.photo && !tileOf(m.photo.id)) photo(m.photo.id); });
      on("photo.status", (m) => { if (!tileOf(m.id)) photo(m.id); else if (grid) soon(); });
      on("photo.updated", () => { if (grid) soon(); });
      on("photo.removed", (m) => { if (grid && tileOf(m.id)) { gone.add(m.id); soon(); } });
    }
    counter.addEventListener("click", (e) => {
      if (!grid) return; // the link reloads the page
      e.preventDefault();
      arrived = 0;
      counter.hidden = true;
      grid.scrollIntoView({ block: "start" });
    });
  }
}

// ---- Moderation: the tab title says how many photos wait ----------------------------------------
{
  const page = document.querySelector("[data-live-title]");
  if (page) {
    const base = document.title.replace(/^\(\d+\) /, "");
    const show = (n) => { document.title = n > 0 ? `(${n}) ${base}` : base; };
    show(Number(page.dataset.liveTitle) || 0);
    on("queue", (m) => {
      const n = Number(m.pending) || 0;
      show(n);
      for (const el of document.querySelectorAll("[data-live-pending]")) el.textContent = el.textContent.replace(/\(\d+\)/, `(${n})`);
    });
  }
}
