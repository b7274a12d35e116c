// Checks a lucky draw's published record in the browser, independently of the server: an own
// implementation of docs/DRAW.md (WebCrypto SHA-256, BigInt), no dependencies, no build step.
// The browser test (crates/momentique/tests/browser_draw_verify.rs) holds it to the same
// verdicts as the Rust `domain::draw::verify` on every test vector and many tampered records.
//
//   import { verifyExport } from "/static/draw-verify.HASH.js";
//   const report = await verifyExport(record);  // {state, checks, picks, summary}
//
// On load, every element `[data-draw-verify][data-export-url]` fetches its record, verifies it,
// sets `data-verify-state` (ok, failed, pending or error) and renders the checks into its child
// `[data-verify-output]` (created if missing).

const EXPORT_FORMAT = "momentique-draw-v1";
const ENTRIES_HEADER = "momentique-draw-entries-v1\n";
const KEY_DOMAIN = "momentique-draw-key-v1";
const MAX_U32 = 4294967295;
const ID_RE = /^[a-z0-9]{1,32}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const utf8 = new TextEncoder();

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function fromHex(s) {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function count(n, one, many) {
  return n === 1 || n === 1n ? `1 ${one}` : `${n} ${many}`;
}

const isU32 = (v) => Number.isInteger(v) && v >= 0 && v <= MAX_U32;

// The random stream of one pick: block c = SHA-256(key ‖ tier ‖ round ‖ c), all u32 big-endian;
// each block gives its first 8 bytes as a big-endian u64.
class Stream {
  constructor(key, tier, round) {
    this.input = new Uint8Array(44);
    this.input.set(key, 0);
    this.view = new DataView(this.input.buffer);
    this.view.setUint32(32, tier);
    this.view.setUint32(36, round);
    this.counter = 0;
  }

  async nextU64() {
    this.view.setUint32(40, this.counter);
    this.counter = (this.counter + 1) >>> 0;
    const block = await sha256(this.input);
    return new DataView(block.buffer).getBigUint64(0);
  }

  // Uniform in 0..n (n a BigInt ≥ 1): the low bits under the smallest power of two ≥ n,
  // rejected and drawn again while ≥ n.
  async below(n) {
    const mask = n <= 1n ? 0n : (1n << BigInt((n - 1n).toString(2).length)) - 1n;
    for (;;) {
      const v = (await this.nextU64()) & mask;
      if (v < n) return v;
    }
  }
}

// The entries still in the running, in canonical order.
class Pool {
  constructor(entries) {
    this.ids = entries.map((e) => e.id);
    this.weights = entries.map((e) => e.weight);
    this.alive = entries.map(() => true);
    this.index = new Map(this.ids.map((id, i) => [id, i]));
    this.total = this.weights.reduce((s, w) => s + BigInt(w), 0n);
  }

  remove(id) {
    const i = this.index.get(id);
    if (i !== undefined && this.alive[i]) {
      this.alive[i] = false;
      this.total -= BigInt(this.weights[i]);
    }
  }

  restore(id) {
    const i = this.index.get(id);
    if (i !== undefined && !this.alive[i]) {
      this.alive[i] = true;
      this.total += BigInt(this.weights[i]);
    }
  }

  // The first entry still in whose running sum of weights exceeds below(total); it leaves.
  async pick(key, tier, round) {
    if (this.total === 0n) return null;
    const target = await new Stream(key, tier, round).below(this.total);
    const safe = this.total <= BigInt(Number.MAX_SAFE_INTEGER);
    const t = safe ? Number(target) : target;
    let sum = safe ? 0 : 0n;
    for (let i = 0; i < this.ids.length; i++) {
      if (!this.alive[i]) continue;
      sum += safe ? this.weights[i] : BigInt(this.weights[i]);
      if (sum > t) {
        this.alive[i] = false;
        this.total -= BigInt(this.weights[i]);
        return this.ids[i];
      }
    }
    return null;
  }
}

// The (tier, round) of the next pick given the picks so far, or null when every prize is won.
function nextPick(tiers, picks) {
  const ordered = [...tiers].sort((a, b) => a.position - b.position);
  for (const tier of ordered) {
    const ofTier = picks.filter((p) => p.tier === tier.position);
    const won = ofTier.filter((p) => p.outcome !== "not_present").length;
    if (won < tier.winners) return [tier.position, ofTier.length + 1];
  }
  return null;
}

function entriesProblem(entries) {
  if (!Array.isArray(entries)) return "The record has no entry list.";
  if (entries.length === 0) return "The entry list is empty: there is nobody to draw.";
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const id = e && typeof e.id === "string" ? e.id : null;
    if (id === null || !ID_RE.test(id)) {
      return `Entry ${i + 1} has the id ${JSON.stringify(id)}, which is not 1 to 32 characters of a-z and 0-9.`;
    }
    if (!isU32(e.weight)) return `Entry ${i + 1} (${id}) has no valid weight.`;
    if (e.weight === 0) {
      return `Entry ${i + 1} (${id}) has weight 0; every entry holds at least 1 ticket.`;
    }
    if (i > 0) {
      const before = entries[i - 1].id;
      if (before === id) return `Entry ${id} appears twice.`;
      // Valid ids are ASCII, so string order is byte order.
      if (before > id) {
        return `The entries are not in canonical order: ${id} comes after ${before}.`;
      }
    }
  }
  return null;
}

function tiersProblem(tiers) {
  if (!Array.isArray(tiers) || tiers.length === 0) return "The draw has no prize tiers.";
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i];
    if (!t || !isU32(t.position) || !isU32(t.winners) || typeof t.name !== "string") {
      return `Tier ${i + 1} is not a position, a name and a number of winners.`;
    }
    if (t.position === 0) return `Tier ${JSON.stringify(t.name)} has position 0; positions start at 1.`;
    if (t.winners === 0) return `Tier ${t.position} (${JSON.stringify(t.name)}) has no winners to draw.`;
    if (t.name.trim() === "") return `Tier ${t.position} has no name.`;
    if (tiers.slice(0, i).some((u) => u.position === t.position)) {
      return `Two tiers have the same position, ${t.position}.`;
    }
  }
  return null;
}

function picksProblem(picks) {
  if (!Array.isArray(picks)) return "The record has no list of picks.";
  for (let i = 0; i < picks.length; i++) {
    const p = picks[i];
    if (
      !p || !isU32(p.tier) || !isU32(p.round) || typeof p.entry !== "string" ||
      !["drawn", "present", "not_present"].includes(p.outcome)
    ) {
      return `Pick ${i + 1} is not a tier, a round, an entry and an outcome.`;
    }
  }
  return null;
}

function pickOrderCheck(tiers, picks) {
  for (let n = 0; n < picks.length; n++) {
    const p = picks[n];
    const expected = nextPick(tiers, picks.slice(0, n));
    if (!expected || expected[0] !== p.tier || expected[1] !== p.round) {
      const gives = expected
        ? `tier ${expected[0]} round ${expected[1]}`
        : "no further pick (every prize was already won)";
      return [false, `Pick ${n + 1} is tier ${p.tier} round ${p.round}, but the rules give ${gives} at that point.`];
    }
  }
  const redraws = picks.filter((p) => p.outcome === "not_present").length;
  let text = `${count(picks.length, "pick", "picks")} in the order the rules give: tiers by position, each tier's prizes before the next`;
  if (redraws > 0) text += `, a new round for each of the ${count(redraws, "winner", "winners")} not present`;
  text += nextPick(tiers, picks) ? "; the draw is not finished." : "; every prize is won.";
  return [true, text];
}

async function hashEntries(entries) {
  let text = ENTRIES_HEADER;
  for (const e of entries) text += `${e.id} ${e.weight}\n`;
  return sha256(utf8.encode(text));
}

/**
 * Checks a draw record (the parsed JSON of a DrawExport) from its own contents.
 * @returns {Promise<{state: "ok"|"failed"|"pending", checks: {name: string, ok: boolean|null,
 *   text: string}[], picks: {tier: number, round: number, entry: string, ok: boolean|null,
 *   expected?: string}[], summary: string}>}
 */
export async function verifyExport(record) {
  const r = record && typeof record === "object" ? record : {};
  const checks = [];
  const add = (name, ok, text) => checks.push({ name, ok, text });

  if (r.format === EXPORT_FORMAT) {
    add("format", true, `The file is a Momentique draw record (${EXPORT_FORMAT}).`);
  } else {
    add("format", false, `The file says its format is ${JSON.stringify(r.format ?? null)}; this checker reads "${EXPORT_FORMAT}".`);
  }

  const entries = r.entries;
  const eProblem = entriesProblem(entries);
  let entryHash = null;
  if (eProblem === null) {
    const total = entries.reduce((s, e) => s + BigInt(e.weight), 0n);
    add("entries", true, `${count(entries.length, "entry", "entries")} with ${count(total, "ticket", "tickets")} in all; every id is valid, every weight at least 1, in canonical order, none twice.`);
    entryHash = await hashEntries(entries);
  } else {
    add("entries", false, eProblem);
  }

  if (entryHash === null) {
    add("entry_list_hash", false, "The hash cannot be checked: the entry list itself is invalid.");
  } else if (toHex(entryHash) === r.entry_list_hash) {
    add("entry_list_hash", true, `The entry list hashes to ${r.entry_list_hash}, the hash published when entries closed.`);
  } else {
    add("entry_list_hash", false, `The entry list hashes to ${toHex(entryHash)}, but the record publishes ${JSON.stringify(r.entry_list_hash ?? null)}: the list is not the one locked at close.`);
  }

  // The seed: null (not revealed), unreadable, or 32 bytes.
  const seedRevealed = r.seed !== null && r.seed !== undefined;
  const seed = seedRevealed && typeof r.seed === "string" && HEX64_RE.test(r.seed) ? fromHex(r.seed) : null;
  const commitmentValid = typeof r.commitment === "string" && HEX64_RE.test(r.commitment);
  if (!seedRevealed) {
    if (commitmentValid) {
      add("commitment", null, `The seed is not revealed yet; its commitment ${r.commitment} is published, and the seed must hash to it when the draw ends.`);
    } else {
      add("commitment", false, `The commitment ${JSON.stringify(r.commitment ?? null)} is not 64 lower-case hex digits.`);
    }
  } else if (seed === null) {
    add("commitment", false, "The revealed seed is not 64 lower-case hex digits.");
  } else {
    const computed = toHex(await sha256(seed));
    if (computed === r.commitment) {
      add("commitment", true, `The revealed seed hashes to ${computed}, the commitment published before the first pick: the seed was fixed in advance.`);
    } else {
      add("commitment", false, `The revealed seed hashes to ${computed}, not to the published commitment ${JSON.stringify(r.commitment ?? null)}: it is not the seed fixed at close.`);
    }
  }

  const tProblem = tiersProblem(r.tiers);
  if (tProblem === null) {
    const prizes = r.tiers.reduce((s, t) => s + t.winners, 0);
    add("tiers", true, `${count(r.tiers.length, "prize tier", "prize tiers")} with ${count(prizes, "winner", "winners")} in all, each with its own position.`);
  } else {
    add("tiers", false, tProblem);
  }

  const pProblem = picksProblem(r.picks);
  const picks = pProblem === null ? r.picks : [];
  if (tProblem !== null) {
    add("pick_order", false, "The order of the picks cannot be checked: the tiers are invalid.");
  } else if (pProblem !== null) {
    add("pick_order", false, pProblem);
  } else {
    const [ok, text] = pickOrderCheck(r.tiers, picks);
    add("pick_order", ok, text);
  }

  const pickChecks = picks.map((p) => ({ tier: p.tier, round: p.round, entry: p.entry, ok: null }));
  const phrase = typeof r.phrase === "string" ? r.phrase : "";
  if (!seedRevealed) {
    add("winners", null, `The winners can be recomputed once the seed is revealed (${count(picks.length, "pick", "picks")} so far).`);
  } else if (seed === null) {
    add("winners", false, "The winners cannot be recomputed: the seed is unreadable.");
  } else if (entryHash === null) {
    add("winners", false, "The winners cannot be recomputed: the entry list is invalid.");
  } else if (pProblem !== null) {
    add("winners", false, `The winners cannot be recomputed: ${pProblem}`);
  } else {
    const key = await sha256(concat(utf8.encode(KEY_DOMAIN), seed, entryHash, await sha256(utf8.encode(phrase))));
    const pool = new Pool(entries);
    let firstWrong = null;
    let wrong = 0;
    for (let n = 0; n < picks.length; n++) {
      const p = picks[n];
      const winner = await pool.pick(key, p.tier, p.round);
      if (winner === p.entry) {
        pickChecks[n].ok = true;
        continue;
      }
      wrong++;
      pickChecks[n].ok = false;
      if (winner === null) {
        firstWrong ??= `pick ${n + 1} (tier ${p.tier} round ${p.round}) names ${p.entry}, but nobody was left to draw`;
      } else {
        firstWrong ??= `pick ${n + 1} (tier ${p.tier} round ${p.round}) should be entry ${winner}, the record says ${p.entry}`;
        // Follow the record from here on, so one tampered pick shows as one.
        pool.restore(winner);
        pool.remove(p.entry);
        pickChecks[n].expected = winner;
      }
    }
    const words = phrase === "" ? "no stage phrase" : `the stage phrase ${JSON.stringify(phrase)}`;
    if (firstWrong === null) {
      add("winners", true, `Every winner recomputed from the seed, ${words} and the entry list: ${count(picks.length, "pick", "picks")} checked, all correct.`);
    } else {
      add("winners", false, `${wrong} of ${count(picks.length, "pick", "picks")} wrong; the first: ${firstWrong}.`);
    }
  }

  const seen = new Map();
  let repeat = null;
  picks.forEach((p, n) => {
    if (repeat === null && seen.has(p.entry)) {
      repeat = `Entry ${p.entry} is drawn twice: in pick ${seen.get(p.entry) + 1} and pick ${n + 1}.`;
    }
    if (!seen.has(p.entry)) seen.set(p.entry, n);
  });
  if (repeat === null) {
    add("no_repeat_winner", true, "Nobody is drawn twice: each pick takes its winner out of the running.");
  } else {
    add("no_repeat_winner", false, repeat);
  }

  const state = checks.some((c) => c.ok === false)
    ? "failed"
    : checks.some((c) => c.ok === null) ? "pending" : "ok";
  return { state, checks, picks: pickChecks, summary: summarize(state, checks, picks) };
}

function summarize(state, checks, picks) {
  const winners = picks.filter((p) => p.outcome !== "not_present").length;
  if (state === "ok") {
    if (picks.length === 0) return "The record checks out; no winner is drawn yet.";
    let s = winners === 1 ? "The winner checks out" : `All ${winners} winners check out`;
    const redraws = picks.length - winners;
    if (redraws > 0) s += ` (and the ${count(redraws, "redraw", "redraws")} of absent winners)`;
    return `${s}: nobody could have chosen them.`;
  }
  if (state === "pending") {
    return `Nothing is wrong so far; the winners can be checked once the seed is revealed (${count(winners, "winner", "winners")} drawn yet).`;
  }
  const names = checks.filter((c) => c.ok === false).map((c) => c.name);
  return `This record does not check out: ${count(names.length, "check", "checks")} failed (${names.join(", ")}).`;
}

function render(el, state, checks, summary) {
  el.setAttribute("data-verify-state", state);
  let out = el.querySelector("[data-verify-output]");
  if (!out) {
    out = document.createElement("div");
    out.setAttribute("data-verify-output", "");
    el.append(out);
  }
  const list = document.createElement("ol");
  list.className = "verify-checks";
  for (const c of checks) {
    const li = document.createElement("li");
    li.dataset.check = c.name;
    li.dataset.ok = c.ok === null ? "pending" : String(c.ok);
    li.textContent = c.text;
    list.append(li);
  }
  const p = document.createElement("p");
  p.className = "verify-summary";
  p.textContent = summary;
  out.replaceChildren(...(checks.length ? [list] : []), p);
  el.removeAttribute("aria-busy");
}

/** Fetches, verifies and renders one `[data-draw-verify][data-export-url]` element. */
export async function verifyElement(el) {
  el.setAttribute("aria-busy", "true");
  let record;
  try {
    const res = await fetch(el.dataset.exportUrl, { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    record = await res.json();
  } catch (e) {
    render(el, "error", [], `The draw record could not be loaded (${e.message}), so it was not checked.`);
    return "error";
  }
  try {
    const report = await verifyExport(record);
    render(el, report.state, report.checks, report.summary);
    return report.state;
  } catch (e) {
    render(el, "error", [], `The draw record could not be checked (${e.message}).`);
    return "error";
  }
}

/** Verifies every `[data-draw-verify][data-export-url]` element under `root`. */
export function verifyAll(root = document) {
  return Promise.all([...root.querySelectorAll("[data-draw-verify][data-export-url]")].map(verifyElement));
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => verifyAll());
  } else {
    verifyAll();
  }
}
