//! The lucky draw's fairness, as pure functions: the canonical entry list and its hash, the
//! commitment to the secret seed, and the sampler that turns (seed, stage phrase, entry-list
//! hash, tier, round) into a winner. docs/DRAW.md states the algorithm and its test vectors; the
//! server, `momentique draw verify` and the public page's JavaScript (an independent
//! implementation) must all agree on them.
//!
//! Nothing here chooses anything: given the same inputs every function returns the same answer.
//! The only free input is the seed, which the service draws from the OS CSPRNG at close and keeps
//! secret until the draw ends (only its SHA-256, the commitment, is published before).

pub mod verify;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The first line of the canonical entry list (it names the encoding's version).
pub const ENTRIES_HEADER: &str = "momentique-draw-entries-v1\n";
/// The domain-separation prefix of the draw key.
pub const KEY_DOMAIN: &[u8] = b"momentique-draw-key-v1";
/// The format name of a draw's export (the file `momentique draw verify` reads).
pub const EXPORT_FORMAT: &str = "momentique-draw-v1";
/// The longest entry id.
pub const MAX_ENTRY_ID: usize = 32;

/// One entry of the locked list: an opaque id (never a name, so the list can be public) and its
/// weight (how many tickets it holds; 1 for "one entry per guest").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub weight: u32,
}

/// Why a list or a record cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("entry id {0:?} is not 1 to 32 characters of a-z and 0-9")]
    BadEntryId(String),
    #[error("entry {0} has weight 0")]
    ZeroWeight(String),
    #[error("entry id {0} appears twice")]
    DuplicateEntry(String),
    #[error("there is nobody left to draw")]
    PoolEmpty,
}

/// Whether `id` is a valid entry id: 1 to 32 characters of `a-z0-9`.
pub fn entry_id_valid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ENTRY_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The entries in canonical order (by id, byte order), checked: valid unique ids, weights ≥ 1.
pub fn canonical_order(entries: &[Entry]) -> Result<Vec<Entry>, DrawError> {
    // A list already in canonical order (what a record publishes) needs no sort.
    if entries.is_sorted_by(|a, b| a.id < b.id) {
        check_sorted(entries.iter())?;
        return Ok(entries.to_vec());
    }
    // Sort references keyed by the id's first 8 bytes (zero-padded, big-endian: the same order
    // as the bytes, and no pointer to follow for most comparisons), then the whole id, then
    // the position in `entries` — exactly the order of a stable sort by id.
    let mut sorted: Vec<(u64, usize, &Entry)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (id_prefix(&e.id), i, e))
        .collect();
    sorted.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.2.id.cmp(&b.2.id))
            .then(a.1.cmp(&b.1))
    });
    check_sorted(sorted.iter().map(|s| s.2))?;
    Ok(sorted.into_iter().map(|s| s.2.clone()).collect())
}

/// The first 8 bytes of `id` as a big-endian number, zero-padded: ordering these orders ids by
/// their first 8 bytes (a shorter id sorts before its extensions, as in byte order).
fn id_prefix(id: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = id.len().min(8);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

/// Checks entries given in sorted order: valid ids, weights ≥ 1, no id twice (the first
/// problem in that order).
fn check_sorted<'a>(sorted: impl Iterator<Item = &'a Entry>) -> Result<(), DrawError> {
    let mut before: Option<&Entry> = None;
    for entry in sorted {
        if !entry_id_valid(&entry.id) {
            return Err(DrawError::BadEntryId(entry.id.clone()));
        }
        if entry.weight == 0 {
            return Err(DrawError::ZeroWeight(entry.id.clone()));
        }
        if before.is_some_and(|b| b.id == entry.id) {
            return Err(DrawError::DuplicateEntry(entry.id.clone()));
        }
        before = Some(entry);
    }
    Ok(())
}

/// Feeds the canonical encoding of `sorted` (already checked and in canonical order) to `out`.
fn encode_sorted(sorted: &[Entry], mut out: impl FnMut(&[u8])) {
    out(ENTRIES_HEADER.as_bytes());
    let mut line = Vec::with_capacity(MAX_ENTRY_ID + 12);
    for entry in sorted {
        line.clear();
        line.extend_from_slice(entry.id.as_bytes());
        line.push(b' ');
        push_decimal(&mut line, entry.weight);
        line.push(b'\n');
        out(&line);
    }
}

/// Appends `n` in decimal, no leading zeros (as `to_string` would, without allocating).
fn push_decimal(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The canonical encoding: the header line, then `id weight\n` per entry in canonical order
/// (weight in decimal, no leading zeros).
pub fn canonical_entries(entries: &[Entry]) -> Result<Vec<u8>, DrawError> {
    let sorted = canonical_order(entries)?;
    let mut out = Vec::with_capacity(ENTRIES_HEADER.len() + sorted.len() * 16);
    encode_sorted(&sorted, |bytes| out.extend_from_slice(bytes));
    Ok(out)
}

/// SHA-256 of the canonical encoding.
pub fn entry_list_hash(entries: &[Entry]) -> Result<[u8; 32], DrawError> {
    let mut h = Sha256::new();
    if entries.is_sorted_by(|a, b| a.id < b.id) {
        check_sorted(entries.iter())?;
        encode_sorted(entries, |bytes| h.update(bytes));
    } else {
        encode_sorted(&canonical_order(entries)?, |bytes| h.update(bytes));
    }
    Ok(h.finalize().into())
}

/// The commitment published at close: SHA-256 of the 32-byte seed.
pub fn commitment(seed: &[u8; 32]) -> [u8; 32] {
    sha256(seed)
}

/// The draw key: SHA-256(KEY_DOMAIN ‖ seed ‖ entry-list hash ‖ SHA-256(phrase as UTF-8)).
/// No phrase is the empty phrase.
pub fn draw_key(seed: &[u8; 32], entry_hash: &[u8; 32], phrase: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(KEY_DOMAIN);
    h.update(seed);
    h.update(entry_hash);
    h.update(sha256(phrase.as_bytes()));
    h.finalize().into()
}

/// The random stream of one pick: block `c` is SHA-256(key ‖ tier ‖ round ‖ c), each a 32-bit
/// big-endian number; each block gives one 64-bit number, its first 8 bytes big-endian.
#[derive(Debug)]
pub struct Stream {
    key: [u8; 32],
    tier: u32,
    round: u32,
    counter: u32,
}

impl Stream {
    pub fn new(key: &[u8; 32], tier: u32, round: u32) -> Self {
        Self {
            key: *key,
            tier,
            round,
            counter: 0,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(self.tier.to_be_bytes());
        h.update(self.round.to_be_bytes());
        h.update(self.counter.to_be_bytes());
        self.counter = self.counter.wrapping_add(1);
        let block: [u8; 32] = h.finalize().into();
        let mut first = [0u8; 8];
        first.copy_from_slice(&block[..8]);
        u64::from_be_bytes(first)
    }

    /// A uniform number in `0..n` by rejection sampling: keep the low bits under the smallest
    /// power of two ≥ n and draw again while the result is ≥ n (fewer than 2 tries on average;
    /// never a modulo, so never a bias). `n` must be ≥ 1.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n >= 1);
        let mask = if n <= 1 {
            0
        } else {
            u64::MAX >> (n - 1).leading_zeros()
        };
        loop {
            let v = self.next_u64() & mask;
            if v < n {
                return v;
            }
        }
    }
}

/// The entries still in the running, in canonical order. A pick removes its winner (present or
/// not), so nobody wins twice in one draw.
#[derive(Debug)]
pub struct Pool<'a> {
    /// Borrowed when given in canonical order (as the store and a record hold them).
    entries: std::borrow::Cow<'a, [Entry]>,
    alive: Vec<bool>,
    total: u64,
}

impl<'a> Pool<'a> {
    pub fn new(entries: &'a [Entry]) -> Result<Self, DrawError> {
        let entries = if entries.is_sorted_by(|a, b| a.id < b.id) {
            check_sorted(entries.iter())?;
            std::borrow::Cow::Borrowed(entries)
        } else {
            std::borrow::Cow::Owned(canonical_order(entries)?)
        };
        let total = entries.iter().map(|e| u64::from(e.weight)).sum();
        let alive = vec![true; entries.len()];
        Ok(Self {
            entries,
            alive,
            total,
        })
    }

    /// The total weight still in the running.
    pub fn total_weight(&self) -> u64 {
        self.total
    }

    /// How many entries are still in the running.
    pub fn remaining(&self) -> usize {
        self.alive.iter().filter(|a| **a).count()
    }

    /// Takes `id` out of the running without a pick (it is not in the list, or already out:
    /// false).
    pub fn remove(&mut self, id: &str) -> bool {
        match self.entries.binary_search_by(|e| e.id.as_str().cmp(id)) {
            Ok(i) if self.alive[i] => {
                self.alive[i] = false;
                self.total -= u64::from(self.entries[i].weight);
                true
            }
            _ => false,
        }
    }

    /// Puts `id` back in the running (only `replay` does, to follow a tampered record).
    fn restore(&mut self, id: &str) {
        if let Ok(i) = self.entries.binary_search_by(|e| e.id.as_str().cmp(id))
            && !self.alive[i]
        {
            self.alive[i] = true;
            self.total += u64::from(self.entries[i].weight);
        }
    }

    /// Draws the winner of (tier, round): t = below(total weight still in), then the first entry
    /// in canonical order, among those still in, whose running sum of weights exceeds t. The
    /// winner leaves the pool.
    pub fn pick(&mut self, key: &[u8; 32], tier: u32, round: u32) -> Result<Entry, DrawError> {
        if self.total == 0 {
            return Err(DrawError::PoolEmpty);
        }
        let target = Stream::new(key, tier, round).below(self.total);
        let mut sum = 0u64;
        for (i, entry) in self.entries.iter().enumerate() {
            if !self.alive[i] {
                continue;
            }
            sum += u64::from(entry.weight);
            if sum > target {
                self.alive[i] = false;
                self.total -= u64::from(entry.weight);
                return Ok(entry.clone());
            }
        }
        unreachable!("the running sum reaches the total weight")
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Parses 64 hex digits into 32 bytes.
pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// What became of a drawn winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Drawn, not yet called (counts as a winner).
    Drawn,
    /// Came to the stage.
    Present,
    /// Not there: the prize gets a new round.
    NotPresent,
}

impl Outcome {
    /// The stable name (as in the export).
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Drawn => "drawn",
            Outcome::Present => "present",
            Outcome::NotPresent => "not_present",
        }
    }
}

/// One prize tier as published: its position (1 = drawn first), name and number of winners.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierSpec {
    pub position: u32,
    pub name: String,
    pub winners: u32,
}

/// One pick as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickRecord {
    pub tier: u32,
    pub round: u32,
    pub entry: String,
    pub outcome: Outcome,
}

/// A draw's published record: what its public page serves as JSON (`/d/{org}/{draw}/export.json`)
/// and `momentique draw verify FILE` reads. Everything in it may be public: the
/// entries are opaque ids with weights, never names. `seed` is null until the draw ends, and
/// `phrase` until the stage phrase is recorded (a draw without one has the empty phrase).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawExport {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// The draw's id.
    pub draw: String,
    pub name: String,
    /// The event's name.
    pub event: String,
    /// The entry rule and exclusions as published, in words.
    pub rules: String,
    /// When entries closed (RFC 3339, UTC).
    pub closed_at: String,
    /// The locked entries in canonical order.
    pub entries: Vec<Entry>,
    /// Hex SHA-256 of the canonical entry list.
    pub entry_list_hash: String,
    /// Hex SHA-256 of the seed, published at close.
    pub commitment: String,
    pub phrase: Option<String>,
    /// Hex of the 32-byte seed, once revealed.
    pub seed: Option<String>,
    pub tiers: Vec<TierSpec>,
    /// Every pick in the order drawn.
    pub picks: Vec<PickRecord>,
}

/// The order of picks the rules fix: tiers by position, each tier's prizes filled before the
/// next tier; a winner marked "not present" gives their tier a new round. Given the picks so far
/// (with their outcomes), the (tier, round) of the next pick, or None when every prize is won.
pub fn next_pick(tiers: &[TierSpec], picks: &[PickRecord]) -> Option<(u32, u32)> {
    let mut ordered: Vec<&TierSpec> = tiers.iter().collect();
    ordered.sort_by_key(|t| t.position);
    for tier in ordered {
        let of_tier = picks.iter().filter(|p| p.tier == tier.position);
        let won = of_tier
            .clone()
            .filter(|p| p.outcome != Outcome::NotPresent)
            .count();
        if (won as u64) < u64::from(tier.winners) {
            let round = of_tier.count() as u32 + 1;
            return Some((tier.position, round));
        }
    }
    None
}

/// Replays `picks` from the published data and says, pick by pick, whether each winner is the
/// one the algorithm gives. `picks` must be in the order they were drawn.
pub fn replay(
    entries: &[Entry],
    seed: &[u8; 32],
    phrase: &str,
    tiers: &[TierSpec],
    picks: &[PickRecord],
) -> Result<Vec<Result<(), String>>, DrawError> {
    let entry_hash = entry_list_hash(entries)?;
    let key = draw_key(seed, &entry_hash, phrase);
    let mut pool = Pool::new(entries)?;
    let mut checks = Vec::with_capacity(picks.len());
    for (n, pick) in picks.iter().enumerate() {
        let expected_slot = next_pick(tiers, &picks[..n]);
        if expected_slot != Some((pick.tier, pick.round)) {
            checks.push(Err(format!(
                "pick {} is tier {} round {}, but the rules give {}",
                n + 1,
                pick.tier,
                pick.round,
                match expected_slot {
                    Some((t, r)) => format!("tier {t} round {r}"),
                    None => "no further pick".to_owned(),
                }
            )));
            // Keep the pool in step with what was recorded, so one bad pick shows as one.
            pool.remove(&pick.entry);
            continue;
        }
        match pool.pick(&key, pick.tier, pick.round) {
            Ok(winner) if winner.id == pick.entry => checks.push(Ok(())),
            Ok(winner) => {
                checks.push(Err(format!(
                    "pick {} (tier {} round {}) should be entry {}, the record says {}",
                    n + 1,
                    pick.tier,
                    pick.round,
                    winner.id,
                    pick.entry
                )));
                // Follow the record from here on, so one bad pick shows as one: the computed
                // winner goes back in, the recorded one leaves.
                pool.restore(&winner.id);
                pool.remove(&pick.entry);
            }
            Err(e) => checks.push(Err(format!("pick {}: {e}", n + 1))),
        }
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str, weight: u32) -> Entry {
        Entry {
            id: id.to_owned(),
            weight,
        }
    }

    #[test]
    fn the_canonical_list_sorts_by_id_and_refuses_bad_ones() {
        let bytes = canonical_entries(&[e("b2", 3), e("a1", 1)]).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "momentique-draw-entries-v1\na1 1\nb2 3\n"
        );
        assert_eq!(
            canonical_entries(&[e("a1", 1), e("a1", 2)]),
            Err(DrawError::DuplicateEntry("a1".into()))
        );
        assert_eq!(
            canonical_entries(&[e("A1", 1)]),
            Err(DrawError::BadEntryId("A1".into()))
        );
        assert_eq!(
            canonical_entries(&[e("a1", 0)]),
            Err(DrawError::ZeroWeight("a1".into()))
        );
    }

    #[test]
    fn the_canonical_order_is_a_stable_sort_by_id_bytes() {
        let mut state = 7u64;
        let mut entries = Vec::new();
        for i in 0..2_000u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = 1 + (state >> 60) as usize % 12;
            let id: String = (0..len)
                .map(|k| b"ab0z9"[((state >> (k * 3)) % 5) as usize] as char)
                .collect();
            entries.push(e(&id, 1 + i % 3));
        }
        let mut expected = entries.clone();
        expected.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
        let mut unique = expected.clone();
        unique.dedup_by(|a, b| a.id == b.id);
        // With duplicates: the same first error as a stable sort gives.
        let first_dup = expected
            .windows(2)
            .find(|w| w[0].id == w[1].id)
            .map(|w| w[1].id.clone())
            .expect("duplicates");
        assert_eq!(
            canonical_order(&entries),
            Err(DrawError::DuplicateEntry(first_dup))
        );
        // Without: the sorted list, whatever the input order.
        let mut shuffled = unique.clone();
        shuffled.reverse();
        shuffled.swap(3, 700);
        assert_eq!(canonical_order(&shuffled).expect("valid"), unique);
        assert_eq!(canonical_order(&unique).expect("valid"), unique);
    }

    #[test]
    fn below_stays_in_range_and_rejects_instead_of_wrapping() {
        let key = [7u8; 32];
        for n in [1u64, 2, 3, 5, 7, 100, 1 << 40, u64::MAX] {
            let mut s = Stream::new(&key, 1, 1);
            for _ in 0..200 {
                assert!(s.below(n) < n);
            }
        }
    }

    #[test]
    fn a_pick_removes_its_winner_and_the_pool_runs_dry() {
        let entries = [e("a", 1), e("b", 5), e("c", 2)];
        let mut pool = Pool::new(&entries).unwrap();
        let key = [1u8; 32];
        let mut seen = Vec::new();
        for round in 1..=3 {
            seen.push(pool.pick(&key, 1, round).unwrap().id);
        }
        seen.sort();
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(pool.pick(&key, 1, 4), Err(DrawError::PoolEmpty));
    }

    #[test]
    fn next_pick_fills_tiers_in_order_and_redraws_not_present() {
        let tiers = [
            TierSpec {
                position: 2,
                name: "Mug".into(),
                winners: 2,
            },
            TierSpec {
                position: 1,
                name: "Balloon ride".into(),
                winners: 1,
            },
        ];
        let p = |tier, round, outcome| PickRecord {
            tier,
            round,
            entry: "x".into(),
            outcome,
        };
        assert_eq!(next_pick(&tiers, &[]), Some((1, 1)));
        assert_eq!(
            next_pick(&tiers, &[p(1, 1, Outcome::NotPresent)]),
            Some((1, 2))
        );
        assert_eq!(
            next_pick(
                &tiers,
                &[p(1, 1, Outcome::NotPresent), p(1, 2, Outcome::Present)]
            ),
            Some((2, 1))
        );
        assert_eq!(
            next_pick(
                &tiers,
                &[
                    p(1, 1, Outcome::Present),
                    p(2, 1, Outcome::Drawn),
                    p(2, 2, Outcome::Present)
                ]
            ),
            None
        );
    }

    #[test]
    fn replay_confirms_an_honest_record_and_names_a_tampered_pick() {
        let entries: Vec<Entry> = (0..50).map(|i| e(&format!("e{i:02}"), 1 + i % 4)).collect();
        let seed = [42u8; 32];
        let tiers = [
            TierSpec {
                position: 1,
                name: "First".into(),
                winners: 1,
            },
            TierSpec {
                position: 2,
                name: "Second".into(),
                winners: 2,
            },
        ];
        let key = draw_key(&seed, &entry_list_hash(&entries).unwrap(), "hello");
        let mut pool = Pool::new(&entries).unwrap();
        let mut picks = Vec::new();
        for (tier, round, outcome) in [
            (1, 1, Outcome::NotPresent),
            (1, 2, Outcome::Present),
            (2, 1, Outcome::Present),
            (2, 2, Outcome::Drawn),
        ] {
            let winner = pool.pick(&key, tier, round).unwrap();
            picks.push(PickRecord {
                tier,
                round,
                entry: winner.id,
                outcome,
            });
        }
        let checks = replay(&entries, &seed, "hello", &tiers, &picks).unwrap();
        assert!(checks.iter().all(Result::is_ok), "{checks:?}");

        // Another phrase gives other winners.
        let checks = replay(&entries, &seed, "hellO", &tiers, &picks).unwrap();
        assert!(checks.iter().any(Result::is_err));

        // One changed winner is caught, and only that pick.
        let mut tampered = picks.clone();
        let other = entries
            .iter()
            .find(|x| picks.iter().all(|p| p.entry != x.id))
            .unwrap();
        tampered[2].entry = other.id.clone();
        let checks = replay(&entries, &seed, "hello", &tiers, &tampered).unwrap();
        assert!(checks[2].is_err());
        assert!(checks[0].is_ok() && checks[1].is_ok());
    }
}
