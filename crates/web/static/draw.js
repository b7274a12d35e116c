// The lucky draw's big screen (templates/draw_show.html), and the small live parts of the
// remote and the guest page. The server decides every winner before any screen shows it: the
// animation here only spins names and photos and then lands on the winner in the state the
// server sent (state.json). A screen that reconnects reads the state again and shows it at
// once, without spinning. The connection is static/live.js's (live:* events).

const screen = document.querySelector("[data-draw-show]");
if (screen) runScreen(screen);
const remote = document.querySelector("[data-draw-remote]");
if (remote) runRemote(remote);
const guest = document.querySelector("[data-guest-draws], [data-draw-won]");
if (guest) runGuest();

function messages() {
  const out = {};
  const tpl = document.getElementById("draw-messages");
  if (tpl) for (const el of tpl.content.querySelectorAll("[data-k]")) out[el.dataset.k] = el.textContent;
  return out;
}

async function fetchState(url) {
  const r = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
  if (!r.ok) throw new Error(`state ${r.status}`);
  return r.json();
}

function runScreen(root) {
  document.documentElement.dataset.drawJs = "on";
  const t = messages();
  const draw = root.dataset.draw;
  const url = root.dataset.stateUrl;
  const $ = (sel) => root.querySelector(sel);
  const status = $("[data-status]");
  const reel = $("[data-reel]");
  const reelName = $("[data-reel-name]");
  const reelThumb = $("[data-reel-thumb]");
  const winner = $("[data-winner]");
  const winnerPrize = $("[data-winner-prize]");
  const winnerName = $("[data-winner-name]");
  const winnerPhoto = $("[data-winner-photo]");
  const winnerNote = $("[data-winner-note]");
  const prizes = $("[data-prizes]");
  const winners = $("[data-winners]");
  const proof = $("[data-proof]");
  const phrase = $("[data-phrase]");
  const canvas = $("[data-confetti]");
  let state = null;
  try { state = JSON.parse(document.getElementById("draw-state").textContent); } catch { state = null; }
  let shownSeq = state && state.current ? state.current.seq : 0;
  let spinning = false;
  let pending = false;

  function text(el, s) { if (el && el.textContent !== s) el.textContent = s; }

  function renderLists(s) {
    prizes.replaceChildren(...s.prizes.map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.name} `;
      const n = document.createElement("span");
      n.textContent = `${p.won}/${p.winners}`;
      li.append(n);
      return li;
    }));
    winners.replaceChildren(...s.picks.filter((p) => p.outcome !== "not_present").map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.prize}: ${p.name}`;
      return li;
    }));
    if (s.commitment) text(proof, t.proof.replace("{n}", String(s.entries)).replace("{hash}", s.commitment));
    else text(proof, s.rules);
    let line = s.phrase ? t.phrase.replace("{phrase}", s.phrase) : "";
    if (s.seed) line = `${line}${line ? " · " : ""}${t.seed.replace("{seed}", s.seed)}`;
    text(phrase, line);
  }

  function renderStatus(s) {
    if (s.status === "open") text(status, t.open);
    else if (s.status === "finished") text(status, t.finished);
    else if (s.next) text(status, t.next.replace("{prize}", s.next.prize));
    else text(status, t.done);
  }

  function showWinner(s, celebrate) {
    const c = s.current;
    if (!c) { winner.hidden = true; return; }
    winner.hidden = false;
    winner.classList.remove("is-empty");
    winner.dataset.outcome = c.outcome;
    winner.dataset.seq = String(c.seq);
    text(winnerPrize, c.prize);
    text(winnerName, c.name);
    const src = c.photo && (c.photo.src || c.photo.large || c.photo.thumb);
    if (src) { winnerPhoto.src = src; winnerPhoto.hidden = false; } else { winnerPhoto.hidden = true; winnerPhoto.removeAttribute("src"); }
    text(winnerNote, c.outcome === "present" ? t.present : c.outcome === "not_present" ? t.absent : "");
    root.dataset.shown = String(c.seq);
    if (celebrate && c.outcome !== "not_present") confetti(canvas);
  }

  function render(s, animate) {
    state = s;
    root.classList.toggle("is-blank", !!s.blank);
    renderLists(s);
    const seq = s.current ? s.current.seq : 0;
    if (animate && seq > shownSeq && s.current.outcome === "drawn") {
      shownSeq = seq;
      spin(s);
      return;
    }
    shownSeq = Math.max(shownSeq, seq);
    if (!spinning) { renderStatus(s); showWinner(s, false); }
  }

  // The reel: names and thumbnails flick by, slowing down, for about three seconds; then the
  // winner the server already chose. Nothing here picks anyone.
  function spin(s) {
    spinning = true;
    root.dataset.spinning = "on";
    winner.hidden = true;
    text(status, t.drawing);
    const items = s.reel.length ? s.reel : [{ name: s.current.name, thumb: null }];
    reel.hidden = false;
    let i = Math.floor(Math.random() * items.length);
    let delay = 60;
    const end = performance.now() + (matchMedia("(prefers-reduced-motion: reduce)").matches ? 300 : 3200);
    const tick = () => {
      const it = items[i++ % items.length];
      text(reelName, it.name);
      const th = it.thumb && it.thumb.thumb;
      if (th) { reelThumb.src = th; reelThumb.hidden = false; } else reelThumb.hidden = true;
      if (performance.now() < end) { delay = Math.min(400, delay * 1.08); setTimeout(tick, delay); return; }
      reel.hidden = true;
      spinning = false;
      delete root.dataset.spinning;
      const latest = s.status === "finished" ? s : state;
      renderStatus(latest);
      showWinner(latest, true);
      if (pending) { pending = false; refresh(); }
    };
    tick();
  }

  let refreshing = false;
  async function refresh() {
    if (spinning) { pending = true; return; }
    if (refreshing) { pending = true; return; }
    refreshing = true;
    try { render(await fetchState(url), true); } catch { /* the next message or reconnect tries again */ }
    refreshing = false;
    if (pending && !spinning) { pending = false; refresh(); }
  }

  document.addEventListener("live:draw.state", (e) => { if (e.detail.draw === draw) refresh(); });
  document.addEventListener("live:wall.blank", (e) => root.classList.toggle("is-blank", !!e.detail.on));
  // After a reconnection the feed may have been missed: read the state again (no spin).
  document.addEventListener("live-state", (e) => {
    if (e.detail.state === "live") fetchState(url).then((s) => render(s, false)).catch(() => {});
  });
  if (state) render(state, false);

  // A finished draw replays from its record: R (or ?replay in the address) spins to each
  // winner again, in the order they were drawn.
  async function replay() {
    if (!state || state.status !== "finished" || spinning) return;
    const all = state.picks.slice();
    for (const pick of all) {
      spin({ ...state, current: { ...pick, photo: null } });
      while (spinning) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 2500));
    }
    render(state, false);
  }
  document.addEventListener("keydown", (e) => { if (e.key.toLowerCase() === "r" && !e.ctrlKey && !e.metaKey) replay(); });
  if (new URLSearchParams(location.search).has("replay")) setTimeout(replay, 800);

  if ("control" in root.dataset) controls(root, () => state);
}

// A member's screen: the keyboard runs the draw. Each key posts the page's own form (the same
// the remote has); the screen then moves with the feed like every other screen.
function controls(root, current) {
  const forms = {};
  for (const f of root.querySelectorAll("[data-controls] form")) forms[f.dataset.action] = f;
  const help = root.querySelector("[data-help]");
  let busy = false;
  async function post(name, fill) {
    const f = forms[name];
    if (!f || busy) return;
    if (fill) fill(f);
    busy = true;
    try {
      await fetch(f.action, { method: "POST", body: new URLSearchParams(new FormData(f)), redirect: "manual" });
    } catch { /* the screen stays as it is; press again */ }
    busy = false;
  }
  const seqOf = (f) => {
    const s = current();
    f.querySelector("[name=seq]").value = s && s.current ? String(s.current.seq) : "";
  };
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof Element && e.target.closest("input, textarea, select")) return;
    const k = e.key.toLowerCase();
    if (k === " " || k === "enter") { e.preventDefault(); if (!root.dataset.spinning) post("next"); }
    else if (k === "p") post("present", seqOf);
    else if (k === "n") post("absent", seqOf);
    else if (k === "b") {
      post("blank", (f) => { f.querySelector("[name=on]").value = root.classList.contains("is-blank") ? "0" : "1"; });
    } else if (k === "?" || k === "h") help.hidden = !help.hidden;
  });
  help.hidden = false;
  setTimeout(() => { help.hidden = true; }, 6000);
}

// Confetti: a few hundred paper bits for four seconds on a canvas over the screen.
function confetti(canvas) {
  if (!canvas || matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const w = (canvas.width = innerWidth);
  const h = (canvas.height = innerHeight);
  const colors = ["#f4c542", "#e8505b", "#2fb5a3", "#5b7cfa", "#ffffff"];
  const bits = Array.from({ length: 220 }, () => ({
    x: Math.random() * w, y: -Math.random() * h * 0.5, vx: (Math.random() - 0.5) * 4,
    vy: 2 + Math.random() * 4, r: Math.random() * Math.PI, vr: (Math.random() - 0.5) * 0.3,
    s: 6 + Math.random() * 8, c: colors[Math.floor(Math.random() * colors.length)],
  }));
  const stop = performance.now() + 4000;
  const frame = (now) => {
    ctx.clearRect(0, 0, w, h);
    for (const b of bits) {
      b.x += b.vx; b.y += b.vy; b.r += b.vr;
      ctx.save(); ctx.translate(b.x, b.y); ctx.rotate(b.r); ctx.fillStyle = b.c;
      ctx.fillRect(-b.s / 2, -b.s / 4, b.s, b.s / 2); ctx.restore();
    }
    if (now < stop) requestAnimationFrame(frame); else ctx.clearRect(0, 0, w, h);
  };
  requestAnimationFrame(frame);
}

// The remote: the page is a set of plain forms; it reloads itself when the draw moves
// elsewhere (another phone, the keyboard), so its buttons are always the right ones.
function runRemote(root) {
  const draw = root.dataset.draw;
  let timer = 0;
  document.addEventListener("live:draw.state", (e) => {
    if (e.detail.draw !== draw) return;
    clearTimeout(timer);
    timer = setTimeout(() => location.replace(location.pathname), 300);
  });
  document.addEventListener("live:wall.blank", () => {
    clearTimeout(timer);
    timer = setTimeout(() => location.replace(location.pathname), 300);
  });
}

// The guest page: "You won!" the moment their entry is drawn, and the draws' block (entries,
// winners) read again when a draw moves.
function runGuest() {
  const banner = document.querySelector("[data-draw-won]");
  document.addEventListener("live:draw.won", (e) => {
    if (!banner) return;
    banner.textContent = banner.dataset.text.replace("{prize}", e.detail.prize || "");
    banner.hidden = false;
    banner.scrollIntoView({ block: "center", behavior: "smooth" });
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
  });
  let timer = 0;
  const reread = async () => {
    try {
      const r = await fetch(location.pathname, { cache: "no-store" });
      if (!r.ok) return;
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      const fresh = doc.querySelector("[data-guest-draws]");
      const old = document.querySelector("[data-guest-draws]");
      if (fresh && old) old.replaceWith(fresh);
      else if (fresh && banner) banner.after(fresh);
    } catch { /* next time */ }
  };
  document.addEventListener("live:draw.state", () => { clearTimeout(timer); timer = setTimeout(reread, 800 + Math.random() * 1500); });
}
