//! Draw records for the verify tests: one per test vector of docs/draw-vectors.json, and
//! tampered copies of them (each a kind of cheating or damage a verifier must notice).

#![allow(dead_code, reason = "each test file uses part of it")]

use serde_json::{Value, json};

/// The published test vectors.
pub const VECTORS: &str = include_str!("../../../../docs/draw-vectors.json");

/// `(vector name, record)` for every vector: the record a finished draw with those inputs
/// publishes.
pub fn records() -> Vec<(String, Value)> {
    let file: Value = serde_json::from_str(VECTORS).expect("docs/draw-vectors.json is JSON");
    let vectors = file["vectors"].as_array().expect("a vectors array");
    vectors
        .iter()
        .map(|v| {
            let picks: Vec<Value> = v["expected"]["picks"]
                .as_array()
                .expect("picks")
                .iter()
                .map(|p| {
                    json!({
                        "tier": p["tier"], "round": p["round"],
                        "entry": p["entry"], "outcome": p["outcome"],
                    })
                })
                .collect();
            let name = v["name"].as_str().expect("a name").to_owned();
            let record = json!({
                "format": "momentique-draw-v1",
                "draw": name,
                "name": format!("Vector {name}"),
                "event": "Test vectors",
                "rules": v["about"],
                "closed_at": "2026-01-01T00:00:00Z",
                "entries": v["entries"],
                "entry_list_hash": v["expected"]["entry_list_hash"],
                "commitment": v["expected"]["commitment"],
                "phrase": v["phrase"],
                "seed": v["seed"],
                "tiers": v["tiers"],
                "picks": picks,
            });
            (name, record)
        })
        .collect()
}

/// Flips the last hex digit of a hash or seed.
fn flip_hex(s: &str) -> String {
    let mut s = s.to_owned();
    let last = s.pop().unwrap_or('0');
    s.push(if last == '0' { '1' } else { '0' });
    s
}

/// The id of an entry that won nothing (or an id not in the list when everyone won).
fn non_winner(record: &Value) -> String {
    let picks = record["picks"].as_array().expect("picks");
    record["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .find(|id| picks.iter().all(|p| p["entry"] != *id))
        .unwrap_or("nobody")
        .to_owned()
}

/// Tampered copies of `record`: `(kind, record)`. Kinds that do not apply (e.g. swapping picks
/// of a one-pick draw) are left out.
pub fn tampered(record: &Value) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let picks = record["picks"].as_array().map_or(0, Vec::len);
    let entries = record["entries"].as_array().map_or(0, Vec::len);
    let mut add = |kind: &'static str, change: &dyn Fn(&mut Value)| {
        let mut r = record.clone();
        change(&mut r);
        out.push((kind, r));
    };
    add("weight_changed", &|r| {
        let w = r["entries"][0]["weight"].as_u64().expect("weight");
        r["entries"][0]["weight"] = json!(if w == 1 { 2 } else { w - 1 });
    });
    add("entry_added", &|r| {
        r["entries"]
            .as_array_mut()
            .expect("entries")
            .push(json!({"id": "zzzz", "weight": 1}));
    });
    add("entry_removed", &|r| {
        let gone = non_winner(r);
        r["entries"]
            .as_array_mut()
            .expect("entries")
            .retain(|e| e["id"] != *gone);
    });
    add("hash_changed", &|r| {
        r["entry_list_hash"] = json!(flip_hex(r["entry_list_hash"].as_str().expect("hash")));
    });
    add("seed_changed", &|r| {
        r["seed"] = json!(flip_hex(r["seed"].as_str().expect("seed")));
    });
    add("seed_upper_case", &|r| {
        r["seed"] = json!(r["seed"].as_str().expect("seed").to_uppercase());
    });
    add("seed_hidden", &|r| r["seed"] = Value::Null);
    add("commitment_changed", &|r| {
        r["commitment"] = json!(flip_hex(r["commitment"].as_str().expect("commitment")));
    });
    add("winner_changed", &|r| {
        let other = non_winner(r);
        r["picks"][0]["entry"] = json!(other);
    });
    add("phrase_changed", &|r| {
        let p = r["phrase"].as_str().expect("phrase").to_owned();
        r["phrase"] = json!(format!("{p}!"));
    });
    add("phrase_missing", &|r| r["phrase"] = Value::Null);
    add("format_changed", &|r| {
        r["format"] = json!("momentique-draw-v2")
    });
    add("outcome_changed", &|r| {
        let o = r["picks"][0]["outcome"].as_str().expect("outcome");
        r["picks"][0]["outcome"] = json!(if o == "not_present" {
            "present"
        } else {
            "not_present"
        });
    });
    add("more_winners_announced", &|r| {
        let last = r["tiers"].as_array().expect("tiers").len() - 1;
        let w = r["tiers"][last]["winners"].as_u64().expect("winners");
        r["tiers"][last]["winners"] = json!(w + 1);
    });
    add("tier_position_zero", &|r| {
        r["tiers"][0]["position"] = json!(0)
    });
    add("entry_id_invalid", &|r| {
        r["entries"][0]["id"] = json!("Bad-Id")
    });
    add("weight_zero", &|r| r["entries"][0]["weight"] = json!(0));
    add("picks_cleared", &|r| r["picks"] = json!([]));
    if entries >= 2 {
        add("entries_reordered", &|r| {
            r["entries"].as_array_mut().expect("entries").swap(0, 1);
        });
        add("entry_duplicated", &|r| {
            r["entries"][1]["id"] = r["entries"][0]["id"].clone();
        });
    }
    if picks >= 2 {
        add("picks_swapped", &|r| {
            r["picks"].as_array_mut().expect("picks").swap(0, 1);
        });
        add("winner_repeated", &|r| {
            r["picks"][1]["entry"] = r["picks"][0]["entry"].clone();
        });
        add("last_pick_removed", &|r| {
            r["picks"].as_array_mut().expect("picks").pop();
        });
    }
    out
}
