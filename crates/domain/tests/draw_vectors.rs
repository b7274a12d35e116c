//! The draw's published test vectors (docs/draw-vectors.json): rebuilt here from their inputs
//! with the domain's implementation; the test fails if the file differs.
//! `DRAW_VECTORS_UPDATE=1 cargo test -p domain --test draw_vectors` rewrites it (then read the
//! diff: a change in an expected value is a change of the algorithm, which breaks every
//! published draw).

use domain::draw::verify::{State, verify};
use domain::draw::{
    DrawExport, EXPORT_FORMAT, Entry, Outcome, PickRecord, Pool, Stream, TierSpec,
    canonical_entries, canonical_order, commitment, draw_key, entry_list_hash, hex, next_pick,
    sha256,
};
use serde::Serialize;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/draw-vectors.json");

#[derive(Serialize)]
struct File {
    format: &'static str,
    about: &'static str,
    vectors: Vec<Vector>,
}

#[derive(Serialize)]
struct Vector {
    name: &'static str,
    about: &'static str,
    /// The entries in canonical order.
    entries: Vec<Entry>,
    /// The canonical encoding as text (only for short lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical_entries: Option<String>,
    seed: String,
    phrase: &'static str,
    tiers: Vec<TierSpec>,
    /// The picks (1-based, in draw order) whose winner is marked not present.
    not_present: Vec<usize>,
    expected: Expected,
}

#[derive(Serialize)]
struct Expected {
    entry_list_hash: String,
    commitment: String,
    phrase_sha256: String,
    key: String,
    picks: Vec<ExpectedPick>,
}

#[derive(Serialize)]
struct ExpectedPick {
    tier: u32,
    round: u32,
    /// The total weight still in the running before this pick.
    total_weight: u64,
    /// below(total_weight): the ticket drawn, 0-based.
    target: u64,
    /// How many stream blocks `below` read (more than 1: rejections).
    blocks: u32,
    entry: String,
    outcome: Outcome,
}

struct Input {
    name: &'static str,
    about: &'static str,
    entries: Vec<Entry>,
    phrase: &'static str,
    tiers: Vec<TierSpec>,
    not_present: Vec<usize>,
}

fn e(id: &str, weight: u32) -> Entry {
    Entry {
        id: id.to_owned(),
        weight,
    }
}

fn tier(position: u32, name: &str, winners: u32) -> TierSpec {
    TierSpec {
        position,
        name: name.to_owned(),
        winners,
    }
}

fn inputs() -> Vec<Input> {
    vec![
        Input {
            name: "three-entries",
            about: "Three entries of one ticket each, one prize, no stage phrase.",
            entries: vec![e("a", 1), e("b", 1), e("c", 1)],
            phrase: "",
            tiers: vec![tier(1, "Prize", 1)],
            not_present: vec![],
        },
        Input {
            name: "weighted",
            about: "Weights 1, 2, 3, 5 and 8 (listed out of order: the canonical list sorts \
                    them); two tiers.",
            entries: vec![
                e("guest8", 8),
                e("guest1", 1),
                e("guest5", 5),
                e("guest2", 2),
                e("guest3", 3),
            ],
            phrase: "Happy birthday",
            tiers: vec![tier(1, "Weekend away", 1), tier(2, "Dinner for two", 2)],
            not_present: vec![],
        },
        Input {
            name: "not-present-redraw",
            about: "The first winner is not present: tier 1 gets round 2, drawn from the pool \
                    without them; then tier 2.",
            entries: (1..=6).map(|i| e(&format!("p{i}"), 1)).collect(),
            phrase: "cake",
            tiers: vec![tier(1, "Camera", 1), tier(2, "Photo book", 2)],
            not_present: vec![1, 3],
        },
        Input {
            name: "non-ascii-phrase",
            about: "A stage phrase with accents, an emoji and CJK text: it is hashed as UTF-8 \
                    bytes, exactly as typed (no normalisation).",
            entries: (0..10).map(|i| e(&format!("k{i}"), 1 + i % 2)).collect(),
            phrase: "Joyeux anniversaire, Zoé ! 🎉 誕生日おめでとう",
            tiers: vec![tier(1, "Gâteau", 2)],
            not_present: vec![],
        },
        Input {
            name: "one-entry",
            about: "A single entry: below(1) reads one block and is always 0.",
            entries: vec![e("only1", 1)],
            phrase: "solo",
            tiers: vec![tier(1, "Prize", 1)],
            not_present: vec![],
        },
        Input {
            name: "large-weight",
            about: "One entry with the largest weight (4294967295) and two of weight 1: the \
                    total is 2^32 + 1, so the mask keeps 33 bits and about half the blocks are \
                    rejected; sums need 64 bits.",
            entries: vec![e("big", u32::MAX), e("small1", 1), e("small2", 1)],
            phrase: "big",
            tiers: vec![tier(1, "First", 1), tier(2, "Second", 2)],
            not_present: vec![],
        },
        Input {
            name: "many-tiers",
            about: "Five tiers listed out of position order (picks follow positions), 1 to 3 \
                    winners each, two winners not present.",
            entries: (0..30).map(|i| e(&format!("t{i:02}"), 1 + i % 3)).collect(),
            phrase: "All the prizes",
            tiers: vec![
                tier(3, "Bronze", 3),
                tier(1, "Gold", 1),
                tier(5, "Mug", 2),
                tier(2, "Silver", 2),
                tier(4, "Poster", 1),
            ],
            not_present: vec![2, 6],
        },
        Input {
            name: "hundred-entries",
            about: "100 entries with weights 1 to 4 and ids of mixed length (byte order puts \
                    \"g10\" before \"g2\").",
            entries: (0..100)
                .map(|i| e(&format!("g{i}"), 1 + (i * 7) % 4))
                .collect(),
            phrase: "Merci à tous",
            tiers: vec![tier(1, "Grand prize", 1), tier(2, "Runner-up", 4)],
            not_present: vec![3],
        },
    ]
}

fn build(n: usize, input: Input) -> (Vector, DrawExport) {
    let seed = sha256(format!("momentique draw vector {}", n + 1).as_bytes());
    let entries = canonical_order(&input.entries).expect("valid entries");
    let hash = entry_list_hash(&entries).expect("valid entries");
    let key = draw_key(&seed, &hash, input.phrase);
    let mut pool = Pool::new(&entries).expect("valid entries");
    let mut picks = Vec::new();
    let mut expected = Vec::new();
    while let Some((tier, round)) = next_pick(&input.tiers, &picks) {
        let total_weight = pool.total_weight();
        if total_weight == 0 {
            break;
        }
        // The same steps as `Stream::below`, counted.
        let mut stream = Stream::new(&key, tier, round);
        let mask = if total_weight <= 1 {
            0
        } else {
            u64::MAX >> (total_weight - 1).leading_zeros()
        };
        let mut blocks = 0;
        let target = loop {
            blocks += 1;
            let v = stream.next_u64() & mask;
            if v < total_weight {
                break v;
            }
        };
        let winner = pool.pick(&key, tier, round).expect("a non-empty pool");
        let outcome = if input.not_present.contains(&(picks.len() + 1)) {
            Outcome::NotPresent
        } else {
            Outcome::Present
        };
        expected.push(ExpectedPick {
            tier,
            round,
            total_weight,
            target,
            blocks,
            entry: winner.id.clone(),
            outcome,
        });
        picks.push(PickRecord {
            tier,
            round,
            entry: winner.id,
            outcome,
        });
    }
    let canonical = (entries.len() <= 10).then(|| {
        String::from_utf8(canonical_entries(&entries).expect("valid entries")).expect("ASCII")
    });
    let export = DrawExport {
        format: EXPORT_FORMAT.to_owned(),
        draw: input.name.to_owned(),
        name: input.name.to_owned(),
        event: "Test vectors".to_owned(),
        rules: input.about.to_owned(),
        closed_at: "2026-01-01T00:00:00Z".to_owned(),
        entries: entries.clone(),
        entry_list_hash: hex(&hash),
        commitment: hex(&commitment(&seed)),
        phrase: Some(input.phrase.to_owned()),
        seed: Some(hex(&seed)),
        tiers: input.tiers.clone(),
        picks,
    };
    let vector = Vector {
        name: input.name,
        about: input.about,
        entries,
        canonical_entries: canonical,
        seed: hex(&seed),
        phrase: input.phrase,
        tiers: input.tiers,
        not_present: input.not_present,
        expected: Expected {
            entry_list_hash: hex(&hash),
            commitment: hex(&commitment(&seed)),
            phrase_sha256: hex(&sha256(input.phrase.as_bytes())),
            key: hex(&key),
            picks: expected,
        },
    };
    (vector, export)
}

#[test]
fn the_published_vectors_match_the_implementation() {
    let mut vectors = Vec::new();
    for (n, input) in inputs().into_iter().enumerate() {
        let (vector, export) = build(n, input);
        // Each vector, as a record, passes verification.
        let report = verify(&export);
        assert_eq!(report.state, State::Ok, "{}: {report:#?}", vector.name);
        vectors.push(vector);
    }
    let file = File {
        format: "momentique-draw-vectors-v1",
        about: "Test vectors of Momentique's lucky draw (docs/DRAW.md). Every value is \
                rebuilt by crates/domain/tests/draw_vectors.rs; an implementation that agrees \
                on all of them agrees on the encodings, the key, the stream, the rejection \
                sampler, the weighted walk and the pick order.",
        vectors,
    };
    let mut text = serde_json::to_string_pretty(&file).expect("serialize");
    text.push('\n');
    if std::env::var_os("DRAW_VECTORS_UPDATE").is_some_and(|v| v == "1") {
        std::fs::write(PATH, &text).expect("write docs/draw-vectors.json");
        return;
    }
    let published = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        published == text,
        "docs/draw-vectors.json differs from what the implementation computes. If the change \
         is intended (it breaks every published draw), run \
         DRAW_VECTORS_UPDATE=1 cargo test -p domain --test draw_vectors and review the diff."
    );
}
