//! Checking a published draw record ([`DrawExport`]) from its own contents: the format, the
//! entry list and its hash, the seed against its commitment, the tiers, the order of the picks,
//! every winner recomputed, nobody winning twice. `momentique draw verify` prints the result;
//! the public page runs an independent JavaScript copy (crates/web/static/draw-verify.js) that
//! must reach the same verdict on every check (the browser test holds them to it).
//!
//! Each check has a stable name (the JavaScript uses the same ones), a verdict (ok, failed, or
//! pending while the seed is secret) and a sentence a person understands.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    DrawExport, EXPORT_FORMAT, Entry, Outcome, Pool, TierSpec, commitment, draw_key,
    entry_id_valid, hex, next_pick, parse_hex32,
};

/// The names of the checks, in the order they are reported.
pub const CHECK_NAMES: [&str; 8] = [
    "format",
    "entries",
    "entry_list_hash",
    "commitment",
    "tiers",
    "pick_order",
    "winners",
    "no_repeat_winner",
];

/// The verdict on a whole record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Every check passed.
    Ok,
    /// At least one check failed.
    Failed,
    /// Nothing failed, but the seed is not revealed yet, so the winners cannot be checked.
    Pending,
}

/// One named check: `ok` is `Some(true)` passed, `Some(false)` failed, `None` pending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: Option<bool>,
    pub text: String,
}

/// One recorded pick and whether its winner is the one the algorithm gives (`None` while the
/// seed is secret); `expected` is the computed winner when it differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PickCheck {
    pub tier: u32,
    pub round: u32,
    pub entry: String,
    pub ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

/// The result of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub state: State,
    pub checks: Vec<Check>,
    pub picks: Vec<PickCheck>,
    /// One sentence for the whole record.
    pub summary: String,
}

impl Report {
    /// The check called `name` (one of [`CHECK_NAMES`]).
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The checks that failed.
    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.ok == Some(false))
    }
}

fn ok(name: &'static str, text: String) -> Check {
    Check {
        name,
        ok: Some(true),
        text,
    }
}

fn failed(name: &'static str, text: String) -> Check {
    Check {
        name,
        ok: Some(false),
        text,
    }
}

fn pending(name: &'static str, text: String) -> Check {
    Check {
        name,
        ok: None,
        text,
    }
}

/// Whether `s` is exactly 64 lower-case hex digits (how the record publishes hashes and seeds).
fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// "1 entry", "3 entries".
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Checks `export` from its own contents. Never panics, whatever the record holds.
pub fn verify(export: &DrawExport) -> Report {
    let mut checks = Vec::with_capacity(CHECK_NAMES.len());

    // The format.
    checks.push(if export.format == EXPORT_FORMAT {
        ok(
            "format",
            format!("The file is a Momentique draw record ({EXPORT_FORMAT})."),
        )
    } else {
        failed(
            "format",
            format!(
                "The file says its format is {:?}; this checker reads {EXPORT_FORMAT:?}.",
                export.format
            ),
        )
    });

    // The entries, and (when they are valid) the hash of their canonical list, computed
    // straight from the published order: it must already be canonical.
    let entries_problem = entries_problem(&export.entries);
    let entry_hash: Option<[u8; 32]> = match &entries_problem {
        None => {
            let total: u64 = export.entries.iter().map(|e| u64::from(e.weight)).sum();
            checks.push(ok(
                "entries",
                format!(
                    "{} with {} in all; every id is valid, every weight at least 1, in canonical \
                     order, none twice.",
                    count(export.entries.len(), "entry", "entries"),
                    count_u64(total, "ticket", "tickets"),
                ),
            ));
            Some(hash_canonical(&export.entries))
        }
        Some(problem) => {
            checks.push(failed("entries", problem.clone()));
            None
        }
    };

    checks.push(match entry_hash {
        Some(h) if hex(&h) == export.entry_list_hash => ok(
            "entry_list_hash",
            format!(
                "The entry list hashes to {}, the hash published when entries closed.",
                export.entry_list_hash
            ),
        ),
        Some(h) => failed(
            "entry_list_hash",
            format!(
                "The entry list hashes to {}, but the record publishes {:?}: the list is not the \
                 one locked at close.",
                hex(&h),
                export.entry_list_hash
            ),
        ),
        None => failed(
            "entry_list_hash",
            "The hash cannot be checked: the entry list itself is invalid.".to_owned(),
        ),
    });

    // The seed against its commitment.
    let seed: Option<Result<[u8; 32], ()>> = export.seed.as_deref().map(|s| {
        if is_hex64(s) {
            parse_hex32(s).ok_or(())
        } else {
            Err(())
        }
    });
    let commitment_published = is_hex64(&export.commitment);
    match seed {
        None => {
            checks.push(if commitment_published {
                pending(
                    "commitment",
                    format!(
                        "The seed is not revealed yet; its commitment {} is published, and the \
                         seed must hash to it when the draw ends.",
                        export.commitment
                    ),
                )
            } else {
                failed(
                    "commitment",
                    format!(
                        "The commitment {:?} is not 64 lower-case hex digits.",
                        export.commitment
                    ),
                )
            });
        }
        Some(Err(())) => {
            checks.push(failed(
                "commitment",
                "The revealed seed is not 64 lower-case hex digits.".to_owned(),
            ));
        }
        Some(Ok(seed)) => {
            let computed = hex(&commitment(&seed));
            if computed == export.commitment {
                checks.push(ok(
                    "commitment",
                    format!(
                        "The revealed seed hashes to {computed}, the commitment published before \
                         the first pick: the seed was fixed in advance."
                    ),
                ));
            } else {
                checks.push(failed(
                    "commitment",
                    format!(
                        "The revealed seed hashes to {computed}, not to the published commitment \
                         {:?}: it is not the seed fixed at close.",
                        export.commitment
                    ),
                ));
            }
        }
    }

    // The tiers.
    let tiers_problem = tiers_problem(&export.tiers);
    checks.push(match &tiers_problem {
        None => {
            let prizes: u64 = export.tiers.iter().map(|t| u64::from(t.winners)).sum();
            ok(
                "tiers",
                format!(
                    "{} with {} in all, each with its own position.",
                    count(export.tiers.len(), "prize tier", "prize tiers"),
                    count_u64(prizes, "winner", "winners"),
                ),
            )
        }
        Some(problem) => failed("tiers", problem.clone()),
    });

    // The order of the picks (needs only the tiers and the outcomes).
    checks.push(if tiers_problem.is_some() {
        failed(
            "pick_order",
            "The order of the picks cannot be checked: the tiers are invalid.".to_owned(),
        )
    } else {
        pick_order_check(&export.tiers, export)
    });

    // Every winner recomputed.
    let mut pick_checks: Vec<PickCheck> = export
        .picks
        .iter()
        .map(|p| PickCheck {
            tier: p.tier,
            round: p.round,
            entry: p.entry.clone(),
            ok: None,
            expected: None,
        })
        .collect();
    let phrase = export.phrase.as_deref().unwrap_or("");
    checks.push(match (seed, entry_hash) {
        (None, _) => pending(
            "winners",
            format!(
                "The winners can be recomputed once the seed is revealed ({} so far).",
                count(export.picks.len(), "pick", "picks")
            ),
        ),
        (Some(Err(())), _) => failed(
            "winners",
            "The winners cannot be recomputed: the seed is unreadable.".to_owned(),
        ),
        (Some(Ok(_)), None) => failed(
            "winners",
            "The winners cannot be recomputed: the entry list is invalid.".to_owned(),
        ),
        (Some(Ok(seed)), Some(entry_hash)) => {
            winners_check(export, &seed, &entry_hash, phrase, &mut pick_checks)
        }
    });

    // Nobody wins twice.
    checks.push(no_repeat_check(export));

    let state = if checks.iter().any(|c| c.ok == Some(false)) {
        State::Failed
    } else if checks.iter().any(|c| c.ok.is_none()) {
        State::Pending
    } else {
        State::Ok
    };
    let summary = summary(state, &checks, export);
    Report {
        state,
        checks,
        picks: pick_checks,
        summary,
    }
}

fn count_u64(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What is wrong with the published entries (None: valid, canonical, no duplicates, not empty).
fn entries_problem(entries: &[Entry]) -> Option<String> {
    if entries.is_empty() {
        return Some("The entry list is empty: there is nobody to draw.".to_owned());
    }
    for (i, entry) in entries.iter().enumerate() {
        if !entry_id_valid(&entry.id) {
            return Some(format!(
                "Entry {} has the id {:?}, which is not 1 to 32 characters of a-z and 0-9.",
                i + 1,
                entry.id
            ));
        }
        if entry.weight == 0 {
            return Some(format!(
                "Entry {} ({}) has weight 0; every entry holds at least 1 ticket.",
                i + 1,
                entry.id
            ));
        }
        if i > 0 {
            let before = &entries[i - 1].id;
            if *before == entry.id {
                return Some(format!("Entry {} appears twice.", entry.id));
            }
            if before.as_bytes() > entry.id.as_bytes() {
                return Some(format!(
                    "The entries are not in canonical order: {} comes after {}.",
                    entry.id, before
                ));
            }
        }
    }
    None
}

/// SHA-256 of the canonical encoding of `entries`, which must already be canonical (checked by
/// [`entries_problem`]); the same bytes as [`super::canonical_entries`], without a copy.
fn hash_canonical(entries: &[Entry]) -> [u8; 32] {
    let mut h = Sha256::new();
    super::encode_sorted(entries, |bytes| h.update(bytes));
    h.finalize().into()
}

/// What is wrong with the tiers (None: at least one, positions ≥ 1 and distinct, winners ≥ 1,
/// names given).
fn tiers_problem(tiers: &[TierSpec]) -> Option<String> {
    if tiers.is_empty() {
        return Some("The draw has no prize tiers.".to_owned());
    }
    for (i, tier) in tiers.iter().enumerate() {
        if tier.position == 0 {
            return Some(format!(
                "Tier {:?} has position 0; positions start at 1.",
                tier.name
            ));
        }
        if tier.winners == 0 {
            return Some(format!(
                "Tier {} ({:?}) has no winners to draw.",
                tier.position, tier.name
            ));
        }
        if tier.name.trim().is_empty() {
            return Some(format!("Tier {} has no name.", tier.position));
        }
        if tiers[..i].iter().any(|t| t.position == tier.position) {
            return Some(format!(
                "Two tiers have the same position, {}.",
                tier.position
            ));
        }
    }
    None
}

fn pick_order_check(tiers: &[TierSpec], export: &DrawExport) -> Check {
    let picks = &export.picks;
    for (n, pick) in picks.iter().enumerate() {
        let expected = next_pick(tiers, &picks[..n]);
        if expected != Some((pick.tier, pick.round)) {
            return failed(
                "pick_order",
                format!(
                    "Pick {} is tier {} round {}, but the rules give {} at that point.",
                    n + 1,
                    pick.tier,
                    pick.round,
                    match expected {
                        Some((t, r)) => format!("tier {t} round {r}"),
                        None => "no further pick (every prize was already won)".to_owned(),
                    }
                ),
            );
        }
    }
    let redraws = picks
        .iter()
        .filter(|p| p.outcome == Outcome::NotPresent)
        .count();
    let finished = next_pick(tiers, picks).is_none();
    let mut text = format!(
        "{} in the order the rules give: tiers by position, each tier's prizes before the next",
        count(picks.len(), "pick", "picks")
    );
    if redraws > 0 {
        text.push_str(&format!(
            ", a new round for each of the {} not present",
            count(redraws, "winner", "winners")
        ));
    }
    text.push_str(if finished {
        "; every prize is won."
    } else {
        "; the draw is not finished."
    });
    ok("pick_order", text)
}

/// Recomputes every pick in the recorded order. After a wrong pick the pool follows the record
/// (the computed winner goes back in, the recorded one leaves), so one tampered pick shows as
/// one.
fn winners_check(
    export: &DrawExport,
    seed: &[u8; 32],
    entry_hash: &[u8; 32],
    phrase: &str,
    pick_checks: &mut [PickCheck],
) -> Check {
    let key = draw_key(seed, entry_hash, phrase);
    let mut pool = match Pool::new(&export.entries) {
        Ok(pool) => pool,
        Err(e) => {
            return failed("winners", format!("The winners cannot be recomputed: {e}."));
        }
    };
    let mut first_wrong: Option<String> = None;
    let mut wrong = 0usize;
    for (n, (pick, check)) in export.picks.iter().zip(pick_checks.iter_mut()).enumerate() {
        match pool.pick(&key, pick.tier, pick.round) {
            Ok(winner) if winner.id == pick.entry => check.ok = Some(true),
            Ok(winner) => {
                wrong += 1;
                check.ok = Some(false);
                if first_wrong.is_none() {
                    first_wrong = Some(format!(
                        "pick {} (tier {} round {}) should be entry {}, the record says {}",
                        n + 1,
                        pick.tier,
                        pick.round,
                        winner.id,
                        pick.entry
                    ));
                }
                pool.restore(&winner.id);
                pool.remove(&pick.entry);
                check.expected = Some(winner.id);
            }
            Err(_) => {
                wrong += 1;
                check.ok = Some(false);
                if first_wrong.is_none() {
                    first_wrong = Some(format!(
                        "pick {} (tier {} round {}) names {}, but nobody was left to draw",
                        n + 1,
                        pick.tier,
                        pick.round,
                        pick.entry
                    ));
                }
            }
        }
    }
    let phrase_words = if phrase.is_empty() {
        "no stage phrase".to_owned()
    } else {
        format!("the stage phrase {phrase:?}")
    };
    match first_wrong {
        None => ok(
            "winners",
            format!(
                "Every winner recomputed from the seed, {phrase_words} and the entry list: {} \
                 checked, all correct.",
                count(export.picks.len(), "pick", "picks")
            ),
        ),
        Some(first) => failed(
            "winners",
            format!(
                "{} of {} wrong; the first: {first}.",
                wrong,
                count(export.picks.len(), "pick", "picks")
            ),
        ),
    }
}

fn no_repeat_check(export: &DrawExport) -> Check {
    let picks = &export.picks;
    for (n, pick) in picks.iter().enumerate() {
        if let Some(m) = picks[..n].iter().position(|p| p.entry == pick.entry) {
            return failed(
                "no_repeat_winner",
                format!(
                    "Entry {} is drawn twice: in pick {} and pick {}.",
                    pick.entry,
                    m + 1,
                    n + 1
                ),
            );
        }
    }
    ok(
        "no_repeat_winner",
        "Nobody is drawn twice: each pick takes its winner out of the running.".to_owned(),
    )
}

fn summary(state: State, checks: &[Check], export: &DrawExport) -> String {
    let winners = export
        .picks
        .iter()
        .filter(|p| p.outcome != Outcome::NotPresent)
        .count();
    match state {
        State::Ok if export.picks.is_empty() => {
            "The record checks out; no winner is drawn yet.".to_owned()
        }
        State::Ok => {
            let redraws = export.picks.len() - winners;
            let mut s = if winners == 1 {
                "The winner checks out".to_owned()
            } else {
                format!("All {winners} winners check out")
            };
            if redraws > 0 {
                s.push_str(&format!(
                    " (and the {} of absent winners)",
                    count(redraws, "redraw", "redraws")
                ));
            }
            s.push_str(": nobody could have chosen them.");
            s
        }
        State::Pending => format!(
            "Nothing is wrong so far; the winners can be checked once the seed is revealed ({} \
             drawn yet).",
            count(winners, "winner", "winners")
        ),
        State::Failed => {
            let names: Vec<&str> = checks
                .iter()
                .filter(|c| c.ok == Some(false))
                .map(|c| c.name)
                .collect();
            format!(
                "This record does not check out: {} failed ({}).",
                count(names.len(), "check", "checks"),
                names.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PickRecord, entry_list_hash};
    use super::*;

    fn e(id: &str, weight: u32) -> Entry {
        Entry {
            id: id.to_owned(),
            weight,
        }
    }

    /// An honest, finished draw: 40 entries, two tiers, one winner not present.
    fn honest() -> DrawExport {
        let entries: Vec<Entry> = (0..40).map(|i| e(&format!("g{i:02}"), 1 + i % 3)).collect();
        let seed = [9u8; 32];
        let phrase = "Zoé & Max 🎉";
        let tiers = vec![
            TierSpec {
                position: 1,
                name: "Balloon ride".into(),
                winners: 1,
            },
            TierSpec {
                position: 2,
                name: "Mug".into(),
                winners: 3,
            },
        ];
        let hash = entry_list_hash(&entries).expect("valid");
        let key = draw_key(&seed, &hash, phrase);
        let mut pool = Pool::new(&entries).expect("valid");
        let mut picks: Vec<PickRecord> = Vec::new();
        while let Some((tier, round)) = next_pick(&tiers, &picks) {
            let winner = pool.pick(&key, tier, round).expect("enough entries");
            let outcome = if picks.len() == 1 {
                Outcome::NotPresent
            } else {
                Outcome::Present
            };
            picks.push(PickRecord {
                tier,
                round,
                entry: winner.id,
                outcome,
            });
        }
        DrawExport {
            format: EXPORT_FORMAT.into(),
            draw: "d1".into(),
            name: "Lucky draw".into(),
            event: "Wedding".into(),
            rules: "One entry per guest.".into(),
            closed_at: "2026-06-01T20:00:00Z".into(),
            entries,
            entry_list_hash: hex(&hash),
            commitment: hex(&commitment(&seed)),
            phrase: Some(phrase.into()),
            seed: Some(hex(&seed)),
            tiers,
            picks,
        }
    }

    fn failed_names(r: &Report) -> Vec<&'static str> {
        r.failed().map(|c| c.name).collect()
    }

    #[test]
    fn an_honest_record_checks_out() {
        let x = honest();
        assert_eq!(x.picks.len(), 5);
        let r = verify(&x);
        assert_eq!(r.state, State::Ok, "{r:#?}");
        assert_eq!(
            r.checks.iter().map(|c| c.name).collect::<Vec<_>>(),
            CHECK_NAMES
        );
        assert!(r.picks.iter().all(|p| p.ok == Some(true)));
        assert_eq!(
            r.summary,
            "All 4 winners check out (and the 1 redraw of absent winners): nobody could have \
             chosen them."
        );
        // The hash computed without sorting is the canonical one.
        assert_eq!(
            hash_canonical(&x.entries),
            entry_list_hash(&x.entries).expect("valid")
        );
    }

    #[test]
    fn before_the_seed_is_revealed_the_winners_are_pending() {
        let mut x = honest();
        x.seed = None;
        let r = verify(&x);
        assert_eq!(r.state, State::Pending, "{r:#?}");
        assert_eq!(r.check("commitment").and_then(|c| c.ok), None);
        assert_eq!(r.check("winners").and_then(|c| c.ok), None);
        assert_eq!(r.check("pick_order").and_then(|c| c.ok), Some(true));
        assert!(r.picks.iter().all(|p| p.ok.is_none()));
        // A bad order is caught even before the seed is out.
        x.picks.swap(0, 2);
        assert_eq!(verify(&x).state, State::Failed);
    }

    #[track_caller]
    fn assert_caught(x: &DrawExport, expected: &[&str]) {
        let r = verify(x);
        assert_eq!(r.state, State::Failed, "{r:#?}");
        let names = failed_names(&r);
        for name in expected {
            assert!(names.contains(name), "{name} not failed: {r:#?}");
        }
        assert!(r.summary.contains(expected[0]), "{}", r.summary);
    }

    #[test]
    fn tampering_is_caught_and_named() {
        let base = honest();

        let mut x = base.clone();
        x.entries[5].weight += 1;
        assert_caught(&x, &["entry_list_hash"]);

        let mut x = base.clone();
        x.entries.push(e("zz", 1));
        assert_caught(&x, &["entry_list_hash"]);

        let mut x = base.clone();
        let gone = x
            .entries
            .iter()
            .position(|en| x.picks.iter().all(|p| p.entry != en.id))
            .expect("a non-winner");
        x.entries.remove(gone);
        assert_caught(&x, &["entry_list_hash"]);

        let mut x = base.clone();
        x.entry_list_hash = hex(&[0u8; 32]);
        let r = verify(&x);
        assert_eq!(failed_names(&r), ["entry_list_hash"], "{r:#?}");

        let mut x = base.clone();
        x.seed = Some(hex(&[8u8; 32]));
        assert_caught(&x, &["commitment", "winners"]);

        let mut x = base.clone();
        x.commitment = hex(&[1u8; 32]);
        let r = verify(&x);
        assert_eq!(failed_names(&r), ["commitment"], "{r:#?}");

        // A changed winner: the winners check names that pick.
        let mut x = base.clone();
        let other = x
            .entries
            .iter()
            .find(|en| x.picks.iter().all(|p| p.entry != en.id))
            .expect("a non-winner")
            .id
            .clone();
        x.picks[3].entry = other.clone();
        let r = verify(&x);
        assert_eq!(failed_names(&r), ["winners"], "{r:#?}");
        let text = &r.check("winners").expect("check").text;
        assert!(
            text.contains("the first: pick 4 (tier 2 round 3)"),
            "{text}"
        );
        assert!(text.contains(&format!("the record says {other}")), "{text}");
        assert_eq!(
            r.picks.iter().map(|p| p.ok).collect::<Vec<_>>(),
            [Some(true), Some(true), Some(true), Some(false), Some(true)]
        );

        // Picks in another order.
        let mut x = base.clone();
        x.picks.swap(2, 3);
        assert_caught(&x, &["pick_order"]);

        // Another phrase gives other winners.
        let mut x = base.clone();
        x.phrase = Some("Zoe & Max 🎉".into());
        assert_caught(&x, &["winners"]);

        // The same winner twice.
        let mut x = base.clone();
        x.picks[4].entry = x.picks[2].entry.clone();
        assert_caught(&x, &["winners", "no_repeat_winner"]);

        let mut x = base.clone();
        x.format = "momentique-draw-v2".into();
        assert_caught(&x, &["format"]);

        let mut x = base.clone();
        x.entries.swap(0, 1);
        assert_caught(&x, &["entries", "entry_list_hash", "winners"]);

        let mut x = base.clone();
        x.entries[3].id = x.entries[2].id.clone();
        assert_caught(&x, &["entries"]);

        let mut x = base.clone();
        x.entries[0].weight = 0;
        assert_caught(&x, &["entries"]);

        let mut x = base.clone();
        x.entries[0].id = "G00".into();
        assert_caught(&x, &["entries"]);

        let mut x = base.clone();
        x.tiers[1].position = 1;
        assert_caught(&x, &["tiers", "pick_order"]);

        let mut x = base.clone();
        // Hex is lower-case: an upper-case seed is refused even though it hashes right.
        x.seed = Some(hex(&[0xab; 32]).to_uppercase());
        x.commitment = hex(&commitment(&[0xab; 32]));
        assert_caught(&x, &["commitment", "winners"]);

        // An extra pick after every prize is won.
        let mut x = base.clone();
        let mut extra = x.picks[4].clone();
        extra.round += 1;
        x.picks.push(extra);
        assert_caught(&x, &["pick_order"]);

        // A not-present mark removed: the round after it is out of order.
        let mut x = base;
        x.picks[1].outcome = Outcome::Present;
        assert_caught(&x, &["pick_order"]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut x = honest();
        x.entries.clear();
        x.tiers.clear();
        x.seed = Some("not hex".into());
        x.commitment = String::new();
        x.picks[0].tier = u32::MAX;
        x.picks[0].round = u32::MAX;
        let r = verify(&x);
        assert_eq!(r.state, State::Failed);
        assert!(!r.summary.is_empty());
    }
}
